//! Stage 1: the declaration resolved into a [`Site`]: the host name, the
//! users by role, inbound, the relay, the addressing and the host's own
//! address.

use crate::declaration::{Declaration, RelayHost};
use crate::error::Error;
use crate::names::{DomainName, PublicIpv6};
use crate::provider::PmgIdentity;

use super::{
    Addressing, Diagnostics, HostAddress, Inbound, Relay, UserRoles, check_record_names,
    classify_users, host_address, relay_host_path, relay_is_this_vm, resolve_addressing,
    resolve_inbound, resolve_relay,
};

/// The declaration after the rules that relate its fields: what every
/// later stage reads instead of the raw declaration's fields.
pub(super) struct Site<'a> {
    /// The declaration itself, for the fields taken as they are.
    pub(super) decl: &'a Declaration,
    /// `mailHostname`, or `mail.<domain>`.
    pub(super) hostname: DomainName,
    /// The directory users by role.
    pub(super) roles: UserRoles<'a>,
    /// Where inbound mail is received (`None` after an error).
    pub(super) inbound: Option<Inbound>,
    /// The relay after precedence and validation (`None`: standalone, or
    /// an error).
    pub(super) relay: Option<Relay>,
    /// How the host's address is published (`None` after an error).
    pub(super) addressing: Option<Addressing>,
    /// How the host name resolves (`None` after an error).
    pub(super) host_addr: Option<HostAddress>,
    /// The IPv6 address published as AAAA (declared, and its PTR set).
    pub(super) publish_aaaa: Option<PublicIpv6>,
}

impl Site<'_> {
    /// The mail domain.
    pub(super) fn domain(&self) -> &DomainName {
        &self.decl.domain
    }

    /// The dyndns setup, when the address is kept by the updater.
    pub(super) fn ddns_setup(&self) -> Option<&crate::ddns::DdnsSetup> {
        match &self.addressing {
            Some(Addressing::Ddns(setup)) => Some(setup),
            _ => None,
        }
    }
}

/// Resolves the host name, the record names' lengths, the users' roles,
/// inbound, the relay, the addressing, the IPv6 rules and the host's own
/// address. Fails at once only when there is no host name; every other
/// problem is collected in `d`.
pub(super) fn resolve_site<'a>(
    decl: &'a Declaration,
    d: &mut Diagnostics,
) -> Result<Site<'a>, Error> {
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
    check_record_names(decl, d);

    let roles = classify_users(decl, d);
    let inbound = resolve_inbound(decl, d);
    let pmg = match &inbound {
        Some(Inbound::Pmg { host, ip }) => Some(PmgIdentity { host, ip: *ip }),
        _ => None,
    };
    let relay = resolve_relay(decl, &hostname, &roles, pmg, d);
    let addressing = resolve_addressing(decl, &roles, d);
    // A name the updater keeps at the WAN address reaches the VM too.
    if let (Some(relay), Some(Addressing::Ddns(setup))) = (&relay, &addressing)
        && let RelayHost::Name(name) = &relay.host
        && let Some(updated) = setup.covering_name(name)
    {
        let why = format!("{name} is kept at this site's WAN address by ddns-updater ({updated})");
        relay_is_this_vm(&why, relay.port, &relay_host_path(decl, &roles), d);
    }

    if decl.ipv6_ptr && decl.public_ipv6.is_none() {
        d.error(
            "ipv6Ptr",
            "is true but publicIPv6 is not set; declare the IPv6 address whose PTR you set",
        );
    }

    let host_addr = addressing
        .as_ref()
        .and_then(|a| host_address(a, &hostname, domain, "mailHostname", d));
    let publish_aaaa = decl.public_ipv6.filter(|_| decl.ipv6_ptr);
    if let (Some(v6), Some(HostAddress::Cname(target))) = (publish_aaaa, &host_addr) {
        d.error(
            "publicIPv6",
            format!(
                "{hostname} is a CNAME to the dyndns name {target}, and a CNAME cannot carry an AAAA ({}) beside it (RFC 1034 §3.6.2); list {hostname}'s own label in domainProvider.hosts so it gets A records directly",
                v6.addr()
            ),
        );
    }
    Ok(Site {
        decl,
        hostname,
        roles,
        inbound,
        relay,
        addressing,
        host_addr,
        publish_aaaa,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site_of(json: &str, check: impl FnOnce(&Site<'_>, &Diagnostics)) {
        let decl = crate::from_json(json).unwrap();
        let mut d = Diagnostics::default();
        let site = resolve_site(&decl, &mut d).unwrap();
        check(&site, &d);
    }

    #[test]
    fn the_host_name_defaults_to_mail_under_the_domain() {
        site_of(
            r#"{ "name": "X", "domain": "example.com", "publicIP": "203.0.113.5" }"#,
            |site, d| {
                assert_eq!(site.hostname.as_str(), "mail.example.com");
                assert!(site.relay.is_none());
                assert!(matches!(site.addressing, Some(Addressing::Static(_))));
                assert!(matches!(site.host_addr, Some(HostAddress::StaticA(_))));
                assert!(matches!(site.inbound, Some(Inbound::SelfHosted)));
                assert!(d.errors.is_empty(), "{:?}", d.errors);
            },
        );
    }

    #[test]
    fn a_relay_and_an_aaaa_are_resolved() {
        site_of(
            r#"{ "name": "X", "domain": "example.com", "publicIP": "203.0.113.5",
                 "mailHostname": "mx.example.com",
                 "publicIPv6": "2001:db8::5", "ipv6Ptr": true,
                 "mailRelay": { "host": "smtp.sendgrid.net", "user": "apikey",
                                "passwordFile": "/run/secrets/relay-pass" } }"#,
            |site, d| {
                assert_eq!(site.hostname.as_str(), "mx.example.com");
                assert_eq!(site.relay.as_ref().unwrap().port.get(), 587);
                assert!(site.publish_aaaa.is_some());
                assert!(d.errors.is_empty(), "{:?}", d.errors);
            },
        );
    }

    #[test]
    fn ipv6_ptr_without_an_address_is_an_error() {
        site_of(
            r#"{ "name": "X", "domain": "example.com", "publicIP": "203.0.113.5",
                 "ipv6Ptr": true }"#,
            |site, d| {
                assert!(site.publish_aaaa.is_none());
                assert_eq!(d.errors.len(), 1);
                assert_eq!(d.errors[0].path, "ipv6Ptr");
            },
        );
    }

    #[test]
    fn a_domain_too_long_for_a_mail_host_name_fails_at_once() {
        let label = "a".repeat(63);
        let domain = format!("{label}.{label}.{label}.{}.com", "b".repeat(55));
        let decl = crate::from_json(&format!(
            r#"{{ "name": "X", "domain": "{domain}", "publicIP": "203.0.113.5" }}"#
        ))
        .unwrap();
        let mut d = Diagnostics::default();
        assert!(resolve_site(&decl, &mut d).is_err());
    }
}
