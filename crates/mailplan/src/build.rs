//! From a declaration to a plan: the rules that relate several fields
//! (relay precedence, roles, dyndns versus static IP, the record sheet,
//! the decision tree) and the assembly of the [`Plan`].

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use crate::ddns::{self, DdnsSetup};
use crate::declaration::{Declaration, InboundKind, Login, Port, RelayHost, Role, User};
use crate::dns::{DnsRecord, RecordData, RecordSource};
use crate::error::{Error, FieldError};
use crate::firewall::PMG_DELIVERY_PORT;
use crate::names::{DomainName, EmailAddress, MAX_NAME_LEN, PublicIpv4, Selector, list_at_most};
use crate::plan::{MxTarget, Plan, RelaySource};
use crate::provider::{PmgIdentity, RelayProvider, check_credentials};
use crate::secret::{SecretPath, SecretSource};

mod assembly;
mod checks;
mod records;
mod site;

use assembly::{Parts, assemble, collect_secrets, ddns_plan, postfix_plan, tls_plan};
use checks::{decision_tree_warnings, secret_warnings};
use records::{dkim_plan, dkim_record, dmarc_record, host_records, inbound_mx, spf_record};
use site::resolve_site;

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
        // Pushed in declaration order, so sorted by index.
        self.mailboxes
            .binary_search_by_key(&i, |(j, ..)| *j)
            .is_ok()
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
    list_at_most(users.iter().map(|(i, user, _)| user_label(*i, user)), 5)
}

fn classify_users<'a>(decl: &'a Declaration, d: &mut Diagnostics) -> UserRoles<'a> {
    let mut roles = UserRoles::default();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    // The mailboxes' (lowercase) local parts, to find one declared twice.
    let mut mailbox_of_local: HashMap<String, usize> = HashMap::new();
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
            let first = address
                .as_ref()
                .and_then(|address| mailbox_of_local.get(address.local()).copied());
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
                (Some(address), Some(secret)) => {
                    mailbox_of_local.insert(address.local().to_string(), i);
                    roles.mailboxes.push((i, address, user, secret));
                }
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

/// A relay that reaches the mail VM itself (`why` says how): refused on a
/// port the VM's own postfix listens on, where every message would loop;
/// on another port, taken for a local tunnel and warned about.
fn relay_is_this_vm(why: &str, port: Port, host_path: &str, d: &mut Diagnostics) {
    let port = port.get();
    if MAIL_VM_SMTP_PORTS.contains(&port) {
        d.error(
            host_path.to_string(),
            format!(
                "{why}, the mail VM itself, and its own postfix listens on port {port}: postfix would bounce every message with \"mail loops back to myself\". Name the relay that should carry the mail, or remove the relay to send directly (standalone)"
            ),
        );
    } else {
        d.warn(format!(
            "{host_path}: {why}, the mail VM itself: something other than postfix (a tunnel such as stunnel or an SSH forward) must listen on port {port} and pass the mail on"
        ));
    }
}

/// The field path of the chosen relay's host.
fn relay_host_path(decl: &Declaration, roles: &UserRoles<'_>) -> String {
    match (&decl.mail_relay, roles.relay.as_slice()) {
        (None, [(i, ..)]) => format!("users[{i}].relay.host"),
        _ => "mailRelay.host".to_string(),
    }
}

/// The ports the mail VM's own postfix listens on: SMTP, the PMG's
/// delivery port, submissions (webmail's) and submission.
const MAIL_VM_SMTP_PORTS: [u16; 4] = [25, PMG_DELIVERY_PORT, 465, 587];

/// Field paths of the relay's parts, for errors.
struct RelayPaths {
    host: String,
    user: String,
    password: String,
    port: String,
}

fn resolve_relay(
    decl: &Declaration,
    hostname: &DomainName,
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
            host: "mailRelay.host".into(),
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
                    host: format!("users[{i}].relay.host"),
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
    let this_vm = match &relay.host {
        RelayHost::Name(name) if name == hostname => Some(format!("{name} is mailHostname")),
        RelayHost::Ipv4(ip) if decl.public_ip.is_some_and(|own| own.addr() == *ip) => {
            Some(format!("{ip} is publicIP"))
        }
        host if host.is_this_machine() => Some(format!("{host} is this machine")),
        _ => None,
    };
    if let Some(why) = this_vm {
        relay_is_this_vm(&why, relay.port, &paths.host, d);
    }
    let custom = matches!(relay.provider, RelayProvider::Pmg | RelayProvider::Custom);
    if relay.port.get() == 25
        && custom
        && relay.host.private_ipv4().is_none()
        && decl.isp.port25_outbound == Some(false)
    {
        d.warn(format!(
            "{}: the relay is on port 25, but isp.port25Outbound = false says the ISP blocks outbound 25; unless {} is reached without crossing the ISP, use its submission port (587)",
            paths.port, relay.host
        ));
    }
    if relay.port.get() == 25 && !custom {
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

/// The sheet's fixed owners below the domain (`_dmarc.`, the DKIM
/// selector's) must fit DNS's 253 characters, or no DNS server loads the
/// zone.
fn check_record_names(decl: &Declaration, d: &mut Diagnostics) {
    let domain = decl.domain.as_str();
    let dmarc = format!("_dmarc.{domain}");
    if dmarc.len() > MAX_NAME_LEN {
        d.error(
            "domain",
            format!(
                "is {} characters long, so its DMARC record name _dmarc.<domain> would be {}; DNS allows at most {MAX_NAME_LEN}. A mail domain can be at most {} characters",
                domain.len(),
                dmarc.len(),
                MAX_NAME_LEN - "_dmarc.".len()
            ),
        );
        return;
    }
    let selector = decl.dkim_selector.as_str();
    let dkim = format!("{selector}._domainkey.{domain}");
    if dkim.len() > MAX_NAME_LEN {
        let room = MAX_NAME_LEN.saturating_sub("._domainkey.".len() + domain.len());
        d.error(
            if decl.dkim_selector == Selector::default() {
                "domain"
            } else {
                "dkimSelector"
            },
            format!(
                "the DKIM record name {selector}._domainkey.<domain> would be {} characters long; DNS allows at most {MAX_NAME_LEN}, which leaves {room} for the selector with this domain",
                dkim.len()
            ),
        );
    }
}

/// The `mailto:` URI of a report address (RFC 6068), its local part
/// percent-encoded except for unreserved characters and `+`: in a DMARC
/// record `!` and `,` must be encoded (RFC 7489 §6.2), and `?`, `#`, `%`
/// would change what a URI parser reads.
fn mailto_uri(address: &EmailAddress) -> String {
    let mut uri = String::from("mailto:");
    for byte in address.local().bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~+".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri.push('@');
    uri.push_str(address.domain().as_str());
    uri
}

/// Plans a customer site: resolves the site, derives its records and
/// mail path, weighs the whole, and assembles the plan when nothing is
/// wrong. Errors and warnings come out in the order of these stages.
pub fn plan(decl: &Declaration) -> Result<Planned, Error> {
    let mut d = Diagnostics::default();
    let site = resolve_site(decl, &mut d)?;

    // Records: the mail host, the PMG, MX, SPF, DKIM, DMARC.
    let mut records = host_records(&site, &mut d);
    let (path, mx_records) = inbound_mx(&site, &mut d);
    records.extend(mx_records);
    let spf = spf_record(&site, &path, &mut d);
    records.push(DnsRecord::publish(
        decl.domain.as_str(),
        RecordData::Txt(spf.clone()),
    ));
    let dkim = dkim_plan(decl);
    records.push(dkim_record(&dkim));
    let dmarc = dmarc_record(&site, &mut d);
    records.push(DnsRecord::publish(
        format!("_dmarc.{}", decl.domain),
        RecordData::Txt(dmarc.clone()),
    ));

    decision_tree_warnings(&site, &mut d);
    secret_warnings(&site, &mut d);

    // The rules above keep MX off CNAMEs; should one ever miss a case,
    // refuse the plan rather than publish a broken zone.
    if d.errors.is_empty() && mx_at_a_cname(&path.mx, &records) {
        d.error(
            "inbound",
            "internal check failed: an MX target is a CNAME (RFC 2181 §10.3); please report this mailplan bug",
        );
    }
    if !d.errors.is_empty() {
        return Err(Error::from_problems(d.errors));
    }
    let addressing = site
        .addressing
        .as_ref()
        .expect("addressing resolves when there are no errors");

    let tls = tls_plan(&site);
    let postfix = postfix_plan(&site, &tls);
    let (ddns, ddns_secret) = ddns_plan(addressing, &site.hostname, &decl.domain);
    let secrets = collect_secrets(&site, ddns_secret);
    let parts = Parts {
        path,
        records,
        spf,
        dmarc,
        dkim,
        tls,
        postfix,
        ddns,
        warnings: d.warnings,
    };
    Ok(Planned {
        plan: assemble(site, parts),
        secrets,
    })
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
