//! SPF records (RFC 7208): term parsing, merging and the DNS-lookup budget.

use std::collections::HashSet;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Deserializer, Serialize};

use crate::names::{Text, list_at_most, quoted};

/// RFC 7208 §4.6.4: at most 10 terms that cause DNS queries.
pub const MAX_DNS_LOOKUPS: usize = 10;

/// A mechanism qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// `+` (the default, written without a sign).
    Pass,
    /// `-`
    Fail,
    /// `~`
    SoftFail,
    /// `?`
    Neutral,
}

impl Qualifier {
    fn prefix(self) -> &'static str {
        match self {
            Qualifier::Pass => "",
            Qualifier::Fail => "-",
            Qualifier::SoftFail => "~",
            Qualifier::Neutral => "?",
        }
    }
}

/// The mechanism of an SPF term other than `all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    /// `include:<domain>`
    Include(String),
    /// `a[:<domain>][/<cidr>]`
    A(Option<String>, Cidr),
    /// `mx[:<domain>][/<cidr>]`
    Mx(Option<String>, Cidr),
    /// `ptr[:<domain>]` (discouraged by RFC 7208 §5.5)
    Ptr(Option<String>),
    /// `ip4:<addr>[/<len>]`
    Ip4(Ipv4Addr, Option<u8>),
    /// `ip6:<addr>[/<len>]`
    Ip6(Ipv6Addr, Option<u8>),
    /// `exists:<domain>`
    Exists(String),
}

/// The optional dual CIDR suffix of `a` and `mx`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cidr {
    v4: Option<u8>,
    v6: Option<u8>,
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v4) = self.v4 {
            write!(f, "/{v4}")?;
        }
        if let Some(v6) = self.v6 {
            write!(f, "//{v6}")?;
        }
        Ok(())
    }
}

/// One SPF term (a qualified mechanism), e.g. `include:_spf.google.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfTerm {
    qualifier: Qualifier,
    mechanism: Mechanism,
}

/// Checks a domain-spec: DNS labels that may contain `_` (as in
/// `_spf.google.com`). SPF macros are not accepted.
fn check_domain_spec(spec: &str) -> Result<String, String> {
    if spec.contains('%') {
        return Err(format!(
            "{} uses SPF macros, which mailplan does not accept; write the domain out",
            quoted(spec)
        ));
    }
    let lower = spec.to_ascii_lowercase();
    let labels: Vec<&str> = lower.split('.').collect();
    let ok = lower.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if ok {
        Ok(lower)
    } else {
        Err(format!("{} is not a domain name", quoted(spec)))
    }
}

fn parse_prefix_len(text: &str, max: u8) -> Result<u8, String> {
    text.parse::<u8>()
        .ok()
        .filter(|len| *len <= max)
        .ok_or_else(|| {
            format!(
                "{} is not a prefix length (0-{max})",
                quoted(&format!("/{text}"))
            )
        })
}

/// Splits `a`/`mx` arguments into the optional domain and dual CIDR.
fn parse_domain_and_cidr(rest: &str) -> Result<(Option<String>, Cidr), String> {
    let (before_v6, v6) = match rest.split_once("//") {
        Some((before, v6)) => (before, Some(parse_prefix_len(v6, 128)?)),
        None => (rest, None),
    };
    let (domain, v4) = match before_v6.split_once('/') {
        Some((domain, v4)) => (domain, Some(parse_prefix_len(v4, 32)?)),
        None => (before_v6, None),
    };
    let domain = match domain {
        "" => None,
        d => Some(check_domain_spec(d.strip_prefix(':').ok_or_else(
            || format!("expected ':' before the domain in {}", quoted(rest)),
        )?)?),
    };
    Ok((domain, Cidr { v4, v6 }))
}

impl SpfTerm {
    /// `mx`
    pub fn mx() -> Self {
        Self {
            qualifier: Qualifier::Pass,
            mechanism: Mechanism::Mx(None, Cidr::default()),
        }
    }

    /// `include:<domain>`
    pub fn include(domain: &str) -> Self {
        Self {
            qualifier: Qualifier::Pass,
            mechanism: Mechanism::Include(domain.to_ascii_lowercase()),
        }
    }

    /// `a:<domain>`
    pub fn a(domain: &str) -> Self {
        Self {
            qualifier: Qualifier::Pass,
            mechanism: Mechanism::A(Some(domain.to_ascii_lowercase()), Cidr::default()),
        }
    }

    /// `ip4:<addr>`
    pub fn ip4(addr: Ipv4Addr) -> Self {
        Self {
            qualifier: Qualifier::Pass,
            mechanism: Mechanism::Ip4(addr, None),
        }
    }

    /// `ip6:<addr>`
    pub fn ip6(addr: Ipv6Addr) -> Self {
        Self {
            qualifier: Qualifier::Pass,
            mechanism: Mechanism::Ip6(addr, None),
        }
    }

    /// Parses one term as written in `spf.extra`.
    pub fn parse(input: &str) -> Result<Self, String> {
        let lower = input.to_ascii_lowercase();
        let (qualifier, body) = match lower.chars().next() {
            Some('+') => (Qualifier::Pass, &lower[1..]),
            Some('-') => (Qualifier::Fail, &lower[1..]),
            Some('~') => (Qualifier::SoftFail, &lower[1..]),
            Some('?') => (Qualifier::Neutral, &lower[1..]),
            Some(_) => (Qualifier::Pass, &lower[..]),
            None => {
                return Err("is empty; write a mechanism such as include:_spf.google.com".into());
            }
        };
        let name_end = body.find([':', '/', '=']).unwrap_or(body.len());
        let (name, rest) = body.split_at(name_end);
        let arg = |rest: &str| -> Result<String, String> {
            rest.strip_prefix(':')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("{} needs an argument after ':'", quoted(input)))
        };
        let mechanism = match name {
            "include" => Mechanism::Include(check_domain_spec(&arg(rest)?)?),
            "exists" => Mechanism::Exists(check_domain_spec(&arg(rest)?)?),
            "a" => {
                let (domain, cidr) = parse_domain_and_cidr(rest)?;
                Mechanism::A(domain, cidr)
            }
            "mx" => {
                let (domain, cidr) = parse_domain_and_cidr(rest)?;
                Mechanism::Mx(domain, cidr)
            }
            "ptr" => Mechanism::Ptr(match rest {
                "" => None,
                _ => Some(check_domain_spec(&arg(rest)?)?),
            }),
            "ip4" => {
                let arg = arg(rest)?;
                let (addr, len) = match arg.split_once('/') {
                    Some((addr, len)) => (addr, Some(parse_prefix_len(len, 32)?)),
                    None => (arg.as_str(), None),
                };
                let addr = addr
                    .parse()
                    .map_err(|_| format!("{} is not an IPv4 address", quoted(addr)))?;
                Mechanism::Ip4(addr, len)
            }
            "ip6" => {
                let arg = arg(rest)?;
                let (addr, len) = match arg.split_once('/') {
                    Some((addr, len)) => (addr, Some(parse_prefix_len(len, 128)?)),
                    None => (arg.as_str(), None),
                };
                let addr = addr
                    .parse()
                    .map_err(|_| format!("{} is not an IPv6 address", quoted(addr)))?;
                Mechanism::Ip6(addr, len)
            }
            "all" => {
                return Err(
                    "`all` closes the record and is set by spf.all (\"-all\", \"~all\" or \"?all\"), not in spf.extra"
                        .into(),
                );
            }
            "redirect" | "exp" if rest.starts_with('=') => {
                return Err(format!(
                    "the modifier {} is not supported in spf.extra: mailplan writes the whole record, list the mechanisms instead",
                    quoted(input)
                ));
            }
            _ => {
                return Err(format!(
                    "{} is not an SPF mechanism; expected include:, a, mx, ip4:, ip6:, exists: or ptr",
                    quoted(input)
                ));
            }
        };
        Ok(Self {
            qualifier,
            mechanism,
        })
    }

    /// True when evaluating this term costs a DNS query (RFC 7208 §4.6.4).
    pub fn queries_dns(&self) -> bool {
        !matches!(self.mechanism, Mechanism::Ip4(..) | Mechanism::Ip6(..))
    }

    /// The mechanism.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }
}

impl fmt::Display for SpfTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.qualifier.prefix())?;
        let opt = |d: &Option<String>| d.as_ref().map(|d| format!(":{d}")).unwrap_or_default();
        match &self.mechanism {
            Mechanism::Include(d) => write!(f, "include:{d}"),
            Mechanism::Exists(d) => write!(f, "exists:{d}"),
            Mechanism::A(d, cidr) => write!(f, "a{}{cidr}", opt(d)),
            Mechanism::Mx(d, cidr) => write!(f, "mx{}{cidr}", opt(d)),
            Mechanism::Ptr(d) => write!(f, "ptr{}", opt(d)),
            Mechanism::Ip4(addr, len) => match len {
                Some(len) => write!(f, "ip4:{addr}/{len}"),
                None => write!(f, "ip4:{addr}"),
            },
            Mechanism::Ip6(addr, len) => match len {
                Some(len) => write!(f, "ip6:{addr}/{len}"),
                None => write!(f, "ip6:{addr}"),
            },
        }
    }
}

impl<'de> Deserialize<'de> for SpfTerm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        SpfTerm::parse(&text.0).map_err(serde::de::Error::custom)
    }
}

/// The closing `all` term. `+all` is refused: it authorises the world.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum SpfAll {
    /// `-all`: everything else fails (the guide's choice).
    #[default]
    #[serde(rename = "-all")]
    Fail,
    /// `~all`: everything else soft-fails (rollout).
    #[serde(rename = "~all")]
    SoftFail,
    /// `?all`: no statement about everything else.
    #[serde(rename = "?all")]
    Neutral,
}

impl SpfAll {
    /// Parses `-all`, `~all` or `?all`.
    pub fn parse(input: &str) -> Result<Self, String> {
        match input {
            "-all" => Ok(Self::Fail),
            "~all" => Ok(Self::SoftFail),
            "?all" => Ok(Self::Neutral),
            "+all" | "all" => Err(format!(
                "{} would let every server on the internet send as this domain; use \"-all\" (or \"~all\" while rolling out)",
                quoted(input)
            )),
            _ => Err(format!(
                "{} is not an SPF `all` term; expected \"-all\", \"~all\" or \"?all\"",
                quoted(input)
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            SpfAll::Fail => "-all",
            SpfAll::SoftFail => "~all",
            SpfAll::Neutral => "?all",
        }
    }
}

impl<'de> Deserialize<'de> for SpfAll {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        SpfAll::parse(&text.0).map_err(serde::de::Error::custom)
    }
}

/// An SPF record under construction: terms in order, without duplicates.
#[derive(Debug, Clone, Default)]
pub struct SpfRecord {
    terms: Vec<SpfTerm>,
    /// The text of every term, so that pushing stays linear.
    seen: HashSet<String>,
    all: SpfAll,
}

/// RFC 7208 §3.4: keep the record small enough that the whole answer
/// fits a 512-octet UDP datagram; past this, a warning.
pub const RECOMMENDED_MAX_OCTETS: usize = 450;

/// Longer records are refused: common DNS hosts refuse TXT values over
/// 2,048 characters (Cloudflare's limit), and the answer no longer fits
/// the 1,232-octet EDNS buffer resolvers advertise since DNS Flag Day 2020.
pub const MAX_OCTETS: usize = 2048;

/// The DNS lookups a record costs (RFC 7208 §4.6.4), term by term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupCost {
    /// Every term that queries DNS, with what it costs: 1, plus the nested
    /// lookups of an `include:` whose record is known.
    pub terms: Vec<(String, usize)>,
    /// `include:` domains whose own nested lookups are not known, each
    /// counted as 1.
    pub unknown_includes: Vec<String>,
}

impl LookupCost {
    /// The lookups in all.
    pub fn total(&self) -> usize {
        self.terms.iter().map(|(_, cost)| cost).sum()
    }
}

impl SpfRecord {
    /// Starts a record that closes with `all`.
    pub fn new(all: SpfAll) -> Self {
        Self {
            terms: Vec::new(),
            seen: HashSet::new(),
            all,
        }
    }

    /// Appends a term unless an identical one is already there; the first
    /// occurrence keeps its place.
    pub fn push(&mut self, term: SpfTerm) {
        if self.seen.insert(term.to_string()) {
            self.terms.push(term);
        }
    }

    /// What the record costs in DNS lookups. `nested_lookups` tells, for an
    /// `include:` domain, how many lookups its own record makes (`None`
    /// when unknown).
    pub fn lookup_cost(&self, nested_lookups: impl Fn(&str) -> Option<usize>) -> LookupCost {
        let mut cost = LookupCost {
            terms: Vec::new(),
            unknown_includes: Vec::new(),
        };
        for term in self.terms.iter().filter(|t| t.queries_dns()) {
            let nested = match &term.mechanism {
                Mechanism::Include(domain) => nested_lookups(domain).unwrap_or_else(|| {
                    cost.unknown_includes.push(domain.clone());
                    0
                }),
                _ => 0,
            };
            cost.terms.push((term.to_string(), 1 + nested));
        }
        cost
    }

    /// Checks the record against the 10-lookup budget, counting what each
    /// known include queries in turn, and returns the cost.
    pub fn check_lookup_budget(
        &self,
        nested_lookups: impl Fn(&str) -> Option<usize>,
    ) -> Result<LookupCost, String> {
        const SHOWN: usize = 12;
        let cost = self.lookup_cost(nested_lookups);
        let total = cost.total();
        if total <= MAX_DNS_LOOKUPS {
            return Ok(cost);
        }
        let shown = list_at_most(
            cost.terms.iter().map(|(term, lookups)| match lookups {
                1 => term.clone(),
                n => format!("{term} ({n}: it includes {} more)", n - 1),
            }),
            SHOWN,
        );
        Err(format!(
            "the SPF record would need {total} DNS lookups ({shown}); RFC 7208 §4.6.4 allows {MAX_DNS_LOOKUPS}, and receivers treat more as a permanent error. Replace includes with ip4:/ip6: ranges or drop unused senders"
        ))
    }

    /// The record's length in octets, as published.
    pub fn octets(&self) -> usize {
        "v=spf1".len()
            + self
                .terms
                .iter()
                .map(|t| 1 + t.to_string().len())
                .sum::<usize>()
            + 1
            + self.all.as_str().len()
    }

    /// True when any term is `ptr`.
    pub fn uses_ptr(&self) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(t.mechanism, Mechanism::Ptr(_)))
    }
}

impl fmt::Display for SpfRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=spf1")?;
        for term in &self.terms {
            write!(f, " {term}")?;
        }
        write!(f, " {}", self.all.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> SpfTerm {
        SpfTerm::parse(s).unwrap()
    }

    #[test]
    fn terms_round_trip() {
        for text in [
            "include:_spf.google.com",
            "a",
            "a:mail.example.com",
            "a/24",
            "mx//64",
            "a:relay.example.net/28//64",
            "ip4:192.0.2.0/24",
            "ip4:192.0.2.1",
            "ip6:2001:db8::/32",
            "~include:spf.mailjet.com",
            "-ip4:198.51.100.7",
            "exists:example.net",
            "ptr",
        ] {
            assert_eq!(t(text).to_string(), text);
        }
        assert_eq!(t("+MX").to_string(), "mx");
        assert_eq!(
            t("Include:SendGrid.net").to_string(),
            "include:sendgrid.net"
        );
    }

    #[test]
    fn bad_terms() {
        for bad in [
            "",
            "all",
            "-all",
            "redirect=_spf.example.com",
            "exp=explain.example.com",
            "include:",
            "include:%{i}.example.com",
            "ip4:300.1.1.1",
            "ip4:192.0.2.0/33",
            "ip6:2001:db8::/129",
            "a:bad..name",
            "foo:bar",
            "include:a b",
            "include:a,b.com",
        ] {
            assert!(SpfTerm::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn bad_terms_are_quoted_escaped() {
        for bad in [
            "ip4:192.0.2.0/3\u{1b}[2J",
            "ip6:2001:db8::/1\n2",
            "a/\u{202e}4",
            "mx//1\u{2028}",
            "fo\u{1b}o:bar",
            "include:a\u{7}b.com",
        ] {
            let err = SpfTerm::parse(bad).unwrap_err();
            assert!(
                !err.chars().any(attrset_de::is_unprintable),
                "{bad:?} shown raw: {err:?}"
            );
            assert!(err.contains("\\u{") || err.contains("\\n"), "{err:?}");
        }
        assert_eq!(
            SpfTerm::parse("ip4:192.0.2.0/33").unwrap_err(),
            "\"/33\" is not a prefix length (0-32)"
        );
    }

    #[test]
    fn records_dedupe_in_stable_order() {
        let mut r = SpfRecord::new(SpfAll::Fail);
        r.push(SpfTerm::mx());
        r.push(SpfTerm::include("_spf.google.com"));
        r.push(t("mx"));
        r.push(t("include:sendgrid.net"));
        r.push(t("INCLUDE:_spf.google.com"));
        assert_eq!(
            r.to_string(),
            "v=spf1 mx include:_spf.google.com include:sendgrid.net -all"
        );
    }

    #[test]
    fn lookup_budget() {
        let unknown = |_: &str| None;
        let mut r = SpfRecord::new(SpfAll::Fail);
        r.push(SpfTerm::mx());
        for i in 0..9 {
            r.push(t(&format!("include:s{i}.example.net")));
        }
        r.push(t("ip4:192.0.2.1"));
        r.push(t("ip6:2001:db8::1"));
        let cost = r.check_lookup_budget(unknown).unwrap();
        assert_eq!(cost.total(), 10);
        assert_eq!(cost.unknown_includes.len(), 9);
        r.push(t("a:one-more.example.net"));
        let err = r.check_lookup_budget(unknown).unwrap_err();
        assert!(err.contains("11 DNS lookups"), "{err}");
        assert!(err.contains("RFC 7208"), "{err}");
    }

    #[test]
    fn known_includes_count_their_nested_lookups() {
        let nested = |domain: &str| (domain == "_spf.google.com").then_some(3);
        let mut r = SpfRecord::new(SpfAll::Fail);
        r.push(SpfTerm::mx());
        r.push(SpfTerm::include("_spf.google.com"));
        for i in 0..6 {
            r.push(t(&format!("include:s{i}.example.net")));
        }
        let err = r.check_lookup_budget(nested).unwrap_err();
        assert!(err.contains("11 DNS lookups"), "{err}");
        assert!(
            err.contains("include:_spf.google.com (4: it includes 3 more)"),
            "{err}"
        );
    }

    #[test]
    fn long_budget_errors_list_a_bounded_number_of_terms() {
        let mut r = SpfRecord::new(SpfAll::Fail);
        for i in 0..200 {
            r.push(t(&format!("a:host{i}.example.net")));
        }
        let err = r.check_lookup_budget(|_| None).unwrap_err();
        assert!(err.contains("and 188 more"), "{err}");
        assert!(err.len() < 1000, "{}", err.len());
    }

    #[test]
    fn pushing_many_terms_is_linear() {
        let mut r = SpfRecord::new(SpfAll::Fail);
        for i in 0..50_000u32 {
            r.push(SpfTerm::ip4(Ipv4Addr::from(i)));
            r.push(SpfTerm::ip4(Ipv4Addr::from(i)));
        }
        assert_eq!(r.lookup_cost(|_| None).total(), 0);
        assert_eq!(r.octets(), r.to_string().len());
    }

    #[test]
    fn plus_all_is_refused() {
        assert!(SpfAll::parse("+all").is_err());
        assert_eq!(SpfAll::parse("~all").unwrap(), SpfAll::SoftFail);
    }
}
