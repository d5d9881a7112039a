//! The DNS checks: the plan's record sheet against what the resolver
//! answers, one [`Check`] per record or property.

use std::collections::BTreeSet;
use std::net::IpAddr;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::Dmarc as DmarcRecord;
use mailplan::Plan;
use mailplan::dns::{RecordData, RecordSource};
use mailplan::names::DomainName;
use mailplan::plan::Mode;

use crate::dkim_key::DkimPublicKey;
use crate::dns::{Dns, QueryError, Rdata, Rtype, reverse_name, txt_records};
use crate::report::Check;
use crate::spf_lookups::{self, MAX_LOOKUPS, MAX_VOID_LOOKUPS, is_spf};

/// Runs every DNS check of `plan`.
pub async fn run<D: Dns>(dns: &D, plan: &Plan, dkim_key: Option<&DkimPublicKey>) -> Vec<Check> {
    let mut checks = Vec::new();
    address_checks(dns, plan, &mut checks).await;
    mx_checks(dns, plan, &mut checks).await;
    spf_checks(dns, plan, &mut checks).await;
    checks.push(dkim_check(dns, plan, dkim_key).await);
    dmarc_checks(dns, plan, &mut checks).await;
    rdns_checks(dns, plan, &mut checks).await;
    checks
}

fn addresses(records: &[Rdata]) -> Vec<IpAddr> {
    records
        .iter()
        .filter_map(|r| match r {
            Rdata::A(ip) => Some(IpAddr::V4(*ip)),
            Rdata::Aaaa(ip) => Some(IpAddr::V6(*ip)),
            _ => None,
        })
        .collect()
}

fn listed<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.join(", ")
    }
}

/// What a query found, for a person: the values of the asked type, a
/// CNAME in their place, or why there is nothing.
fn found_text(answer: &Result<Vec<Rdata>, QueryError>, rtype: Rtype) -> String {
    match answer {
        Err(error) => error.describe(),
        Ok(records) => {
            let values: Vec<String> = records
                .iter()
                .filter_map(|r| match (r, rtype) {
                    (Rdata::A(ip), Rtype::A) => Some(ip.to_string()),
                    (Rdata::Aaaa(ip), Rtype::Aaaa) => Some(ip.to_string()),
                    (Rdata::Cname(target), _) => Some(format!("CNAME {target}")),
                    (Rdata::Mx(priority, host), Rtype::Mx) => Some(format!("{priority} {host}")),
                    (Rdata::Txt(text), Rtype::Txt) => Some(format!("\"{text}\"")),
                    (Rdata::Ptr(name), Rtype::Ptr) => Some(name.clone()),
                    _ => None,
                })
                .collect();
            listed(values)
        }
    }
}

async fn address_checks<D: Dns>(dns: &D, plan: &Plan, checks: &mut Vec<Check>) {
    for record in &plan.dns_records {
        let name = record.name.as_str();
        match &record.data {
            RecordData::A(_) | RecordData::Aaaa(_) => {
                let (rtype, expected) = match &record.data {
                    RecordData::A(ip) => (Rtype::A, IpAddr::V4(*ip)),
                    RecordData::Aaaa(ip) => (Rtype::Aaaa, IpAddr::V6(*ip)),
                    _ => unreachable!("matched above"),
                };
                let answer = dns.query(name, rtype).await;
                let found = answer.as_deref().map(addresses).unwrap_or_default();
                let is_alias = answer
                    .as_deref()
                    .is_ok_and(|r| r.iter().any(|r| matches!(r, Rdata::Cname(_))));
                let expected_text = format!("{} {expected}", rtype.as_str());
                checks.push(if found == [expected] && !is_alias {
                    Check::pass("address", name, expected_text, format!("{} {expected}", rtype.as_str()))
                } else {
                    Check::fail(
                        "address",
                        name,
                        expected_text,
                        found_text(&answer, rtype),
                        format!(
                            "publish exactly `{name} {} {expected}` at the registrar and remove any other {} or CNAME record there",
                            rtype.as_str(),
                            rtype.as_str()
                        ),
                    )
                });
            }
            RecordData::Cname(target) => {
                let answer = dns.query(name, Rtype::Cname).await;
                let target = target.as_str().to_ascii_lowercase();
                let holds = answer
                    .as_deref()
                    .is_ok_and(|r| r == [Rdata::Cname(target.clone())]);
                checks.push(if holds {
                    Check::pass("address", name, format!("CNAME {target}"), format!("CNAME {target}"))
                } else {
                    Check::fail(
                        "address",
                        name,
                        format!("CNAME {target}"),
                        found_text(&answer, Rtype::Cname),
                        format!("publish `{name} CNAME {target}` at the registrar, and no other record at {name}"),
                    )
                });
                // A target the sheet lists itself (the updater's A in this
                // zone) is checked as that record.
                if plan
                    .dns_records
                    .iter()
                    .any(|r| r.name.eq_ignore_ascii_case(&target))
                {
                    continue;
                }
                let target_answer = dns.query(&target, Rtype::A).await;
                let target_addresses = target_answer.as_deref().map(addresses).unwrap_or_default();
                checks.push(if target_addresses.is_empty() {
                    Check::fail(
                        "dyndns-target",
                        target.as_str(),
                        "an A record kept by ddns-updater",
                        found_text(&target_answer, Rtype::A),
                        format!(
                            "{name} points at {target}, which has no address: check that ddns-updater runs on the dns VM (journalctl -u ddns-updater) and that {target} exists at the dyndns provider"
                        ),
                    )
                } else {
                    Check::pass(
                        "dyndns-target",
                        target.as_str(),
                        "an A record kept by ddns-updater",
                        format!("A {}", listed(target_addresses)),
                    )
                });
            }
            RecordData::Pending(rtype @ ("A" | "AAAA"), _) => {
                let rtype = if *rtype == "A" { Rtype::A } else { Rtype::Aaaa };
                let answer = dns.query(name, rtype).await;
                let found = answer.as_deref().map(addresses).unwrap_or_default();
                let expected = match record.source {
                    RecordSource::DdnsUpdater => "the WAN address, kept by ddns-updater",
                    _ => "the WAN address, published by the operator",
                };
                checks.push(match (found.is_empty(), record.source) {
                    (false, _) => Check::pass(
                        "address",
                        name,
                        expected,
                        format!("{} {}", rtype.as_str(), listed(found)),
                    ),
                    (true, RecordSource::DdnsUpdater) => Check::warn(
                        "address",
                        name,
                        expected,
                        found_text(&answer, rtype),
                        "ddns-updater sets this record on its first run: check that it runs on the dns VM (journalctl -u ddns-updater)",
                    ),
                    (true, _) => Check::fail(
                        "address",
                        name,
                        expected,
                        found_text(&answer, rtype),
                        format!(
                            "nothing updates this record: publish `{name} {} <the WAN address>` at the registrar",
                            rtype.as_str()
                        ),
                    ),
                });
            }
            _ => {}
        }
    }
}

async fn mx_checks<D: Dns>(dns: &D, plan: &Plan, checks: &mut Vec<Check>) {
    let domain = plan.domain.as_str();
    let planned: BTreeSet<(u16, String)> = plan
        .inbound
        .mx
        .iter()
        .map(|t| (t.priority, t.host.as_str().to_ascii_lowercase()))
        .collect();
    let answer = dns.query(domain, Rtype::Mx).await;
    let found: BTreeSet<(u16, String)> = answer
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| match r {
            Rdata::Mx(priority, host) => Some((*priority, host.clone())),
            _ => None,
        })
        .collect();
    let expected = listed(planned.iter().map(|(p, h)| format!("{p} {h}")));
    checks.push(if found == planned {
        Check::pass("mx", domain, expected.clone(), format!("MX {expected}"))
    } else {
        let extra: Vec<String> = found
            .difference(&planned)
            .map(|(p, h)| format!("{p} {h}"))
            .collect();
        let fix = if extra.is_empty() {
            format!("publish the MX record(s) {expected} at {domain}")
        } else {
            format!(
                "publish exactly the MX record(s) {expected} at {domain} and remove {}: receivers deliver to every MX",
                extra.join(", ")
            )
        };
        Check::fail("mx", domain, expected, found_text(&answer, Rtype::Mx), fix)
    });
    for (_, host) in &planned {
        let alias = dns.query(host, Rtype::Cname).await.unwrap_or_default();
        if let Some(Rdata::Cname(target)) = alias.iter().find(|r| matches!(r, Rdata::Cname(_))) {
            checks.push(Check::fail(
                    "mx-target",
                    host.as_str(),
                    "a host name with its own address (A/AAAA)",
                    format!("CNAME {target}"),
                    format!(
                        "an MX must not point at a CNAME (RFC 2181 §10.3); many senders refuse it. Point the MX at {target}, or make {host} an A record"
                    ),
                ));
            continue;
        }
        let mut found = Vec::new();
        let mut last = None;
        for rtype in [Rtype::A, Rtype::Aaaa] {
            let answer = dns.query(host, rtype).await;
            found.extend(answer.as_deref().map(addresses).unwrap_or_default());
            last = Some(answer);
        }
        checks.push(if found.is_empty() {
            Check::fail(
                "mx-target",
                host.as_str(),
                "a host name with its own address (A/AAAA)",
                last.map(|a| found_text(&a, Rtype::A)).unwrap_or_default(),
                format!("publish the A record of {host}: senders cannot deliver to an MX without an address"),
            )
        } else {
            Check::pass(
                "mx-target",
                host.as_str(),
                "a host name with its own address (A/AAAA)",
                listed(found),
            )
        });
    }
}

/// The terms of an SPF record, lowercase, without the version.
fn spf_terms(record: &str) -> Vec<String> {
    record
        .split_whitespace()
        .skip(1)
        .map(str::to_ascii_lowercase)
        .collect()
}

fn is_all(term: &str) -> bool {
    term.trim_start_matches(['+', '-', '~', '?']) == "all"
}

async fn spf_checks<D: Dns>(dns: &D, plan: &Plan, checks: &mut Vec<Check>) {
    let domain = plan.domain.as_str();
    let expected = format!("\"{}\"", plan.spf);
    let answer = dns.query(domain, Rtype::Txt).await;
    let published = txt_records(&answer, is_spf);
    let record = match published.as_slice() {
        [] => {
            let found = match &answer {
                Ok(_) => "no v=spf1 TXT record (other TXT records only)".to_string(),
                Err(error) => error.describe(),
            };
            checks.push(Check::fail(
                "spf",
                domain,
                expected,
                found,
                format!("publish the TXT record {} at {domain}: without SPF, receivers treat the site's mail as unauthenticated", plan.spf),
            ));
            return;
        }
        [record] => record,
        several => {
            checks.push(Check::fail(
                "spf",
                domain,
                expected,
                format!("{} v=spf1 records: {}", several.len(), listed(several.iter().map(|r| format!("\"{r}\"")))),
                format!("keep one v=spf1 record at {domain} (the plan's): with two, every receiver's SPF check ends in permerror (RFC 7208 §3.2)"),
            ));
            return;
        }
    };
    let planned = spf_terms(&plan.spf);
    let found_terms = spf_terms(record);
    let missing: Vec<&String> = planned
        .iter()
        .filter(|t| !is_all(t) && !found_terms.contains(t))
        .collect();
    let planned_all = planned.iter().find(|t| is_all(t));
    let found_all = found_terms.iter().find(|t| is_all(t));
    checks.push(if found_terms == planned {
        Check::pass("spf", domain, expected, format!("\"{record}\""))
    } else if !missing.is_empty() {
        Check::fail(
            "spf",
            domain,
            expected,
            format!("\"{record}\""),
            format!(
                "the published record lacks {}: mail sent that way fails SPF. Publish the plan's record",
                listed(missing)
            ),
        )
    } else if planned_all != found_all {
        Check::warn(
            "spf",
            domain,
            expected,
            format!("\"{record}\""),
            format!(
                "it authorises everything the plan needs but ends in {} instead of {}; publish the plan's record unless that is deliberate",
                found_all.map_or("no all term", |t| t.as_str()),
                planned_all.map_or("no all term", |t| t.as_str())
            ),
        )
    } else {
        Check::pass(
            "spf",
            domain,
            expected,
            format!("\"{record}\" (authorises everything the plan needs, and more)"),
        )
    });
    let count = spf_lookups::count(dns, domain, record).await;
    let limits = format!(
        "at most {MAX_LOOKUPS} DNS lookups and {MAX_VOID_LOOKUPS} void lookups (RFC 7208 §4.6.4)"
    );
    let found = format!(
        "{}{} lookup{} ({}), {} void",
        if count.stopped { "more than " } else { "" },
        count.lookups,
        if count.lookups == 1 { "" } else { "s" },
        listed(&count.terms),
        count.voids
    );
    checks.push(if count.lookups > MAX_LOOKUPS || count.stopped {
        Check::fail(
            "spf-lookups",
            domain,
            limits,
            found,
            "receivers stop at 10 lookups and fail SPF with permerror (\"too many DNS lookups\"): replace include:/a:/mx: terms with ip4:/ip6: ranges, or drop senders the site no longer uses",
        )
    } else if count.voids > MAX_VOID_LOOKUPS {
        Check::fail(
            "spf-lookups",
            domain,
            limits,
            found,
            "receivers fail SPF with permerror after two lookups that find nothing: remove the terms that name hosts or domains without records",
        )
    } else if let Some(error) = count.errors.first() {
        Check::fail(
            "spf-lookups",
            domain,
            limits,
            format!("{found}; {}", listed(&count.errors)),
            format!("receivers fail SPF on this: {error}; fix or remove that term"),
        )
    } else if !count.unfollowed.is_empty() {
        Check::warn(
            "spf-lookups",
            domain,
            limits,
            format!("{found}; not followed: {}", listed(&count.unfollowed)),
            "terms with macros depend on each message and were counted once each; check them with a message-level SPF test",
        )
    } else {
        Check::pass("spf-lookups", domain, limits, found)
    });
}

async fn dkim_check<D: Dns>(dns: &D, plan: &Plan, key: Option<&DkimPublicKey>) -> Check {
    let name = plan.dkim.record_name.as_str();
    let expected = match key {
        Some(key) => format!(
            "a DKIM1 record with the mail VM's key p={}",
            key.abbreviated()
        ),
        None => "a DKIM1 record with the key the mail VM generated".to_string(),
    };
    let answer = dns.query(name, Rtype::Txt).await;
    let records = txt_records(&answer, |_| true);
    let publish = format!(
        "publish the record in {} (on the mail VM) at {name}",
        plan.dkim.public_record_file
    );
    let record = match records.as_slice() {
        [] => {
            let found = found_text(&answer, Rtype::Txt);
            return if key.is_some() {
                Check::fail(
                    "dkim",
                    name,
                    expected,
                    found,
                    format!(
                        "the mail VM has its key: {publish}; until then receivers cannot verify its signatures"
                    ),
                )
            } else {
                Check::warn(
                    "dkim",
                    name,
                    expected,
                    found,
                    format!(
                        "the mail VM generates the key on its first boot; then {publish} (give --dkim-key to compare the key)"
                    ),
                )
            };
        }
        [record] => record,
        several => {
            return Check::fail(
                "dkim",
                name,
                expected,
                format!("{} TXT records", several.len()),
                format!("keep one record at {name}: {publish}"),
            );
        }
    };
    if let Err(error) = DomainKey::parse(record.as_bytes()) {
        return Check::fail(
            "dkim",
            name,
            expected,
            format!("\"{record}\", not a valid DKIM1 record ({error})"),
            format!(
                "the record is damaged (often a key split or cut at the registrar): {publish}, joining its quoted strings"
            ),
        );
    }
    let published = DkimPublicKey::from_record(record);
    match (key, published) {
        (Some(key), Some(published)) if &published != key => Check::fail(
            "dkim",
            name,
            expected,
            format!(
                "a DKIM1 record with another key p={}",
                published.abbreviated()
            ),
            format!(
                "receivers fail every signature of the mail VM: {publish}, replacing the old one"
            ),
        ),
        (Some(_), _) => Check::pass(
            "dkim",
            name,
            expected,
            "a DKIM1 record with the mail VM's key",
        ),
        (None, _) => Check::pass(
            "dkim",
            name,
            expected,
            "a valid DKIM1 record (give --dkim-key to compare it with the mail VM's key)",
        ),
    }
}

fn is_dmarc(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    lower.starts_with("v=dmarc1") && lower[8..].trim_start().starts_with([';'])
        || lower == "v=dmarc1"
}

/// Whether `a` and `b` are the same domain or one lies within the other
/// (the organisational-domain test of RFC 7489 §7.1, without the public
/// suffix list: conservative for sibling subdomains). A name that is no
/// domain name is never the same organisation.
fn same_organisation(a: &str, b: &DomainName) -> bool {
    DomainName::parse(a).is_ok_and(|a| a.is_within(b) || b.is_within(&a))
}

async fn dmarc_checks<D: Dns>(dns: &D, plan: &Plan, checks: &mut Vec<Check>) {
    let domain = plan.domain.as_str();
    let name = format!("_dmarc.{domain}");
    let expected = format!("\"{}\"", plan.dmarc);
    let answer = dns.query(&name, Rtype::Txt).await;
    let records = txt_records(&answer, is_dmarc);
    let publish = format!("publish the TXT record {} at {name}", plan.dmarc);
    let record = match records.as_slice() {
        [] => {
            checks.push(Check::fail(
                "dmarc",
                name.as_str(),
                expected,
                found_text(&answer, Rtype::Txt),
                format!("{publish}: Gmail and Yahoo require DMARC from bulk senders and rate mail without it lower"),
            ));
            return;
        }
        [record] => record,
        several => {
            checks.push(Check::fail(
                "dmarc",
                name.as_str(),
                expected,
                format!("{} v=DMARC1 records", several.len()),
                format!("keep one record at {name}: with several, receivers ignore DMARC (RFC 7489 §6.6.3); {publish}"),
            ));
            return;
        }
    };
    let parsed = match DmarcRecord::parse(record.as_bytes()) {
        Ok(parsed) => parsed,
        Err(error) => {
            checks.push(Check::fail(
                "dmarc",
                name.as_str(),
                expected,
                format!("\"{record}\", not a valid DMARC record ({error})"),
                publish,
            ));
            return;
        }
    };
    let planned =
        DmarcRecord::parse(plan.dmarc.as_bytes()).expect("the engine writes a valid DMARC record");
    checks.push(if parsed.p != planned.p {
        Check::fail(
            "dmarc",
            name.as_str(),
            expected,
            format!("\"{record}\": policy p={}", parsed.p),
            format!("the plan's policy is p={}: {publish}", planned.p),
        )
    } else {
        Check::pass("dmarc", name.as_str(), expected, format!("\"{record}\""))
    });
    for uri in &parsed.rua {
        let Some((_, rua_domain)) = uri.uri.rsplit_once('@') else {
            continue;
        };
        let rua_domain = rua_domain.trim_end_matches('.').to_ascii_lowercase();
        if same_organisation(&rua_domain, &plan.domain) {
            continue;
        }
        let authorization = format!("{domain}._report._dmarc.{rua_domain}");
        let answer = dns.query(&authorization, Rtype::Txt).await;
        let authorized = !txt_records(&answer, is_dmarc).is_empty();
        checks.push(if authorized {
            Check::pass(
                "dmarc-report-authorization",
                authorization.as_str(),
                format!("v=DMARC1 (the {rua_domain} side accepts reports for {domain})"),
                "v=DMARC1",
            )
        } else {
            Check::fail(
                "dmarc-report-authorization",
                authorization.as_str(),
                format!("v=DMARC1 (the {rua_domain} side accepts reports for {domain})"),
                found_text(&answer, Rtype::Txt),
                format!(
                    "reports to {} lie outside {domain}, so receivers send them only when {rua_domain} publishes `{authorization} TXT \"v=DMARC1\"` (RFC 7489 §7.1): publish it there, or send reports to an address in {domain}",
                    uri.uri
                ),
            )
        });
    }
}

async fn rdns_checks<D: Dns>(dns: &D, plan: &Plan, checks: &mut Vec<Check>) {
    let host = plan.hostname.as_str().to_ascii_lowercase();
    // Standalone, receivers judge the VM's own connections by their
    // reverse DNS; behind a smarthost they see the relay's.
    let required = plan.mode == Mode::Standalone;
    // The host's forward answers, asked once: the dyndns case checks the
    // addresses they hold, and every PTR is confirmed against them.
    let forward_v4 = dns.query(&host, Rtype::A).await;
    let forward_v6 = dns.query(&host, Rtype::Aaaa).await;
    let addresses_of_host: Vec<IpAddr> = [&forward_v4, &forward_v6]
        .into_iter()
        .flat_map(|answer| answer.as_deref().map(addresses).unwrap_or_default())
        .collect();
    let planned: Vec<IpAddr> = plan
        .dns_records
        .iter()
        .filter(|r| r.name.eq_ignore_ascii_case(&host))
        .filter_map(|r| match r.data {
            RecordData::A(ip) => Some(IpAddr::V4(ip)),
            RecordData::Aaaa(ip) => Some(IpAddr::V6(ip)),
            _ => None,
        })
        .collect();
    // A static address is checked as planned; a dyndns one as it is now.
    let subjects = if planned.is_empty() {
        addresses_of_host
    } else {
        planned
    };
    let why = if required {
        "receivers refuse or junk mail from an address whose PTR does not name the sending host"
    } else {
        "the site sends through its smarthost, so this matters only if it ever sends directly"
    };
    for address in subjects {
        let reverse = reverse_name(address);
        let expected = format!("PTR {host}, and {host} resolving back to {address}");
        let answer = dns.query(&reverse, Rtype::Ptr).await;
        let names: Vec<String> = answer
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(|r| match r {
                Rdata::Ptr(name) => Some(name.clone()),
                _ => None,
            })
            .collect();
        let check = if names.is_empty() {
            Check::fail(
                "rdns",
                reverse.as_str(),
                expected,
                found_text(&answer, Rtype::Ptr),
                format!("ask the ISP to set the reverse DNS (PTR) of {address} to {host}: {why}"),
            )
        } else if !names.contains(&host) {
            Check::fail(
                "rdns",
                reverse.as_str(),
                expected,
                format!("PTR {}", listed(&names)),
                format!(
                    "ask the ISP to set the PTR of {address} to {host}, the name the mail VM greets with: {why}"
                ),
            )
        } else {
            let (rtype, forward) = if address.is_ipv4() {
                (Rtype::A, &forward_v4)
            } else {
                (Rtype::Aaaa, &forward_v6)
            };
            let back = forward.as_deref().map(addresses).unwrap_or_default();
            if back.contains(&address) {
                Check::pass(
                    "rdns",
                    reverse.as_str(),
                    expected,
                    format!("PTR {host} → {address} (forward-confirmed)"),
                )
            } else {
                Check::fail(
                    "rdns",
                    reverse.as_str(),
                    expected,
                    format!(
                        "PTR {host}, but {host} resolves to {}",
                        found_text(forward, rtype)
                    ),
                    format!(
                        "the PTR is not forward-confirmed: publish {host}'s {} record as {address}: {why}",
                        rtype.as_str()
                    ),
                )
            }
        };
        checks.push(check.fail_or_warn(required));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmarc_records_are_recognised_by_their_version_tag() {
        assert!(is_dmarc("v=DMARC1; p=none"));
        assert!(is_dmarc("v=DMARC1 ; p=none"));
        assert!(!is_dmarc("v=DMARC10; p=none"));
        assert!(!is_dmarc("v=spf1 -all"));
    }

    #[test]
    fn organisations_compare_by_containment() {
        let domain = DomainName::parse("example.com").unwrap();
        assert!(same_organisation("reports.example.com", &domain));
        assert!(same_organisation("example.com", &domain));
        assert!(!same_organisation("example.net", &domain));
        assert!(!same_organisation("badexample.com", &domain));
        let subdomain = DomainName::parse("mail.example.com").unwrap();
        assert!(same_organisation("example.com", &subdomain));
    }
}
