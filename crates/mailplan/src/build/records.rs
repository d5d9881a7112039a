//! Stage 2: the records and the mail path of a resolved [`Site`]: the
//! host's address records, MX and the inbound path, SPF, DKIM and DMARC.

use std::net::Ipv4Addr;

use crate::declaration::Declaration;
use crate::dns::{DnsRecord, RecordData, RecordSource};
use crate::firewall::{InboundPath, PMG_DELIVERY_PORT};
use crate::names::{DomainName, EmailAddress, is_public_v4, list_at_most};
use crate::plan::{DkimPlan, MxTarget};
use crate::provider::{RelayProvider, nested_lookups_of_include};
use crate::spf::{self, MAX_DNS_LOOKUPS, SpfRecord, SpfTerm};

use super::site::Site;
use super::{
    Addressing, Diagnostics, HostAddress, Inbound, MAX_INBOUND_MX, address_records, host_address,
    mailto_uri, relay_host_path,
};

/// Where inbound mail arrives and how it reaches the mail VM.
pub(super) struct MailPath {
    /// The MX targets, by priority.
    pub(super) mx: Vec<MxTarget>,
    /// What the firewall lets in, and from where.
    pub(super) inbound_path: InboundPath,
    /// The port inbound mail is delivered to on the mail VM, and the
    /// only address it is accepted from (a PMG), if any.
    pub(super) delivery: (u16, Option<Ipv4Addr>),
    /// The name that carries the mail VM's address: the host name, or
    /// the dyndns name it is a CNAME to.
    pub(super) mail_target: DomainName,
}

/// The mail host's own address records (A/CNAME, and AAAA), when it lies
/// in the zone; warns when it does not, and when an IPv6 address is
/// declared but not published.
pub(super) fn host_records(site: &Site<'_>, d: &mut Diagnostics) -> Vec<DnsRecord> {
    let decl = site.decl;
    let domain = site.domain();
    let hostname = &site.hostname;
    let hostname_in_zone = hostname.is_within(domain);
    let publish_aaaa = site.publish_aaaa;
    let mut records = Vec::new();
    if let Some(address) = &site.host_addr {
        if hostname_in_zone {
            address_records(hostname, address, site.ddns_setup(), &mut records);
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
        // The dyndns name the host is a CNAME to, when the updater keeps
        // it in this zone: the sheet says who sets its A, or the CNAME and
        // the MX at that name would lead to a name without a record.
        if let HostAddress::Cname(target) = address
            && target.is_within(domain)
        {
            let updated = HostAddress::DdnsA(target.to_string());
            address_records(target, &updated, site.ddns_setup(), &mut records);
        }
    }
    if let Some(v6) = decl.public_ipv6.filter(|_| !decl.ipv6_ptr) {
        d.warn(format!(
            "publicIPv6 {} is not published as AAAA: Gmail penalises an AAAA whose PTR does not resolve back to {hostname}. Have the ISP set the v6 PTR, then set ipv6Ptr = true",
            v6.addr()
        ));
    }
    records
}

/// The MX targets, the inbound path and the delivery port, with the
/// records they need: the PMG's address records, then the MX records.
pub(super) fn inbound_mx(site: &Site<'_>, d: &mut Diagnostics) -> (MailPath, Vec<DnsRecord>) {
    let domain = site.domain();
    let hostname = &site.hostname;
    let host_addr = &site.host_addr;
    let addressing = &site.addressing;
    let ddns_setup = site.ddns_setup();
    let mut records = Vec::new();
    let mail_target = match host_addr {
        Some(HostAddress::Cname(target)) => target.clone(),
        _ => hostname.clone(),
    };
    let mut mx = Vec::new();
    let mut inbound_path = InboundPath::Direct { via_relay: false };
    let mut delivery = (25, None);
    match &site.inbound {
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
                if let (true, Some(HostAddress::Cname(target))) = (host == hostname, host_addr) {
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
                if host == hostname || updated_by_ddns {
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
                if let Some(addressing) = addressing {
                    match host_address(addressing, host, domain, "inbound.host", d) {
                        Some(HostAddress::Cname(target)) => d.error(
                            "inbound.host",
                            format!(
                                "the PMG is on the LAN (inbound.ip {ip} is private), so its public name {host} must carry the WAN address itself; an MX cannot point at a CNAME to {target} (RFC 2181 §10.3). Add {host}'s label to domainProvider.hosts"
                            ),
                        ),
                        Some(address)
                            if host.is_within(domain)
                                && host != hostname
                                && *host != mail_target =>
                        {
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
    let path = MailPath {
        mx,
        inbound_path,
        delivery,
        mail_target,
    };
    (path, records)
}

/// The SPF record (its TXT value): `mx`, the mail VM when it sends
/// itself and MX does not reach it, the relay's term, then `spf.extra`;
/// checks the lookup budget and the length.
pub(super) fn spf_record(site: &Site<'_>, path: &MailPath, d: &mut Diagnostics) -> String {
    let decl = site.decl;
    let hostname = &site.hostname;
    let relay = &site.relay;
    let addressing = &site.addressing;
    let publish_aaaa = site.publish_aaaa;
    let mx = &path.mx;
    let mail_target = &path.mail_target;
    let mut spf = SpfRecord::new(decl.spf.all);
    spf.push(SpfTerm::mx());
    // Standalone, the mail VM sends itself. When MX points elsewhere (an
    // inbound relay or a PMG), `mx` no longer covers it: name it.
    let mx_reaches_vm = mx
        .iter()
        .any(|t| &t.host == mail_target || &t.host == hostname);
    if relay.is_none() && !mx_reaches_vm {
        match addressing {
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
    if let Some(relay) = relay {
        match relay.host.private_ipv4() {
            Some(ip) if matches!(relay.provider, RelayProvider::Pmg | RelayProvider::Custom) => {
                let covered = if relay.provider == RelayProvider::Pmg {
                    " (a PMG sending through the site's WAN address is covered by mx)"
                } else {
                    ""
                };
                d.warn(format!(
                    "{}: {ip} is not a public address, so SPF leaves out ip4:{ip}; add the relay's public sending address to spf.extra{covered}",
                    relay_host_path(decl, &site.roles)
                ));
            }
            _ => spf.push(relay.provider.spf_term(&relay.host)),
        }
    }
    for term in &decl.spf.extra {
        spf.push(term.clone());
    }
    match spf.check_lookup_budget(nested_lookups_of_include) {
        Ok(cost) if !cost.unknown_includes.is_empty() => {
            let unknown = list_at_most(
                cost.unknown_includes
                    .iter()
                    .map(|domain| format!("include:{domain}")),
                5,
            );
            d.warn(format!(
                "spf: mailplan does not know how many lookups {unknown} make in turn, so it counts 1 each ({} of {MAX_DNS_LOOKUPS} in all); receivers count the nested ones too, so after publishing check the record with an SPF checker that expands includes",
                cost.total()
            ));
        }
        Ok(_) => {}
        Err(message) => d.error("spf.extra", message),
    }
    let spf_octets = spf.octets();
    if spf_octets > spf::MAX_OCTETS {
        d.error(
            "spf.extra",
            format!(
                "the SPF record would be {spf_octets} characters long; mailplan refuses more than {} (DNS hosts such as Cloudflare refuse longer TXT values, and the answer no longer fits one UDP datagram). Replace ip4:/ip6: lists with their covering ranges, or move senders into an include you host",
                spf::MAX_OCTETS
            ),
        );
    } else if spf_octets > spf::RECOMMENDED_MAX_OCTETS {
        d.warn(format!(
            "spf: the record is {spf_octets} characters long; RFC 7208 §3.4 advises staying under {} so the answer fits one 512-octet UDP datagram. Merge ip4:/ip6: terms into covering ranges where you can",
            spf::RECOMMENDED_MAX_OCTETS
        ));
    }
    if spf.uses_ptr() {
        d.warn("spf.extra: the ptr mechanism is slow and unreliable (RFC 7208 §5.5 says do not use it); list ip4:/a: terms instead");
    }
    spf.to_string()
}

/// Where the DKIM key of the mail VM lives and what its record is named.
pub(super) fn dkim_plan(decl: &Declaration) -> DkimPlan {
    let domain = &decl.domain;
    let selector = decl.dkim_selector.as_str();
    DkimPlan {
        selector: selector.to_string(),
        domain: domain.clone(),
        record_name: format!("{selector}._domainkey.{domain}"),
        key_directory: format!("/var/lib/opendkim/keys/{domain}"),
        private_key_file: format!("/var/lib/opendkim/keys/{domain}/{selector}.private"),
        public_record_file: format!("/var/lib/opendkim/{domain}.txt"),
    }
}

/// The DKIM record, pending: the mail VM generates the key on first boot.
pub(super) fn dkim_record(dkim: &DkimPlan) -> DnsRecord {
    DnsRecord::pending(
        dkim.record_name.clone(),
        "TXT",
        format!(
            "v=DKIM1; k=rsa; p=<public key from {}>",
            dkim.public_record_file
        ),
        RecordSource::MailVm,
        format!(
            "generated on the mail VM's first boot: ssh root@<mail-vm> cat {} and publish that record",
            dkim.public_record_file
        ),
    )
}

/// The DMARC record (its TXT value); warns when the report address is
/// outside the domain or no mailbox receives it.
pub(super) fn dmarc_record(site: &Site<'_>, d: &mut Diagnostics) -> String {
    let decl = site.decl;
    let domain = site.domain();
    let roles = &site.roles;
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
    let dmarc = format!("v=DMARC1; p={policy}; rua={}", mailto_uri(&rua));
    if rua.domain() == domain {
        let local = rua.local();
        let is_mailbox = roles
            .mailboxes
            .iter()
            .any(|(_, address, ..)| address.local().eq_ignore_ascii_case(local));
        let is_alias = ["postmaster", "abuse"]
            .iter()
            .any(|alias| alias.eq_ignore_ascii_case(local))
            && !roles.mailboxes.is_empty();
        if !is_mailbox && !is_alias {
            let field = if decl.dmarc.rua.is_some() {
                "dmarc.rua"
            } else {
                "dmarc.rua (default)"
            };
            d.warn(format!(
                "{field} {rua}: no mailbox on the mail VM receives it, so DMARC aggregate reports will bounce; add a mailbox (postmaster@ and abuse@ go to the first one), or set dmarc.rua to an address that exists"
            ));
        }
    }
    dmarc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::site::resolve_site;

    const STATIC: &str = r#""name": "X", "domain": "example.com", "publicIP": "203.0.113.5""#;

    /// Runs `check` on the site of `{ STATIC, extra }`.
    fn with_site(extra: &str, check: impl FnOnce(&Site<'_>, &mut Diagnostics)) {
        let decl = crate::from_json(&format!("{{ {STATIC}{extra} }}")).unwrap();
        let mut d = Diagnostics::default();
        let site = resolve_site(&decl, &mut d).unwrap();
        check(&site, &mut d);
    }

    #[test]
    fn host_records_publish_the_a_and_the_aaaa_in_the_zone() {
        with_site(
            r#", "publicIPv6": "2001:db8::5", "ipv6Ptr": true"#,
            |site, d| {
                let records = host_records(site, d);
                let types: Vec<&str> = records.iter().map(|r| r.record_type()).collect();
                assert_eq!(types, ["A", "AAAA"]);
                assert!(records.iter().all(|r| r.name == "mail.example.com"));
                assert!(d.warnings.is_empty(), "{:?}", d.warnings);
            },
        );
    }

    #[test]
    fn host_records_leave_a_host_outside_the_zone_to_its_own_zone() {
        with_site(
            r#", "mailHostname": "mail.example.net", "publicIPv6": "2001:db8::5""#,
            |site, d| {
                assert!(host_records(site, d).is_empty());
                assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);
                assert!(d.warnings[0].starts_with("mailHostname mail.example.net is outside"));
                assert!(d.warnings[1].starts_with("publicIPv6 2001:db8::5 is not published"));
            },
        );
    }

    #[test]
    fn inbound_mx_self_hosted_points_at_the_host() {
        with_site("", |site, d| {
            let (path, records) = inbound_mx(site, d);
            assert_eq!(path.mx.len(), 1);
            assert_eq!(path.mx[0].host.as_str(), "mail.example.com");
            assert_eq!(path.delivery, (25, None));
            assert_eq!(path.inbound_path, InboundPath::Direct { via_relay: false });
            assert_eq!(records.len(), 1);
            assert_eq!(records[0].record_type(), "MX");
        });
    }

    #[test]
    fn inbound_mx_through_a_relay_numbers_the_priorities() {
        with_site(
            r#", "inbound": { "kind": "relay", "mx": ["in1.example.net", "in2.example.net"] }"#,
            |site, d| {
                let (path, records) = inbound_mx(site, d);
                let mx: Vec<(u16, &str)> = path
                    .mx
                    .iter()
                    .map(|t| (t.priority, t.host.as_str()))
                    .collect();
                assert_eq!(mx, [(10, "in1.example.net"), (20, "in2.example.net")]);
                assert_eq!(path.inbound_path, InboundPath::Direct { via_relay: true });
                assert_eq!(records.len(), 2);
                assert!(d.errors.is_empty(), "{:?}", d.errors);
            },
        );
    }

    #[test]
    fn inbound_mx_to_a_pmg_on_the_internet_publishes_its_a_record_first() {
        with_site(
            r#", "inbound": { "kind": "pmg", "host": "pmg.example.com", "ip": "198.51.100.7" }"#,
            |site, d| {
                let (path, records) = inbound_mx(site, d);
                assert_eq!(
                    path.delivery,
                    (PMG_DELIVERY_PORT, Some("198.51.100.7".parse().unwrap()))
                );
                let kinds: Vec<(&str, &str)> = records
                    .iter()
                    .map(|r| (r.name.as_str(), r.record_type()))
                    .collect();
                assert_eq!(kinds, [("pmg.example.com", "A"), ("example.com", "MX")]);
                assert!(d.errors.is_empty(), "{:?}", d.errors);
            },
        );
    }

    #[test]
    fn spf_names_the_vm_only_when_mx_does_not_reach_it() {
        with_site("", |site, d| {
            let (path, _) = inbound_mx(site, d);
            assert_eq!(spf_record(site, &path, d), "v=spf1 mx -all");
        });
        with_site(
            r#", "inbound": { "kind": "relay", "mx": ["in1.example.net"] }"#,
            |site, d| {
                let (path, _) = inbound_mx(site, d);
                assert_eq!(spf_record(site, &path, d), "v=spf1 mx ip4:203.0.113.5 -all");
            },
        );
    }

    #[test]
    fn spf_authorises_the_relay_then_the_extra_terms() {
        with_site(
            r#", "mailRelay": { "host": "smtp.sendgrid.net", "user": "apikey",
                                 "passwordFile": "/run/secrets/sg" },
                 "spf": { "extra": ["ip4:192.0.2.1"] }"#,
            |site, d| {
                let (path, _) = inbound_mx(site, d);
                assert_eq!(
                    spf_record(site, &path, d),
                    "v=spf1 mx include:sendgrid.net ip4:192.0.2.1 -all"
                );
            },
        );
    }

    #[test]
    fn dkim_names_follow_the_selector_and_the_domain() {
        let decl = crate::from_json(&format!("{{ {STATIC}, \"dkimSelector\": \"s1\" }}")).unwrap();
        let dkim = dkim_plan(&decl);
        assert_eq!(dkim.record_name, "s1._domainkey.example.com");
        assert_eq!(
            dkim.private_key_file,
            "/var/lib/opendkim/keys/example.com/s1.private"
        );
        let record = dkim_record(&dkim);
        assert_eq!(record.name, "s1._domainkey.example.com");
        assert_eq!(record.record_type(), "TXT");
    }

    #[test]
    fn dmarc_reports_to_postmaster_and_warns_when_nobody_receives_them() {
        with_site("", |site, d| {
            let dmarc = dmarc_record(site, d);
            assert!(dmarc.starts_with("v=DMARC1; p="), "{dmarc}");
            assert!(
                dmarc.ends_with("; rua=mailto:postmaster@example.com"),
                "{dmarc}"
            );
            assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
            assert!(d.warnings[0].starts_with("dmarc.rua (default) postmaster@example.com"));
        });
        with_site(
            r#", "users": [{ "name": "alice", "roles": ["mailbox"], "passwordFile": "/run/secrets/a" }]"#,
            |site, d| {
                dmarc_record(site, d);
                assert!(d.warnings.is_empty(), "{:?}", d.warnings);
            },
        );
    }
}
