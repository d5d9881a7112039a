//! The DNS-lookup cost of a published SPF record, counted the way a
//! receiver counts it (RFC 7208 §4.6.4): every `include`, `a`, `mx`,
//! `ptr`, `exists` and `redirect`, recursively through the includes and
//! redirects, and the void lookups among them.

use std::future::Future;
use std::pin::Pin;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::spf::{Macro, Mechanism, Spf as SpfRecord};

use crate::dns::{Dns, QueryError, Rdata, Rtype, txt_records};

/// RFC 7208 §4.6.4: at most 10 terms that cause DNS lookups.
pub const MAX_LOOKUPS: u32 = 10;
/// RFC 7208 §4.6.4: at most 2 lookups that return nothing.
pub const MAX_VOID_LOOKUPS: u32 = 2;
/// RFC 7208 §4.6.4: an `mx` term's hosts are looked up, at most 10.
pub const MAX_MX_HOSTS: usize = 10;
/// Counting stops here: the record already fails, and a loop of
/// includes must not run forever.
const COUNT_CEILING: u32 = 40;

/// What a receiver's evaluation of the record costs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LookupCount {
    /// Terms that cause DNS lookups.
    pub lookups: u32,
    /// Lookups that found nothing (NXDOMAIN or an empty answer).
    pub voids: u32,
    /// Where each lookup comes from, for the report (`include:_spf.google.com`,
    /// `_spf.google.com: include:_netblocks.google.com`, ...).
    pub terms: Vec<String>,
    /// What makes the record fail evaluation besides the limits (a
    /// permerror): an include without an SPF record, two SPF records, a
    /// loop, an invalid record.
    pub errors: Vec<String>,
    /// Lookups whose query failed (SERVFAIL, REFUSED, no answer): a
    /// receiver's evaluation ends in temperror (RFC 7208 §4.4, §5.2), and
    /// the count is a lower bound (what lies behind them was not seen).
    pub temperrors: Vec<TempError>,
    /// Terms that could not be followed (macros need a real message).
    pub unfollowed: Vec<String>,
    /// Counting stopped at the ceiling.
    pub stopped: bool,
}

impl LookupCount {
    /// Counts one term that causes a lookup (`prefix` is `include:`,
    /// `a:`, `mx:`, `exists:` or `redirect=`) and returns its target, or
    /// notes it as not followed when a macro names the target.
    fn term(
        &mut self,
        place: Option<&str>,
        prefix: &str,
        spec: &Macro,
        current: &str,
    ) -> Option<String> {
        self.lookups += 1;
        let found = target(spec, current);
        match &found {
            Some(name) => self.terms.push(located(place, format!("{prefix}{name}"))),
            None => self.unfollowed.push(located(
                place,
                format!("{} with a macro", prefix.trim_end_matches([':', '='])),
            )),
        }
        found
    }
}

/// A lookup whose query failed for a reason other than the name or the
/// record not existing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempError {
    /// The term, as the report names it (`include:_spf.example.net`).
    pub term: String,
    /// How its query failed.
    pub error: QueryError,
}

impl std::fmt::Display for TempError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.term, self.error.describe())
    }
}

/// A term as the report names it: prefixed with the domain whose record
/// holds it, when that is an included or redirected one.
fn located(place: Option<&str>, term: String) -> String {
    match place {
        Some(domain) => format!("{domain}: {term}"),
        None => term,
    }
}

/// Whether a TXT record is an SPF record (RFC 7208 §4.5).
pub fn is_spf(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    lower == "v=spf1" || lower.starts_with("v=spf1 ")
}

/// Why an included or redirected domain gives no record to follow.
enum Unfetched {
    /// The query failed, or found nothing (`NoData` for TXT records
    /// without a `v=spf1` one).
    Dns(QueryError),
    /// More than one SPF record (a permerror, RFC 7208 §4.5).
    Several(usize),
}

/// The SPF record of `domain`, when there is exactly one.
async fn fetch<D: Dns>(dns: &D, domain: &str) -> Result<String, Unfetched> {
    let answer = dns.query(domain, Rtype::Txt).await;
    if let Err(error) = &answer {
        return Err(Unfetched::Dns(error.clone()));
    }
    let mut spf = txt_records(&answer, is_spf);
    match spf.len() {
        0 => Err(Unfetched::Dns(QueryError::NoData)),
        1 => Ok(spf.remove(0)),
        n => Err(Unfetched::Several(n)),
    }
}

/// The target of a term: the literal domain, the current domain when the
/// term has none, `None` for a macro.
fn target(spec: &Macro, current: &str) -> Option<String> {
    match spec {
        Macro::None => Some(current.to_string()),
        Macro::Literal(bytes) => Some(
            String::from_utf8_lossy(bytes)
                .trim_end_matches('.')
                .to_ascii_lowercase(),
        ),
        _ => None,
    }
}

/// Counts the lookups of `record`, published at `domain`.
pub async fn count<D: Dns>(dns: &D, domain: &str, record: &str) -> LookupCount {
    let mut total = LookupCount::default();
    match SpfRecord::parse(record.as_bytes()) {
        Ok(parsed) => {
            let mut path = vec![domain.to_string()];
            count_record(dns, domain, &parsed, &mut path, &mut total).await;
        }
        Err(error) => total
            .errors
            .push(format!("{domain}: not a valid SPF record ({error})")),
    }
    total
}

fn count_record<'a, D: Dns>(
    dns: &'a D,
    domain: &'a str,
    record: &'a SpfRecord,
    path: &'a mut Vec<String>,
    total: &'a mut LookupCount,
) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
    Box::pin(async move {
        // Terms met inside an include or a redirect say where they are.
        let place = (path.len() > 1).then_some(domain);
        let mut has_all = false;
        for directive in record.directives.iter() {
            if total.lookups >= COUNT_CEILING {
                total.stopped = true;
                return;
            }
            match &directive.mechanism {
                Mechanism::Include { macro_string } => {
                    let Some(included) = total.term(place, "include:", macro_string, domain) else {
                        continue;
                    };
                    follow(dns, place, &included, "include:", path, total).await;
                }
                Mechanism::A { macro_string, .. } => {
                    let Some(host) = total.term(place, "a:", macro_string, domain) else {
                        continue;
                    };
                    address_lookup(dns, place, "a:", &host, total).await;
                }
                Mechanism::Mx { macro_string, .. } => {
                    let Some(host) = total.term(place, "mx:", macro_string, domain) else {
                        continue;
                    };
                    match dns.query(&host, Rtype::Mx).await {
                        Ok(records) => {
                            let exchanges: Vec<String> = records
                                .into_iter()
                                .filter_map(|r| match r {
                                    Rdata::Mx(_, exchange) => Some(exchange),
                                    _ => None,
                                })
                                .collect();
                            if exchanges.len() > MAX_MX_HOSTS {
                                total.errors.push(format!(
                                    "mx:{host} has {} MX hosts; RFC 7208 §4.6.4 allows {MAX_MX_HOSTS}",
                                    exchanges.len()
                                ));
                            }
                        }
                        Err(error) if error.is_void() => total.voids += 1,
                        Err(error) => total.temperrors.push(TempError {
                            term: located(place, format!("mx:{host}")),
                            error,
                        }),
                    }
                }
                Mechanism::Ptr { .. } => {
                    total.lookups += 1;
                    total.terms.push(located(place, "ptr".into()));
                }
                Mechanism::Exists { macro_string } => {
                    let Some(host) = total.term(place, "exists:", macro_string, domain) else {
                        continue;
                    };
                    address_lookup(dns, place, "exists:", &host, total).await;
                }
                Mechanism::All => has_all = true,
                Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => {}
            }
        }
        // RFC 7208 §6.1: redirect is ignored when the record has `all`.
        if let (Some(spec), false) = (&record.redirect, has_all)
            && let Some(redirected) = total.term(place, "redirect=", spec, domain)
        {
            follow(dns, place, &redirected, "redirect=", path, total).await;
        }
    })
}

/// Evaluates the record an include or a redirect names.
async fn follow<D: Dns>(
    dns: &D,
    place: Option<&str>,
    domain: &str,
    how: &str,
    path: &mut Vec<String>,
    total: &mut LookupCount,
) {
    if path.iter().any(|seen| seen == domain) {
        total.errors.push(format!(
            "{how}{domain} loops back ({} → {domain})",
            path.join(" → ")
        ));
        return;
    }
    match fetch(dns, domain).await {
        Ok(text) => match SpfRecord::parse(text.as_bytes()) {
            Ok(parsed) => {
                path.push(domain.to_string());
                count_record(dns, domain, &parsed, path, total).await;
                path.pop();
            }
            Err(error) => total
                .errors
                .push(format!("{how}{domain}: not a valid SPF record ({error})")),
        },
        Err(Unfetched::Several(n)) => total.errors.push(format!(
            "{how}{domain} has {n} SPF records, so receivers return permerror (RFC 7208 §4.5)"
        )),
        Err(Unfetched::Dns(error)) if error.is_void() => {
            total.voids += 1;
            total.errors.push(format!(
                "{how}{domain} has no usable SPF record: {} (receivers return permerror)",
                match &error {
                    QueryError::NoData => "no v=spf1 TXT record".to_string(),
                    other => other.describe(),
                }
            ));
        }
        // RFC 7208 §5.2, §4.4: a DNS error other than NXDOMAIN or no
        // records ends the evaluation in temperror.
        Err(Unfetched::Dns(error)) => total.temperrors.push(TempError {
            term: located(place, format!("{how}{domain}")),
            error,
        }),
    }
}

async fn address_lookup<D: Dns>(
    dns: &D,
    place: Option<&str>,
    prefix: &str,
    host: &str,
    total: &mut LookupCount,
) {
    match dns.query(host, Rtype::A).await {
        Ok(records) if records.iter().any(|r| matches!(r, Rdata::A(_))) => {}
        Ok(_) => total.voids += 1,
        Err(error) if error.is_void() => total.voids += 1,
        Err(error) => total.temperrors.push(TempError {
            term: located(place, format!("{prefix}{host}")),
            error,
        }),
    }
}
