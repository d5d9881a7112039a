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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::Diagnostics;
    use crate::build::site::resolve_site;
    use crate::plan::Mode;

    const SENDGRID: &str = r#"{ "name": "X", "domain": "example.com", "publicIP": "203.0.113.5",
        "mailRelay": { "host": "smtp.sendgrid.net", "user": "apikey",
                       "passwordFile": "/run/secrets/sg" } }"#;

    fn with_site(json: &str, check: impl FnOnce(Site<'_>)) {
        let decl = crate::from_json(json).unwrap();
        let mut d = Diagnostics::default();
        let site = resolve_site(&decl, &mut d).unwrap();
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        check(site);
    }

    #[test]
    fn tls_lives_under_the_host_name() {
        with_site(SENDGRID, |site| {
            let tls = tls_plan(&site);
            assert_eq!(tls.directory, "/var/lib/acme/mail.example.com");
            assert_eq!(
                tls.cert_file,
                "/var/lib/acme/mail.example.com/fullchain.pem"
            );
        });
    }

    #[test]
    fn postfix_relays_with_sasl_when_the_relay_has_a_user() {
        with_site(SENDGRID, |site| {
            let postfix = postfix_plan(&site, &tls_plan(&site));
            assert_eq!(postfix.relayhost, "[smtp.sendgrid.net]:587");
            assert!(postfix.sasl_password_map.is_some());
        });
        with_site(
            r#"{ "name": "X", "domain": "example.com", "publicIP": "203.0.113.5" }"#,
            |site| {
                let postfix = postfix_plan(&site, &tls_plan(&site));
                assert_eq!(postfix.relayhost, "");
                assert!(postfix.sasl_password_map.is_none());
            },
        );
    }

    #[test]
    fn a_static_address_needs_no_updater() {
        with_site(SENDGRID, |site| {
            let addressing = site.addressing.as_ref().unwrap();
            let (plan, secret) = ddns_plan(addressing, &site.hostname, site.domain());
            assert!(!plan.enabled);
            assert!(plan.reason.starts_with("publicIP 203.0.113.5 is static"));
            assert!(secret.is_none());
        });
    }

    #[test]
    fn the_relay_credential_is_keyed_by_the_relayhost() {
        with_site(SENDGRID, |site| {
            let secrets = collect_secrets(&site, None);
            let relay = secrets.relay.unwrap();
            assert_eq!(relay.map_key, "[smtp.sendgrid.net]:587");
            assert_eq!(relay.user.as_str(), "apikey");
            assert!(secrets.mailboxes.is_empty());
        });
    }

    #[test]
    fn assembly_keeps_the_parts_and_sets_the_mode() {
        with_site(SENDGRID, |site| {
            let mut d = Diagnostics::default();
            let (path, records) = crate::build::records::inbound_mx(&site, &mut d);
            let tls = tls_plan(&site);
            let postfix = postfix_plan(&site, &tls);
            let (ddns, _) = ddns_plan(
                site.addressing.as_ref().unwrap(),
                &site.hostname,
                site.domain(),
            );
            let parts = Parts {
                path,
                records,
                spf: "v=spf1 mx -all".into(),
                dmarc: "v=DMARC1; p=none".into(),
                dkim: crate::build::records::dkim_plan(site.decl),
                tls,
                postfix,
                ddns,
                warnings: vec!["w".into()],
            };
            let plan = assemble(site, parts);
            assert_eq!(plan.mode, Mode::Smarthost);
            assert_eq!(plan.spf, "v=spf1 mx -all");
            assert_eq!(plan.warnings, ["w"]);
            assert_eq!(plan.dns_records.len(), 1);
            assert_eq!(plan.relay.unwrap().port.get(), 587);
        });
    }
}
