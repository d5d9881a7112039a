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
use crate::record_lint;
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

/// An address as a record: `A 203.0.113.5`, `AAAA 2001:db8::1`.
fn address_text(address: &IpAddr) -> String {
    match address {
        IpAddr::V4(_) => format!("A {address}"),
        IpAddr::V6(_) => format!("AAAA {address}"),
    }
}

/// One record, the way every check shows records: type and value
/// (`MX 10 mail.example.com`), a TXT record's text in quotes.
fn record_text(record: &Rdata) -> String {
    match record {
        Rdata::A(ip) => format!("A {ip}"),
        Rdata::Aaaa(ip) => format!("AAAA {ip}"),
        Rdata::Cname(target) => format!("CNAME {target}"),
        Rdata::Mx(priority, host) => format!("MX {priority} {host}"),
        Rdata::Txt(text) => format!("\"{text}\""),
        Rdata::Ptr(name) => format!("PTR {name}"),
    }
}

/// What a query found, for a person: the records of the asked type (a
/// CNAME among them), or why there is nothing.
fn found_text(answer: &Result<Vec<Rdata>, QueryError>, rtype: Rtype) -> String {
    match answer {
        Err(QueryError::NoData) => format!("no {} record", rtype.as_str()),
        Err(error) => error.describe(),
        Ok(records) => {
            let values: Vec<String> = records
                .iter()
                .filter(|r| {
                    matches!(
                        (r, rtype),
                        (Rdata::Cname(_), _)
                            | (Rdata::A(_), Rtype::A)
                            | (Rdata::Aaaa(_), Rtype::Aaaa)
                            | (Rdata::Mx(..), Rtype::Mx)
                            | (Rdata::Txt(_), Rtype::Txt)
                            | (Rdata::Ptr(_), Rtype::Ptr)
                    )
                })
                .map(record_text)
                .collect();
            if values.is_empty() {
                format!("no {} record", rtype.as_str())
            } else {
                values.join(", ")
            }
        }
    }
}

/// The check for a query that failed for a reason other than the record
/// being absent, instead of asking to publish what may well be there:
/// SERVFAIL fails (receivers cannot read the zone either); a refusal or
/// no answer leaves the check unchecked (this resolver's trouble: nothing
/// was learnt, and the run cannot end ok).
fn query_trouble(
    check: &'static str,
    name: &str,
    expected: impl Into<String>,
    answer: &Result<Vec<Rdata>, QueryError>,
) -> Option<Check> {
    let error = answer.as_ref().err()?;
    let found = error.describe();
    Some(match error {
        QueryError::NoData | QueryError::NxDomain => return None,
        QueryError::ServFail => Check::fail(
            check,
            name,
            expected,
            found,
            format!(
                "the name servers of {name}'s zone fail to answer (SERVFAIL), so receivers cannot read it either: check the zone's DNSSEC (current signatures, a DS record at the registrar that matches the key) and its delegation (the NS records at the registrar)"
            ),
        ),
        QueryError::Failed(_) => Check::fail(
            check,
            name,
            expected,
            found,
            format!(
                "the resolver got an error instead of an answer for {name}: check that the zone's name servers answer queries for it"
            ),
        ),
        QueryError::Refused => Check::unchecked(
            check,
            name,
            expected,
            found,
            format!(
                "the resolver refused to answer for {name}, so this was not checked: run verify with a resolver that answers for any domain (leave out --resolver for the system's)"
            ),
        ),
        QueryError::Unreachable(_) => Check::unchecked(
            check,
            name,
            expected,
            found,
            format!(
                "no answer for {name} within about 6 s, so this was not checked: run verify again, and if it persists check the zone's name servers"
            ),
        ),
    })
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
                let expected_text = address_text(&expected);
                if let Some(trouble) =
                    query_trouble("address", name, expected_text.as_str(), &answer)
                {
                    checks.push(trouble);
                    continue;
                }
                checks.push(if found == [expected] && !is_alias {
                    Check::pass("address", name, expected_text.as_str(), expected_text.as_str())
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
                if let Some(trouble) =
                    query_trouble("address", name, format!("CNAME {target}"), &answer)
                {
                    checks.push(trouble);
                    continue;
                }
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
                if let Some(trouble) = query_trouble(
                    "dyndns-target",
                    &target,
                    "an A record kept by ddns-updater",
                    &target_answer,
                ) {
                    checks.push(trouble);
                    continue;
                }
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
                        listed(target_addresses.iter().map(address_text)),
                    )
                });
            }
            RecordData::Pending(rtype @ ("A" | "AAAA"), _) => {
                let rtype = if *rtype == "A" { Rtype::A } else { Rtype::Aaaa };
                let answer = dns.query(name, rtype).await;
                let found = answer.as_deref().map(addresses).unwrap_or_default();
                let expected = match (rtype, record.source) {
                    (Rtype::A, RecordSource::DdnsUpdater) => {
                        "A <the WAN address>, kept by ddns-updater"
                    }
                    (_, RecordSource::DdnsUpdater) => {
                        "AAAA <the WAN address>, kept by ddns-updater"
                    }
                    (Rtype::A, _) => "A <the WAN address>, published by the operator",
                    _ => "AAAA <the WAN address>, published by the operator",
                };
                if let Some(trouble) = query_trouble("address", name, expected, &answer) {
                    checks.push(trouble);
                    continue;
                }
                checks.push(match (found.is_empty(), record.source) {
                    (false, _) => Check::pass(
                        "address",
                        name,
                        expected,
                        listed(found.iter().map(address_text)),
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
    let mx_text = |(priority, host): &(u16, String)| format!("MX {priority} {host}");
    let expected = listed(planned.iter().map(mx_text));
    if let Some(trouble) = query_trouble("mx", domain, expected.as_str(), &answer) {
        checks.push(trouble);
    } else if found == planned {
        checks.push(Check::pass(
            "mx",
            domain,
            expected.as_str(),
            expected.as_str(),
        ));
    } else {
        let extra: Vec<String> = found.difference(&planned).map(mx_text).collect();
        let fix = if extra.is_empty() {
            format!("publish {expected} at {domain}")
        } else {
            format!(
                "publish exactly {expected} at {domain} and remove {}: receivers deliver to every MX",
                extra.join(", ")
            )
        };
        checks.push(Check::fail(
            "mx",
            domain,
            expected,
            found_text(&answer, Rtype::Mx),
            fix,
        ));
    }
    let target_expected = "a host name with its own address (A/AAAA)";
    for (_, host) in &planned {
        let alias = dns.query(host, Rtype::Cname).await.unwrap_or_default();
        if let Some(Rdata::Cname(target)) = alias.iter().find(|r| matches!(r, Rdata::Cname(_))) {
            checks.push(Check::fail(
                    "mx-target",
                    host.as_str(),
                    target_expected,
                    format!("CNAME {target}"),
                    format!(
                        "an MX must not point at a CNAME (RFC 2181 §10.3), and many senders refuse one: point the MX at {target}, or make {host} an A record"
                    ),
                ));
            continue;
        }
        let v4 = dns.query(host, Rtype::A).await;
        let v6 = dns.query(host, Rtype::Aaaa).await;
        let found: Vec<IpAddr> = [&v4, &v6]
            .into_iter()
            .flat_map(|answer| answer.as_deref().map(addresses).unwrap_or_default())
            .collect();
        if found.is_empty()
            && let Some(trouble) = query_trouble("mx-target", host, target_expected, &v4)
                .or_else(|| query_trouble("mx-target", host, target_expected, &v6))
        {
            checks.push(trouble);
            continue;
        }
        checks.push(if found.is_empty() {
            let found = match &v4 {
                Err(QueryError::NoData) | Ok(_) => "no A or AAAA record".to_string(),
                Err(error) => error.describe(),
            };
            Check::fail(
                "mx-target",
                host.as_str(),
                target_expected,
                found,
                format!("publish the A record of {host}: senders cannot deliver to an MX without an address"),
            )
        } else {
            Check::pass(
                "mx-target",
                host.as_str(),
                target_expected,
                listed(found.iter().map(address_text)),
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

/// Whether an SPF term is a modifier (`redirect=`, `exp=`): a name of
/// letters, digits, `-`, `_` and `.` before `=` (RFC 7208 §12).
fn is_modifier(term: &str) -> bool {
    term.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    })
}

async fn spf_checks<D: Dns>(dns: &D, plan: &Plan, checks: &mut Vec<Check>) {
    let domain = plan.domain.as_str();
    let expected = format!("\"{}\"", plan.spf);
    let answer = dns.query(domain, Rtype::Txt).await;
    if let Some(trouble) = query_trouble("spf", domain, expected.as_str(), &answer) {
        checks.push(trouble);
        return;
    }
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
    checks.push(spf_record_check(plan, &expected, record));
    spf_lookups_check(dns, domain, record, checks).await;
}

/// The published SPF record against the plan's: every planned term there
/// and before `all`, and the same `all`.
fn spf_record_check(plan: &Plan, expected: &str, record: &str) -> Check {
    let domain = plan.domain.as_str();
    let planned = spf_terms(&plan.spf);
    let found_terms = spf_terms(record);
    let found = format!("\"{record}\"");
    // Receivers stop at the first `all`: mechanisms after it are never
    // tested (RFC 7208 §5.1); modifiers count wherever they are.
    let all_at = found_terms.iter().position(|t| is_all(t));
    let (before_all, after_all): (Vec<&String>, Vec<&String>) = match all_at {
        Some(at) => {
            let (before, after) = found_terms.split_at(at + 1);
            let ignored: Vec<&String> = after.iter().filter(|t| !is_modifier(t)).collect();
            let heeded = before
                .iter()
                .chain(after.iter().filter(|t| is_modifier(t)))
                .collect();
            (heeded, ignored)
        }
        None => (found_terms.iter().collect(), Vec::new()),
    };
    let missing: Vec<&String> = planned
        .iter()
        .filter(|t| !is_all(t) && !before_all.contains(t))
        .collect();
    let planned_all = planned.iter().find(|t| is_all(t));
    let found_all = all_at.map(|at| &found_terms[at]);
    let all_text = |all: Option<&String>| all.map_or("no all term".to_string(), |t| t.clone());
    if found_terms == planned {
        return Check::pass("spf", domain, expected, found);
    }
    if !missing.is_empty() {
        let (late, absent): (Vec<&String>, Vec<&String>) =
            missing.iter().partition(|t| after_all.contains(t));
        return Check::fail(
            "spf",
            domain,
            expected,
            found,
            if absent.is_empty() {
                format!(
                    "{} come(s) after {}, where receivers stop reading (RFC 7208 §5.1), so mail sent that way fails SPF: publish the plan's record, which ends in {}",
                    listed(late),
                    all_text(found_all),
                    all_text(planned_all)
                )
            } else {
                format!(
                    "the published record lacks {}, so mail sent that way fails SPF: publish the plan's record",
                    listed(absent)
                )
            },
        );
    }
    if found_all.is_some_and(|t| t.trim_start_matches('+') == "all") {
        return Check::fail(
            "spf",
            domain,
            expected,
            found,
            format!(
                "{} authorises every server on the internet to send as {domain}: publish the plan's record, which ends in {}",
                all_text(found_all),
                all_text(planned_all)
            ),
        );
    }
    if !after_all.is_empty() {
        return Check::warn(
            "spf",
            domain,
            expected,
            found,
            format!(
                "{} after {} {} never evaluated (RFC 7208 §5.1): keep all last, as the plan's record does",
                listed(&after_all),
                all_text(found_all),
                if after_all.len() == 1 { "is" } else { "are" }
            ),
        );
    }
    if planned_all != found_all {
        let fix = match (
            found_all.map(String::as_str),
            planned_all.map(String::as_str),
        ) {
            (Some("~all"), Some("-all")) => format!(
                "it authorises everything the plan needs but ends in ~all: the plan ends in -all because it lists every server that sends for {domain}, so receivers may reject forgeries outright, where ~all only marks them suspicious; publish the plan's record unless a sender is still missing from it"
            ),
            (None, Some(planned_all)) => format!(
                "it authorises everything the plan needs but has no all term, so mail from any other server is only neutral: publish the plan's record, which ends in {planned_all}"
            ),
            (found_all, planned_all) => format!(
                "it authorises everything the plan needs but ends in {} instead of {}; publish the plan's record unless that is deliberate",
                found_all.unwrap_or("no all term"),
                planned_all.unwrap_or("no all term")
            ),
        };
        return Check::warn("spf", domain, expected, found, fix);
    }
    let extra: Vec<&String> = before_all
        .iter()
        .copied()
        .filter(|t| !planned.contains(t))
        .collect();
    let note = if !extra.is_empty() {
        format!("the plan's terms, plus {}", listed(extra))
    } else if found_terms.len() == planned.len() {
        "the plan's terms in another order".to_string()
    } else {
        "the plan's terms, some of them twice".to_string()
    };
    Check::pass("spf", domain, expected, format!("{found} ({note})"))
}

/// The lookups a receiver's evaluation of the published record costs.
async fn spf_lookups_check<D: Dns>(dns: &D, domain: &str, record: &str, checks: &mut Vec<Check>) {
    let count = spf_lookups::count(dns, domain, record).await;
    let limits = format!(
        "at most {MAX_LOOKUPS} DNS lookups and {MAX_VOID_LOOKUPS} void lookups (RFC 7208 §4.6.4)"
    );
    let bound = if count.stopped {
        "more than "
    } else if !count.temperrors.is_empty() {
        "at least "
    } else {
        ""
    };
    let void_bound = if bound.is_empty() { "" } else { "at least " };
    let found = format!(
        "{bound}{} lookup{} ({}), {void_bound}{} void",
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
    } else if let Some(failing) = count.temperrors.first() {
        let fix = if failing.error.is_resolver_trouble() {
            format!(
                "the resolver did not answer for {}, so what lies behind it was not counted: run verify with a resolver that answers for any domain (leave out --resolver for the system's)",
                failing.term
            )
        } else {
            format!(
                "{} fails to answer, so receivers' SPF checks end in temperror and they defer or distrust the site's mail: check that domain's name servers with its owner, or remove the term if the site no longer sends that way",
                failing.term
            )
        };
        Check::warn(
            "spf-lookups",
            domain,
            limits,
            format!(
                "{found}; temperror: {} (what lies behind it was not counted)",
                listed(&count.temperrors)
            ),
            fix,
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
    if let Some(trouble) = query_trouble("dkim", name, expected.as_str(), &answer) {
        return trouble;
    }
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
    // mail-auth validates; the tag-level look names what is wrong (and
    // catches v=DKIM1 out of place, which mail-auth accepts).
    let problem = match (
        DomainKey::parse(record.as_bytes()),
        record_lint::dkim_problem(record),
    ) {
        (_, Some(problem)) => Some(problem),
        (Err(error), None) => Some(record_lint::dkim_parse_error(&error)),
        (Ok(_), None) => None,
    };
    if let Some(problem) = problem {
        return Check::fail(
            "dkim",
            name,
            expected,
            format!("\"{record}\", not a valid DKIM1 record: {problem}"),
            format!(
                "{problem}, so receivers cannot verify the mail VM's signatures: {publish}, joining its quoted strings into one"
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
    if let Some(trouble) = query_trouble("dmarc", &name, expected.as_str(), &answer) {
        checks.push(trouble);
        return;
    }
    let records = txt_records(&answer, is_dmarc);
    let publish = format!("publish the TXT record {} at {name}", plan.dmarc);
    let record = match records.as_slice() {
        [] => {
            // A record that names DMARC1 but not first is ignored by
            // receivers: say so rather than "absent".
            let misplaced = txt_records(&answer, |t| t.to_ascii_uppercase().contains("V=DMARC1"));
            let fix = match misplaced
                .first()
                .and_then(|r| record_lint::dmarc_problem(r))
            {
                Some(problem) => format!("{problem}: {publish}"),
                None => format!(
                    "{publish}: Gmail and Yahoo require DMARC from bulk senders and rate mail without it lower"
                ),
            };
            checks.push(Check::fail(
                "dmarc",
                name.as_str(),
                expected,
                found_text(&answer, Rtype::Txt),
                fix,
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
    // mail-auth validates; the tag-level look names what is wrong (and
    // catches a missing p=, which mail-auth accepts).
    let parsed = DmarcRecord::parse(record.as_bytes());
    let problem = match (&parsed, record_lint::dmarc_problem(record)) {
        (_, Some(problem)) => Some(problem),
        (Err(error), None) => Some(format!("mail-auth cannot read it ({error})")),
        (Ok(_), None) => None,
    };
    let (Ok(parsed), None) = (parsed, &problem) else {
        let problem = problem.unwrap_or_default();
        checks.push(Check::fail(
            "dmarc",
            name.as_str(),
            expected,
            format!("\"{record}\", not a valid DMARC record: {problem}"),
            format!("{problem}, so receivers ignore the record: {publish}"),
        ));
        return;
    };
    let Ok(planned) = DmarcRecord::parse(plan.dmarc.as_bytes()) else {
        // The engine writes a valid record; should it ever not, say so
        // rather than stop.
        checks.push(Check::fail(
            "dmarc",
            name.as_str(),
            expected,
            format!("\"{record}\""),
            "mailplan's own DMARC record does not parse: report this as a bug in mailplan",
        ));
        return;
    };
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
        let authorizing = txt_records(&answer, is_dmarc);
        let expected = format!("\"v=DMARC1\" (the {rua_domain} side accepts reports for {domain})");
        if let Some(trouble) = query_trouble(
            "dmarc-report-authorization",
            &authorization,
            expected.as_str(),
            &answer,
        ) {
            checks.push(trouble);
            continue;
        }
        checks.push(if let Some(record) = authorizing.first() {
            Check::pass(
                "dmarc-report-authorization",
                authorization.as_str(),
                expected,
                format!("\"{record}\""),
            )
        } else {
            Check::fail(
                "dmarc-report-authorization",
                authorization.as_str(),
                expected,
                found_text(&answer, Rtype::Txt),
                format!(
                    "reports to {} lie outside {domain}, so receivers send them only when {rua_domain} publishes `{authorization} TXT \"v=DMARC1\"` (RFC 7489 §7.1): publish it there, or send reports to an address in {domain}",
                    uri.uri
                ),
            )
        });
    }
}

/// What a PTR's name resolves to, as the end of "PTR mail.example.com,
/// …": a clean clause for every outcome.
fn forward_outcome(answer: &Result<Vec<Rdata>, QueryError>, rtype: Rtype) -> String {
    let kind = rtype.as_str();
    match answer {
        Ok(_) => format!("which resolves to {}", found_text(answer, rtype)),
        Err(QueryError::NxDomain) => "which does not resolve (NXDOMAIN)".to_string(),
        Err(QueryError::NoData) => format!("which has no {kind} record"),
        Err(QueryError::ServFail) => format!("whose {kind} query failed (SERVFAIL)"),
        Err(QueryError::Refused) => format!("whose {kind} query the resolver refused (REFUSED)"),
        Err(QueryError::Failed(why)) => format!("whose {kind} query failed ({why})"),
        Err(QueryError::Unreachable(why)) => format!("whose {kind} query got no answer ({why})"),
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
        let check = if let Err(QueryError::ServFail) = &answer {
            Check::fail(
                "rdns",
                reverse.as_str(),
                expected,
                format!("the reverse zone of {address} failed to answer (SERVFAIL)"),
                format!(
                    "the name servers of the reverse zone of {address} fail to answer (SERVFAIL), so receivers see no PTR either: ask the ISP, who runs that zone, to fix it (DNSSEC or delegation): {why}"
                ),
            )
        } else if let Some(trouble) = query_trouble("rdns", &reverse, expected.as_str(), &answer) {
            trouble
        } else if names.is_empty() {
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
                listed(names.iter().map(|name| format!("PTR {name}"))),
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
                    format!("PTR {host}, {}", forward_outcome(forward, rtype)),
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
