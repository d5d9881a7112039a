//! Stage 4: the plan of a site without errors: TLS, postfix, the
//! firewall, dyndns, the secrets and the assembled [`Plan`].

use crate::dns::DnsRecord;
use crate::firewall::{self, FirewallInputs};
use crate::names::DomainName;
use crate::plan::{
    DdnsPlan, DkimPlan, InboundPlan, MailboxPlan, Mode, PLAN_FORMAT, Plan, PostfixPlan, RelayPlan,
    TlsPlan,
};
use crate::postfix::{self, PostfixInputs, SASL_PASSWORD_MAP};
use crate::provider::is_implicit_tls_port;
use crate::secret::SecretSource;

use super::records::MailPath;
use super::site::Site;
use super::{Addressing, RelayCredential, Secrets};

/// Where the ACME certificate for the host name lives.
pub(super) fn tls_plan(site: &Site<'_>) -> TlsPlan {
    let hostname = &site.hostname;
    let tls_dir = format!("/var/lib/acme/{hostname}");
    TlsPlan {
        mode: site.decl.tls,
        cert_file: format!("{tls_dir}/fullchain.pem"),
        key_file: format!("{tls_dir}/key.pem"),
        directory: tls_dir,
    }
}

/// Postfix's `relayhost`, `main.cf` and SASL map for the site.
pub(super) fn postfix_plan(site: &Site<'_>, tls: &TlsPlan) -> PostfixPlan {
    let relay = &site.relay;
    let relay_sasl = relay.as_ref().is_some_and(|r| r.user.is_some());
    let main = postfix::main_cf(PostfixInputs {
        domain: site.domain(),
        hostname: &site.hostname,
        relay: relay.as_ref().map(|r| (&r.host, r.port)),
        relay_sasl,
        tls_cert_file: &tls.cert_file,
        tls_key_file: &tls.key_file,
        ipv6_identity: site.publish_aaaa.is_some(),
    });
    PostfixPlan {
        relayhost: relay
            .as_ref()
            .map(|r| postfix::relayhost(&r.host, r.port))
            .unwrap_or_default(),
        main,
        sasl_password_map: relay_sasl.then(|| SASL_PASSWORD_MAP.to_string()),
    }
}

/// The dyndns updater's plan (disabled for a static or manual address),
/// and its secret.
pub(super) fn ddns_plan(
    addressing: &Addressing,
    hostname: &DomainName,
    domain: &DomainName,
) -> (DdnsPlan, Option<SecretSource>) {
    match addressing {
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
        Addressing::Ddns(setup) => (setup.plan(hostname, domain), Some(setup.secret.clone())),
    }
}

/// Every secret the plan refers to: the relay's credential, the dyndns
/// secret and the mailbox passwords.
pub(super) fn collect_secrets(site: &Site<'_>, ddns_secret: Option<SecretSource>) -> Secrets {
    Secrets {
        relay: site.relay.as_ref().and_then(|r| {
            Some(RelayCredential {
                map_key: postfix::relayhost(&r.host, r.port),
                user: r.user.clone()?,
                password: r.password.clone()?,
            })
        }),
        ddns: ddns_secret,
        mailboxes: site
            .roles
            .mailboxes
            .iter()
            .map(|(_, address, _, secret)| (address.clone(), secret.clone()))
            .collect(),
    }
}

/// The parts of the plan made by the earlier stages.
pub(super) struct Parts {
    pub(super) path: MailPath,
    pub(super) records: Vec<DnsRecord>,
    pub(super) spf: String,
    pub(super) dmarc: String,
    pub(super) dkim: DkimPlan,
    pub(super) tls: TlsPlan,
    pub(super) postfix: PostfixPlan,
    pub(super) ddns: DdnsPlan,
    pub(super) warnings: Vec<String>,
}

/// The printable plan: the site, its parts, the mode and the firewall.
pub(super) fn assemble(site: Site<'_>, parts: Parts) -> Plan {
    let decl = site.decl;
    let relay = site.relay;
    let roles = site.roles;
    let mode = if relay.is_some() {
        Mode::Smarthost
    } else {
        Mode::Standalone
    };
    let firewall_inputs = FirewallInputs {
        inbound: parts.path.inbound_path,
        internal_clients_only: decl.internal_clients_only,
        webmail: decl.webmail,
        tls: decl.tls,
    };
    Plan {
        format: PLAN_FORMAT,
        name: decl.name.as_str().to_string(),
        domain: decl.domain.clone(),
        mode,
        hostname: site.hostname,
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
        postfix: parts.postfix,
        spf: parts.spf,
        dmarc: parts.dmarc,
        dkim: parts.dkim,
        tls: parts.tls,
        webmail: decl.webmail,
        inbound: InboundPlan {
            kind: decl.inbound.kind,
            mx: parts.path.mx,
            delivery_port: parts.path.delivery.0,
            delivery_from: parts.path.delivery.1,
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
        ddns: parts.ddns,
        dns_records: parts.records,
        firewall: firewall::wan_forwards(firewall_inputs),
        vm_firewall: firewall::vm_ports(firewall_inputs),
        warnings: parts.warnings,
    }
}
