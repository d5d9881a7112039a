//! From a declaration to a plan: the rules that relate several fields
//! (relay precedence, roles, dyndns versus static IP, the record sheet,
//! the decision tree) and the assembly of the [`Plan`].

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use crate::ddns::{self, DdnsSetup};
use crate::declaration::{Declaration, InboundKind, Login, Port, RelayHost, Role, User};
use crate::dns::{DnsRecord, RecordData, RecordSource};
use crate::error::{Error, FieldError};
use crate::firewall::{self, FirewallInputs, InboundPath, PMG_DELIVERY_PORT};
use crate::names::{DomainName, EmailAddress, PublicIpv4, is_public_v4};
use crate::plan::{
    DdnsPlan, DkimPlan, InboundPlan, MailboxPlan, Mode, MxTarget, PLAN_FORMAT, Plan, PostfixPlan,
    RelayPlan, RelaySource, TlsPlan,
};
use crate::postfix::{self, PostfixInputs, SASL_PASSWORD_MAP};
use crate::provider::{PmgIdentity, RelayProvider, check_credentials, is_implicit_tls_port};
use crate::secret::{SecretPath, SecretSource};
use crate::spf::{SpfRecord, SpfTerm};

/// A plan together with the secrets it needs, kept apart so the plan can
/// be printed, logged and diffed.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The printable plan.
    pub plan: Plan,
    /// The secrets, for the renderers of secret files only.
    pub secrets: Secrets,
}

/// The SASL credential for the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayCredential {
    /// The map key: exactly the `relayhost` value, `[host]:port`.
    pub map_key: String,
    /// SASL user.
    pub user: Login,
    /// SASL password.
    pub password: SecretSource,
}

impl RelayCredential {
    /// The `sasl_passwd` line (`[host]:port user:password`), when the
    /// password is inline. Writing this anywhere but a root-only file
    /// leaks the secret.
    pub fn sasl_passwd_line(&self) -> Option<String> {
        self.password
            .inline()
            .map(|secret| format!("{} {}:{}\n", self.map_key, self.user, secret.expose()))
    }
}

/// Every secret the plan refers to.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// The relay's SASL credential.
    pub relay: Option<RelayCredential>,
    /// The dyndns secret (under the plan's `ddns.secretKey`).
    pub ddns: Option<SecretSource>,
    /// Mailbox passwords by address.
    pub mailboxes: Vec<(EmailAddress, SecretSource)>,
}

/// Collects errors (with paths) and warnings while planning.
#[derive(Debug, Default)]
struct Diagnostics {
    errors: Vec<FieldError>,
    warnings: Vec<String>,
    inline_secrets: Vec<String>,
}

impl Diagnostics {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.into(),
            message: message.into(),
        });
    }

    fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }
}

/// A secret declared as `password` / `passwordFile` at `path`, when exactly
/// one of them is set.
fn secret_source(
    path: &str,
    password: Option<&crate::secret::Secret>,
    password_file: Option<&SecretPath>,
    d: &mut Diagnostics,
) -> Option<SecretSource> {
    match (password, password_file) {
        (Some(_), Some(_)) => {
            d.error(
                format!("{path}.passwordFile"),
                "password and passwordFile are both set; keep passwordFile (it keeps the secret out of the Nix store) and remove password",
            );
            None
        }
        (Some(secret), None) => Some(SecretSource::Inline(secret.clone())),
        (None, Some(file)) => Some(SecretSource::File(file.clone())),
        (None, None) => None,
    }
}

/// The directory users sorted by what they are for.
#[derive(Default)]
struct UserRoles<'a> {
    relay: Vec<(usize, &'a User, Option<SecretSource>)>,
    ddns: Vec<(usize, &'a User, Option<SecretSource>)>,
    mailboxes: Vec<(usize, EmailAddress, &'a User, SecretSource)>,
}

impl UserRoles<'_> {
    /// True when `users[i]` gets a mailbox.
    fn has_mailbox(&self, i: usize) -> bool {
        self.mailboxes.iter().any(|(j, ..)| *j == i)
    }
}

/// Warns about role-tagged users whose role is not used. A user with a
/// mailbox keeps it; any other is unused, and so is its inline password:
/// the modules write only the plan's secrets, but the password still sits
/// in the declaration.
fn warn_ignored(
    users: &[(usize, &User, Option<SecretSource>)],
    roles: &UserRoles<'_>,
    role: &str,
    why: &str,
    d: &mut Diagnostics,
) {
    for (i, user, _) in users {
        let what = if roles.has_mailbox(*i) {
            "that role is ignored (the mailbox stays)"
        } else if user.password.is_some() {
            "that user is unused; remove it (its inline password sits in the declaration, and in the Nix store if the declaration is in a flake)"
        } else {
            "that user is unused; remove it"
        };
        d.warn(format!(
            "{} is tagged {role}, but {why}; {what}",
            user_label(*i, user)
        ));
    }
}

/// `users[i] (name)`, or just `users[i]` when the name might be a pasted
/// secret (see [`Login::mention`]).
fn user_label(i: usize, user: &User) -> String {
    match user.name.mention() {
        Some(name) => format!("users[{i}] ({name})"),
        None => format!("users[{i}]"),
    }
}

fn describe_users(users: &[(usize, &User, Option<SecretSource>)]) -> String {
    users
        .iter()
        .map(|(i, user, _)| user_label(*i, user))
        .collect::<Vec<_>>()
        .join(", ")
}

fn classify_users<'a>(decl: &'a Declaration, d: &mut Diagnostics) -> UserRoles<'a> {
    let mut roles = UserRoles::default();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    // Role requirements apply only to users whose role is used: with
    // mailRelay set, mail-relay users are ignored (rule 1); without
    // dyndns, domain-provider users are.
    let relay_role_used = decl.mail_relay.is_none();
    let ddns_role_used = decl.public_ip.is_none() && decl.domain_provider.is_some();
    for (i, user) in decl.users.iter().enumerate() {
        let path = format!("users[{i}]");
        let mut duplicate_name = false;
        if let Some(first) = seen.insert(user.name.as_str().to_ascii_lowercase(), i) {
            duplicate_name = true;
            d.error(
                format!("{path}.name"),
                format!("is declared twice (also users[{first}]); merge the two entries"),
            );
        }
        let repeats_a_role = user
            .roles
            .iter()
            .enumerate()
            .any(|(i, role)| user.roles[..i].contains(role));
        if repeats_a_role {
            d.error(format!("{path}.roles"), "lists a role twice");
        }
        let secret = secret_source(
            &path,
            user.password.as_ref(),
            user.password_file.as_ref(),
            d,
        );
        let has_secret = user.password.is_some() || user.password_file.is_some();
        let is_relay = user.roles.contains(&Role::MailRelay);
        let is_ddns = user.roles.contains(&Role::DomainProvider);
        match (is_relay, &user.relay) {
            (true, None) if relay_role_used => d.error(
                format!("{path}.relay"),
                "is required for a mail-relay user: the relay endpoint, e.g. { host = \"smtp.gmail.com\"; port = 587; }",
            ),
            (false, Some(_)) => d.error(
                format!("{path}.relay"),
                "only a user with role \"mail-relay\" carries a relay endpoint; add the role or remove relay",
            ),
            _ => {}
        }
        let needs_secret = (is_relay && relay_role_used) || (is_ddns && ddns_role_used);
        if needs_secret && !has_secret {
            let role = if is_relay && relay_role_used {
                "mail-relay"
            } else {
                "domain-provider"
            };
            d.error(
                format!("{path}.passwordFile"),
                format!(
                    "a {role} user carries a secret: set passwordFile (or password, which lands in the Nix store)"
                ),
            );
        }
        if is_relay {
            roles.relay.push((i, user, secret.clone()));
        }
        if is_ddns {
            roles.ddns.push((i, user, secret.clone()));
        }
        let name_address = user.name.as_email();
        let on_domain = name_address
            .as_ref()
            .is_some_and(|a| a.domain() == &decl.domain);
        let wants_mailbox =
            user.roles.contains(&Role::Mailbox) || (user.roles.is_empty() && on_domain);
        if wants_mailbox {
            let address = match name_address {
                Some(address) if address.domain() == &decl.domain => Some(address),
                Some(address) => {
                    d.error(
                        format!("{path}.name"),
                        format!(
                            "is an address on {}, not on {}: mailboxes live on the customer's domain; write the local part alone or an address @{}",
                            address.domain(),
                            decl.domain,
                            decl.domain
                        ),
                    );
                    None
                }
                None => match EmailAddress::parse(&format!("{}@{}", user.name, decl.domain)) {
                    Ok(address) => Some(address),
                    Err(_) => {
                        d.error(
                            format!("{path}.name"),
                            "cannot be the local part of a mailbox address (letters, digits, '.', '-', '_'; value not shown in case it is a secret)",
                        );
                        None
                    }
                },
            };
            // A mailbox is its address in lowercase, which must be a login
            // Dovecot accepts (auth_username_chars) and a line postfix's
            // and Dovecot's tables read.
            let address = address.and_then(|address| match address.mailbox_problem() {
                Some(why) => {
                    d.error(format!("{path}.name"), why);
                    None
                }
                None => Some(address.to_lowercase()),
            });
            // `bob` (role mailbox) and `bob@<domain>` are the same mailbox.
            let first = address.as_ref().and_then(|address| {
                roles.mailboxes.iter().find_map(|(j, other, ..)| {
                    other
                        .local()
                        .eq_ignore_ascii_case(address.local())
                        .then_some(*j)
                })
            });
            if let Some(first) = first {
                if !duplicate_name {
                    d.error(
                        format!("{path}.name"),
                        format!(
                            "users[{first}] and users[{i}] are one mailbox on {} (a bare name gets @{} appended; case is ignored); merge or rename one",
                            decl.domain, decl.domain
                        ),
                    );
                }
                continue;
            }
            match (address, secret) {
                (Some(address), Some(secret)) => roles.mailboxes.push((i, address, user, secret)),
                (Some(_), None) if !has_secret => d.error(
                    format!("{path}.passwordFile"),
                    "a mailbox needs a password: set passwordFile (or password, which lands in the Nix store)",
                ),
                _ => {}
            }
        } else if user.roles.is_empty() {
            d.warn(format!(
                "{} has no roles and is not an address on {}, so it gets nothing; add roles = [ \"mailbox\" ] or remove it",
                user_label(i, user),
                decl.domain
            ));
        }
    }
    roles
}

/// At most this many `inbound.mx` hosts (priorities 10, 20, … 100).
const MAX_INBOUND_MX: u16 = 10;

/// Where inbound mail is received, after validation.
#[derive(Debug, Clone)]
enum Inbound {
    SelfHosted,
    /// The MX hosts with their index in `inbound.mx`.
    Relay(Vec<(usize, DomainName)>),
    Pmg {
        host: DomainName,
        ip: Ipv4Addr,
    },
}

fn resolve_inbound(decl: &Declaration, d: &mut Diagnostics) -> Option<Inbound> {
    let inbound = &decl.inbound;
    let kind_name = match inbound.kind {
        InboundKind::SelfHosted => "self",
        InboundKind::Relay => "relay",
        InboundKind::Pmg => "pmg",
    };
    let before = d.errors.len();
    let unused = [
        ("host", "pmg", inbound.host.is_some()),
        ("ip", "pmg", inbound.ip.is_some()),
        ("mx", "relay", inbound.mx.is_some()),
    ];
    for (field, used_by, present) in unused {
        if present && used_by != kind_name {
            d.error(
                format!("inbound.{field}"),
                format!("is only used with kind = \"{used_by}\", not \"{kind_name}\"; remove it"),
            );
        }
    }
    let resolved = match inbound.kind {
        InboundKind::SelfHosted => Some(Inbound::SelfHosted),
        InboundKind::Relay => match &inbound.mx {
            Some(mx) if mx.0.len() > usize::from(MAX_INBOUND_MX) => {
                d.error(
                    "inbound.mx",
                    format!(
                        "lists {} hosts; at most {MAX_INBOUND_MX} are accepted (priorities 10 to 100)",
                        mx.0.len()
                    ),
                );
                None
            }
            Some(mx) if !mx.0.is_empty() => {
                let mut hosts: Vec<(usize, DomainName)> = Vec::new();
                for (i, host) in mx.0.iter().enumerate() {
                    if hosts.iter().any(|(_, h)| h == host) {
                        d.error(
                            format!("inbound.mx[{i}]"),
                            format!("{host} is listed twice"),
                        );
                    } else {
                        hosts.push((i, host.clone()));
                    }
                }
                Some(Inbound::Relay(hosts))
            }
            _ => {
                d.error(
                    "inbound.mx",
                    "is required with kind = \"relay\": the provider's inbound host(s), e.g. \"smtp.google.com\"",
                );
                None
            }
        },
        InboundKind::Pmg => {
            if inbound.host.is_none() {
                d.error(
                    "inbound.host",
                    "is required with kind = \"pmg\": the PMG's public host name (the MX target)",
                );
            }
            match inbound.ip {
                None => d.error(
                    "inbound.ip",
                    "is required with kind = \"pmg\": the PMG's address, allowed to deliver to port 26",
                ),
                Some(ip) if ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() || ip.is_broadcast() => {
                    d.error("inbound.ip", format!("{ip} cannot be a PMG's address"));
                }
                Some(_) => {}
            }
            match (&inbound.host, inbound.ip) {
                (Some(host), Some(ip)) => Some(Inbound::Pmg {
                    host: host.clone(),
                    ip,
                }),
                _ => None,
            }
        }
    };
    if d.errors.len() > before {
        None
    } else {
        resolved
    }
}

/// The relay after precedence and validation.
#[derive(Debug, Clone)]
struct Relay {
    host: RelayHost,
    port: Port,
    user: Option<Login>,
    password: Option<SecretSource>,
    source: RelaySource,
    provider: RelayProvider,
}

/// The field path of the chosen relay's host.
fn relay_host_path(decl: &Declaration, roles: &UserRoles<'_>) -> String {
    match (&decl.mail_relay, roles.relay.as_slice()) {
        (None, [(i, ..)]) => format!("users[{i}].relay.host"),
        _ => "mailRelay.host".to_string(),
    }
}

/// Field paths of the relay's parts, for errors.
struct RelayPaths {
    user: String,
    password: String,
    port: String,
}

fn resolve_relay(
    decl: &Declaration,
    roles: &UserRoles<'_>,
    pmg: Option<PmgIdentity<'_>>,
    d: &mut Diagnostics,
) -> Option<Relay> {
    let (relay, paths) = if let Some(explicit) = &decl.mail_relay {
        warn_ignored(
            &roles.relay,
            roles,
            "mail-relay",
            "mailRelay is set and wins",
            d,
        );
        let password = secret_source(
            "mailRelay",
            explicit.password.as_ref(),
            explicit.password_file.as_ref(),
            d,
        );
        let has_secret = explicit.password.is_some() || explicit.password_file.is_some();
        match (&explicit.user, has_secret) {
            (Some(_), false) => d.error(
                "mailRelay.passwordFile",
                "mailRelay.user is set but there is no password: set passwordFile = \"/run/secrets/relay-pass\" (or password, which lands in the Nix store). For a relay that trusts the mail VM's IP, remove user",
            ),
            (None, true) => d.error(
                "mailRelay.user",
                "a password is set but no user to log in with; add the SASL user",
            ),
            _ => {}
        }
        let relay = Relay {
            host: explicit.host.clone(),
            port: explicit.port,
            user: explicit.user.clone(),
            password,
            source: RelaySource::MailRelay,
            provider: RelayProvider::detect(&explicit.host, pmg),
        };
        let paths = RelayPaths {
            user: "mailRelay.user".into(),
            password: if explicit.password_file.is_some() {
                "mailRelay.passwordFile".into()
            } else {
                "mailRelay.password".into()
            },
            port: "mailRelay.port".into(),
        };
        (relay, paths)
    } else {
        match roles.relay.as_slice() {
            [] => return None,
            [(i, user, password)] => {
                let endpoint = user.relay.as_ref()?;
                let relay = Relay {
                    host: endpoint.host.clone(),
                    port: endpoint.port,
                    user: Some(user.name.clone()),
                    password: password.clone(),
                    source: RelaySource::User(user.name.clone()),
                    provider: RelayProvider::detect(&endpoint.host, pmg),
                };
                let paths = RelayPaths {
                    user: format!("users[{i}].name"),
                    password: if user.password_file.is_some() {
                        format!("users[{i}].passwordFile")
                    } else {
                        format!("users[{i}].password")
                    },
                    port: format!("users[{i}].relay.port"),
                };
                (relay, paths)
            }
            many => {
                d.error(
                    "users",
                    format!(
                        "{} users are tagged mail-relay: {}. Only one relay can be used; remove the role from all but one, or set mailRelay to choose explicitly",
                        many.len(),
                        describe_users(many)
                    ),
                );
                return None;
            }
        }
    };
    let findings = check_credentials(
        relay.provider,
        &relay.host,
        relay.port,
        relay.user.as_ref(),
        relay
            .password
            .as_ref()
            .and_then(SecretSource::inline)
            .map(|s| s.expose()),
    );
    let path_of = |field: &str| match field {
        "user" => paths.user.clone(),
        "password" => paths.password.clone(),
        _ => paths.port.clone(),
    };
    for (field, message) in findings.errors {
        d.error(path_of(field), message);
    }
    for (field, message) in findings.warnings {
        d.warn(format!("{}: {message}", path_of(field)));
    }
    if relay.port.get() == 25
        && !matches!(relay.provider, RelayProvider::Pmg | RelayProvider::Custom)
    {
        if decl.isp.port25_outbound == Some(false) {
            d.error(
                paths.port.clone(),
                format!(
                    "the relay is on port 25, but isp.port25Outbound = false says the ISP blocks it; use 587 ({} listens there)",
                    relay.provider.display_name()
                ),
            );
        } else {
            d.warn(format!(
                "{}: relaying on port 25 — many ISPs block outbound 25, which is usually why a smarthost is used; 587 is safer",
                paths.port
            ));
        }
    }
    if let Some(secret) = relay.password.as_ref().filter(|s| s.inline().is_some()) {
        debug_assert!(secret.inline().is_some());
        d.inline_secrets.push(paths.password.clone());
    }
    Some(relay)
}

/// How the mail host's address is published.
#[derive(Debug, Clone)]
enum Addressing {
    Static(PublicIpv4),
    Ddns(DdnsSetup),
    Manual,
}

fn resolve_addressing(
    decl: &Declaration,
    roles: &UserRoles<'_>,
    d: &mut Diagnostics,
) -> Option<Addressing> {
    let ignored_ddns_users = |d: &mut Diagnostics, why: &str| {
        warn_ignored(&roles.ddns, roles, "domain-provider", why, d);
    };
    if let Some(ip) = decl.public_ip {
        if decl.domain_provider.is_some() {
            d.warn(format!(
                "domainProvider is ignored: publicIP {} is static, so dyndns is skipped entirely; remove domainProvider",
                ip.addr()
            ));
        }
        ignored_ddns_users(d, "dyndns is skipped (publicIP is static)");
        return Some(Addressing::Static(ip));
    }
    let Some(options) = &decl.domain_provider else {
        ignored_ddns_users(d, "there is no domainProvider");
        return Some(Addressing::Manual);
    };
    let secret = match roles.ddns.as_slice() {
        [] => {
            d.error(
                "domainProvider",
                "no user has role \"domain-provider\": the dyndns secret is that user's password. Add { name = \"ddns\"; passwordFile = \"/run/secrets/ddns-token\"; roles = [ \"domain-provider\" ]; } (addDomainProvider does this)",
            );
            None
        }
        [(i, user, secret)] => {
            if user.password.is_some() {
                d.inline_secrets.push(format!("users[{i}].password"));
            }
            secret.clone()
        }
        many => {
            d.error(
                "users",
                format!(
                    "{} users are tagged domain-provider: {}; keep one (its password is the dyndns secret)",
                    many.len(),
                    describe_users(many)
                ),
            );
            None
        }
    };
    let before = d.errors.len();
    let setup = ddns::resolve(options, &decl.domain, secret, |path, message| {
        d.error(format!("domainProvider.{path}"), message)
    });
    if d.errors.len() > before {
        return None;
    }
    setup.map(Addressing::Ddns)
}

/// How the mail host's own name resolves.
#[derive(Debug, Clone)]
enum HostAddress {
    StaticA(Ipv4Addr),
    /// The updater maintains it, through this updated name (itself or a
    /// wildcard above it).
    DdnsA(String),
    Cname(DomainName),
    ManualA,
}

fn host_address(
    addressing: &Addressing,
    name: &DomainName,
    domain: &DomainName,
    field: &str,
    d: &mut Diagnostics,
) -> Option<HostAddress> {
    Some(match addressing {
        Addressing::Static(ip) => HostAddress::StaticA(ip.addr()),
        Addressing::Manual => HostAddress::ManualA,
        Addressing::Ddns(setup) => {
            if let Some(covering) = setup.covering_name(name) {
                return Some(HostAddress::DdnsA(covering));
            }
            let Some(target) = setup.cname_target() else {
                d.error(
                    "domainProvider.hosts",
                    format!(
                        "lists only wildcards, so there is no name for {name} to point at; add a concrete label"
                    ),
                );
                return None;
            };
            if name == domain {
                d.error(
                    field,
                    format!(
                        "{name} is the zone apex; it would need a CNAME to {target}, which DNS forbids at the apex (RFC 1912 §2.4). Use mail.{domain}, or add \"@\" to domainProvider.hosts"
                    ),
                );
                return None;
            }
            HostAddress::Cname(target.clone())
        }
    })
}

/// The address records for `name` (A/CNAME), when it lies in the zone.
fn address_records(
    name: &DomainName,
    address: &HostAddress,
    setup: Option<&DdnsSetup>,
    records: &mut Vec<DnsRecord>,
) {
    match address {
        HostAddress::StaticA(ip) => {
            records.push(DnsRecord::publish(name.as_str(), RecordData::A(*ip)));
        }
        HostAddress::DdnsA(covering) => records.push(DnsRecord::pending(
            name.as_str(),
            "A",
            "<WAN IPv4>",
            RecordSource::DdnsUpdater,
            format!(
                "kept at the site's WAN address by ddns-updater on the dns VM ({}, updating {covering}); do not set by hand",
                setup.map(|s| s.provider.id()).unwrap_or("dyndns")
            ),
        )),
        HostAddress::Cname(target) => {
            records.push(DnsRecord::publish(name.as_str(), RecordData::Cname(target.clone())));
        }
        HostAddress::ManualA => records.push(DnsRecord::pending(
            name.as_str(),
            "A",
            "<WAN IPv4>",
            RecordSource::Operator,
            "nothing keeps this current (no publicIP, no domainProvider): set the site's WAN IPv4 at the registrar by hand",
        )),
    }
}

/// Plans a customer site.
pub fn plan(decl: &Declaration) -> Result<Planned, Error> {
    let mut d = Diagnostics::default();
    let domain = &decl.domain;
    let hostname = match &decl.mail_hostname {
        Some(name) => name.clone(),
        None => domain.child("mail").map_err(|_| {
            Error::single(
                "domain",
                format!("mail.{domain} would be longer than DNS allows (253 characters); set mailHostname"),
            )
        })?,
    };
    let hostname_in_zone = hostname.is_within(domain);

    let roles = classify_users(decl, &mut d);
    let inbound = resolve_inbound(decl, &mut d);
    let pmg = match &inbound {
        Some(Inbound::Pmg { host, ip }) => Some(PmgIdentity { host, ip: *ip }),
        _ => None,
    };
    let relay = resolve_relay(decl, &roles, pmg, &mut d);
    let addressing = resolve_addressing(decl, &roles, &mut d);

    if decl.ipv6_ptr && decl.public_ipv6.is_none() {
        d.error(
            "ipv6Ptr",
            "is true but publicIPv6 is not set; declare the IPv6 address whose PTR you set",
        );
    }

    let ddns_setup = match &addressing {
        Some(Addressing::Ddns(setup)) => Some(setup),
        _ => None,
    };
    let host_addr = addressing
        .as_ref()
        .and_then(|a| host_address(a, &hostname, domain, "mailHostname", &mut d));
    let publish_aaaa = decl.public_ipv6.filter(|_| decl.ipv6_ptr);
    if let (Some(v6), Some(HostAddress::Cname(target))) = (publish_aaaa, &host_addr) {
        d.error(
            "publicIPv6",
            format!(
                "{hostname} is a CNAME to the dyndns name {target}, and a CNAME cannot carry an AAAA ({} ) beside it (RFC 1034 §3.6.2); list {hostname}'s own label in domainProvider.hosts so it gets A records directly",
                v6.addr()
            ),
        );
    }

    // Records: the mail host, the PMG, MX, SPF, DKIM, DMARC.
    let mut records = Vec::new();
    if let Some(address) = &host_addr {
        if hostname_in_zone {
            address_records(&hostname, address, ddns_setup, &mut records);
            if let Some(v6) = publish_aaaa {
                records.push(DnsRecord::publish(
                    hostname.as_str(),
                    RecordData::Aaaa(v6.addr()),
                ));
            }
        } else {
            d.warn(format!(
                "mailHostname {hostname} is outside {domain}: publish its address records in its own zone; this sheet covers {domain} only"
            ));
        }
    }
    if let Some(v6) = decl.public_ipv6.filter(|_| !decl.ipv6_ptr) {
        d.warn(format!(
            "publicIPv6 {} is not published as AAAA: Gmail penalises an AAAA whose PTR does not resolve back to {hostname}. Have the ISP set the v6 PTR, then set ipv6Ptr = true",
            v6.addr()
        ));
    }
    let mail_target = match &host_addr {
        Some(HostAddress::Cname(target)) => target.clone(),
        _ => hostname.clone(),
    };
    let mut mx = Vec::new();
    let mut inbound_path = InboundPath::Direct { via_relay: false };
    let mut delivery = (25, None);
    match &inbound {
        Some(Inbound::SelfHosted) | None => mx.push(MxTarget {
            priority: 10,
            host: mail_target.clone(),
        }),
        Some(Inbound::Relay(hosts)) => {
            inbound_path = InboundPath::Direct { via_relay: true };
            // At most MAX_INBOUND_MX hosts (checked), so no priority
            // overflows; zip stops at the shorter side regardless.
            let priorities = (1..=MAX_INBOUND_MX).map(|n| n * 10);
            for ((i, host), priority) in hosts.iter().zip(priorities) {
                if let (true, Some(HostAddress::Cname(target))) = (host == &hostname, &host_addr) {
                    d.error(
                        format!("inbound.mx[{i}]"),
                        format!(
                            "{host} is a CNAME to the dyndns name {target} here, and an MX must not point at a CNAME (RFC 2181 §10.3); list {target} instead"
                        ),
                    );
                }
                mx.push(MxTarget {
                    priority,
                    host: host.clone(),
                });
            }
        }
        Some(Inbound::Pmg { host, ip }) => {
            delivery = (PMG_DELIVERY_PORT, Some(*ip));
            mx.push(MxTarget {
                priority: 10,
                host: host.clone(),
            });
            if is_public_v4(*ip) {
                inbound_path = InboundPath::RemotePmg(*ip);
                // A name the updater sets itself (not via a wildcard).
                let updated_by_ddns = ddns_setup.is_some_and(|s| {
                    s.hosts
                        .iter()
                        .any(|h| h.name_under(&s.zone).as_ref() == Some(host))
                });
                if host == &hostname || updated_by_ddns {
                    d.error(
                        "inbound.host",
                        format!(
                            "{host} already has the site's own address (mailHostname or domainProvider.hosts); a PMG on the internet ({ip}) needs its own name for the MX, e.g. pmg.{domain} (a PMG on the LAN takes its LAN address in inbound.ip)"
                        ),
                    );
                } else if host.is_within(domain) {
                    records.push(DnsRecord::publish(host.as_str(), RecordData::A(*ip)));
                }
            } else {
                inbound_path = InboundPath::LanPmg(*ip);
                if let Some(addressing) = &addressing {
                    match host_address(addressing, host, domain, "inbound.host", &mut d) {
                        Some(HostAddress::Cname(target)) => d.error(
                            "inbound.host",
                            format!(
                                "the PMG is on the LAN (inbound.ip {ip} is private), so its public name {host} must carry the WAN address itself; an MX cannot point at a CNAME to {target} (RFC 2181 §10.3). Add {host}'s label to domainProvider.hosts"
                            ),
                        ),
                        Some(address) if host.is_within(domain) && host != &hostname => {
                            address_records(host, &address, ddns_setup, &mut records);
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    for target in &mx {
        records.push(DnsRecord::publish(
            domain.as_str(),
            RecordData::Mx(target.priority, target.host.clone()),
        ));
    }

    let mut spf = SpfRecord::new(decl.spf.all);
    spf.push(SpfTerm::mx());
    // Standalone, the mail VM sends itself. When MX points elsewhere (an
    // inbound relay or a PMG), `mx` no longer covers it: name it.
    let mx_reaches_vm = mx
        .iter()
        .any(|t| t.host == mail_target || t.host == hostname);
    if relay.is_none() && !mx_reaches_vm {
        match &addressing {
            Some(Addressing::Static(ip)) => {
                spf.push(SpfTerm::ip4(ip.addr()));
                if let Some(v6) = publish_aaaa {
                    spf.push(SpfTerm::ip6(v6.addr()));
                }
            }
            Some(Addressing::Ddns(_) | Addressing::Manual) => {
                spf.push(SpfTerm::a(hostname.as_str()));
            }
            None => {}
        }
    }
    if let Some(relay) = &relay {
        match relay.host.private_ipv4() {
            Some(ip) if matches!(relay.provider, RelayProvider::Pmg | RelayProvider::Custom) => {
                let covered = if relay.provider == RelayProvider::Pmg {
                    " (a PMG sending through the site's WAN address is covered by mx)"
                } else {
                    ""
                };
                d.warn(format!(
                    "{}: {ip} is not a public address, so SPF leaves out ip4:{ip}; add the relay's public sending address to spf.extra{covered}",
                    relay_host_path(decl, &roles)
                ));
            }
            _ => spf.push(relay.provider.spf_term(&relay.host)),
        }
    }
    for term in &decl.spf.extra {
        spf.push(term.clone());
    }
    if let Err(message) = spf.check_lookup_budget() {
        d.error("spf.extra", message);
    }
    if spf.uses_ptr() {
        d.warn("spf.extra: the ptr mechanism is slow and unreliable (RFC 7208 §5.5 says do not use it); list ip4:/a: terms instead");
    }
    let spf_text = spf.to_string();
    records.push(DnsRecord::publish(
        domain.as_str(),
        RecordData::Txt(spf_text.clone()),
    ));

    let selector = decl.dkim_selector.as_str();
    let dkim = DkimPlan {
        selector: selector.to_string(),
        domain: domain.clone(),
        record_name: format!("{selector}._domainkey.{domain}"),
        key_directory: format!("/var/lib/opendkim/keys/{domain}"),
        private_key_file: format!("/var/lib/opendkim/keys/{domain}/{selector}.private"),
        public_record_file: format!("/var/lib/opendkim/{domain}.txt"),
    };
    records.push(DnsRecord::pending(
        dkim.record_name.clone(),
        "TXT",
        format!("v=DKIM1; k=rsa; p=<public key from {}>", dkim.public_record_file),
        RecordSource::MailVm,
        format!(
            "generated on the mail VM's first boot: ssh root@<mail-vm> cat {} and publish that record",
            dkim.public_record_file
        ),
    ));

    let rua = decl
        .dmarc
        .rua
        .as_ref()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| {
            EmailAddress::parse(&format!("postmaster@{domain}"))
                .expect("postmaster@<validated domain> is an address")
        });
    if !rua.domain().is_within(domain) {
        d.warn(format!(
            "dmarc.rua {rua} is outside {domain}: receivers only send reports there if {} publishes TXT \"v=DMARC1\" at {domain}._report._dmarc.{} (RFC 7489 §7.1)",
            rua.domain(),
            rua.domain()
        ));
    }
    let policy = match decl.dmarc.policy {
        crate::declaration::DmarcPolicy::None => "none",
        crate::declaration::DmarcPolicy::Quarantine => "quarantine",
        crate::declaration::DmarcPolicy::Reject => "reject",
    };
    let dmarc = format!("v=DMARC1; p={policy}; rua=mailto:{rua}");
    records.push(DnsRecord::publish(
        format!("_dmarc.{domain}"),
        RecordData::Txt(dmarc.clone()),
    ));

    // The decision tree (guide: "Quick decision tree").
    let mode = if relay.is_some() {
        Mode::Smarthost
    } else {
        Mode::Standalone
    };
    match (&relay, &addressing) {
        (None, Some(addressing)) => {
            if !matches!(addressing, Addressing::Static(_)) {
                d.warn(format!(
                    "standalone without a static public IPv4 (publicIP): the address is dynamic, so no PTR can match {hostname} and Gmail / Outlook will drop or quarantine mail. Use a smarthost (mailRelay) instead"
                ));
            }
            match decl.isp.rdns {
                Some(false) => d.warn(format!(
                    "standalone with isp.rdns = false: without a PTR for the public IPv4 that matches {hostname}, Gmail / Outlook drop or quarantine mail. Ask the ISP for rDNS, or use a smarthost"
                )),
                None => {
                    if let Addressing::Static(ip) = addressing {
                        d.warn(format!(
                            "standalone: verify rDNS with `dig -x {}` (it must answer {hostname}), then set isp.rdns = true",
                            ip.addr()
                        ));
                    }
                }
                Some(true) => {}
            }
            match decl.isp.port25_outbound {
                Some(false) => d.warn(
                    "standalone with isp.port25Outbound = false: the ISP blocks outbound port 25, so the mail VM cannot deliver at all. Use a smarthost (mailRelay)",
                ),
                None => d.warn(
                    "standalone: verify that the ISP lets port 25 out with `nc -vz -w 5 gmail-smtp-in.l.google.com 25` from the mail VM, then set isp.port25Outbound = true (if it times out, use a smarthost)",
                ),
                Some(true) => {}
            }
        }
        (Some(relay), _) => {
            if let Some(hint) = relay.provider.dkim_hint() {
                d.warn(format!(
                    "{hint}; the mail VM's own {selector}._domainkey record stays valid beside it"
                ));
            }
            if relay.provider == RelayProvider::Custom && relay.host.private_ipv4().is_none() {
                d.warn(format!(
                    "{} is not a provider mailplan knows: SPF authorises {} only; if the relay sends from other addresses, add its SPF include to spf.extra",
                    relay.host,
                    relay.provider.spf_term(&relay.host)
                ));
            }
        }
        (None, None) => {}
    }
    if let Some(relay) = relay
        .as_ref()
        .filter(|r| r.provider == RelayProvider::Microsoft365 && r.user.is_some())
    {
        d.warn(format!(
            "{}: Microsoft is retiring Basic authentication for SMTP AUTH in Exchange Online, and the password login fails (5.7.139 / 5.7.30) once the tenant disables it. Confirm Authenticated SMTP is on for the mailbox; plan a move to an Exchange Online connector (<tenant>.mail.protection.outlook.com:25, authorised by the site's static IP or a certificate) or another provider",
            relay.host
        ));
    }
    if matches!(addressing, Some(Addressing::Manual)) {
        d.warn(format!(
            "no publicIP and no domainProvider: nothing updates the A records ({hostname} and others marked manual); keep them at the WAN IPv4 by hand, or declare publicIP or domainProvider"
        ));
    }

    if !d.inline_secrets.is_empty()
        || roles
            .mailboxes
            .iter()
            .any(|(_, _, u, _)| u.password.is_some())
    {
        let mut paths = d.inline_secrets.clone();
        for (i, ..) in roles
            .mailboxes
            .iter()
            .filter(|(_, _, u, _)| u.password.is_some())
        {
            let path = format!("users[{i}].password");
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
        d.warn(format!(
            "inline passwords land in the world-readable Nix store (lab posture): {}. Use passwordFile (e.g. /run/secrets/relay-pass from sops-nix) to keep them out",
            paths.join(", ")
        ));
    }

    // The rules above keep MX off CNAMEs; should one ever miss a case,
    // refuse the plan rather than publish a broken zone.
    if d.errors.is_empty() && mx_at_a_cname(&mx, &records) {
        d.error(
            "inbound",
            "internal check failed: an MX target is a CNAME (RFC 2181 §10.3); please report this mailplan bug",
        );
    }
    if !d.errors.is_empty() {
        return Err(Error::from_problems(d.errors));
    }
    let addressing = addressing.expect("addressing resolves when there are no errors");

    let tls_dir = format!("/var/lib/acme/{hostname}");
    let tls = TlsPlan {
        mode: decl.tls,
        cert_file: format!("{tls_dir}/fullchain.pem"),
        key_file: format!("{tls_dir}/key.pem"),
        directory: tls_dir,
    };
    let relay_sasl = relay.as_ref().is_some_and(|r| r.user.is_some());
    let main = postfix::main_cf(PostfixInputs {
        domain,
        hostname: &hostname,
        relay: relay.as_ref().map(|r| (&r.host, r.port)),
        relay_sasl,
        tls_cert_file: &tls.cert_file,
        tls_key_file: &tls.key_file,
        ipv6_identity: publish_aaaa.is_some(),
    });
    let postfix_plan = PostfixPlan {
        relayhost: relay
            .as_ref()
            .map(|r| postfix::relayhost(&r.host, r.port))
            .unwrap_or_default(),
        main,
        sasl_password_map: relay_sasl.then(|| SASL_PASSWORD_MAP.to_string()),
    };

    let firewall_inputs = FirewallInputs {
        inbound: inbound_path,
        internal_clients_only: decl.internal_clients_only,
        webmail: decl.webmail,
        tls: decl.tls,
    };

    let (ddns_plan, ddns_secret) = match &addressing {
        Addressing::Static(ip) => (
            DdnsPlan::disabled(format!(
                "publicIP {} is static: set the A record once at the registrar; no updater needed",
                ip.addr()
            )),
            None,
        ),
        Addressing::Manual => (
            DdnsPlan::disabled(
                "no publicIP and no domainProvider: nothing updates the A record; it is manual"
                    .to_string(),
            ),
            None,
        ),
        Addressing::Ddns(setup) => (setup.plan(&hostname, domain), Some(setup.secret.clone())),
    };

    let secrets = Secrets {
        relay: relay.as_ref().and_then(|r| {
            Some(RelayCredential {
                map_key: postfix::relayhost(&r.host, r.port),
                user: r.user.clone()?,
                password: r.password.clone()?,
            })
        }),
        ddns: ddns_secret,
        mailboxes: roles
            .mailboxes
            .iter()
            .map(|(_, address, _, secret)| (address.clone(), secret.clone()))
            .collect(),
    };

    let plan = Plan {
        format: PLAN_FORMAT,
        name: decl.name.as_str().to_string(),
        domain: domain.clone(),
        mode,
        hostname: hostname.clone(),
        relay: relay.map(|r| RelayPlan {
            implicit_tls: is_implicit_tls_port(r.port),
            credential_hint: r.provider.credential_hint(),
            password_file: r.password.as_ref().and_then(SecretSource::file).cloned(),
            host: r.host,
            port: r.port,
            user: r.user,
            source: r.source,
            provider: r.provider,
        }),
        postfix: postfix_plan,
        spf: spf_text,
        dmarc,
        dkim,
        tls,
        webmail: decl.webmail,
        inbound: InboundPlan {
            kind: decl.inbound.kind,
            mx,
            delivery_port: delivery.0,
            delivery_from: delivery.1,
        },
        mailboxes: roles
            .mailboxes
            .iter()
            .map(|(_, address, user, secret)| MailboxPlan {
                address: address.clone(),
                user: user.name.clone(),
                password_file: secret.file().cloned(),
            })
            .collect(),
        ddns: ddns_plan,
        dns_records: records,
        firewall: firewall::wan_forwards(firewall_inputs),
        vm_firewall: firewall::vm_ports(firewall_inputs),
        warnings: d.warnings,
    };
    Ok(Planned { plan, secrets })
}

/// RFC 2181 §10.3: no MX target may be the owner of a CNAME in the sheet.
pub fn mx_never_points_at_a_cname(plan: &Plan) -> bool {
    !mx_at_a_cname(&plan.inbound.mx, &plan.dns_records)
}

fn mx_at_a_cname(mx: &[MxTarget], records: &[DnsRecord]) -> bool {
    records.iter().any(|r| {
        matches!(r.data, RecordData::Cname(_)) && mx.iter().any(|t| r.name == t.host.as_str())
    })
}
