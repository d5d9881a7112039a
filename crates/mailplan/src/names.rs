//! Validated names: DNS names, relative owner names, e-mail addresses and
//! public IP addresses.
//!
//! Each type can only hold a value that is safe to write verbatim into
//! `main.cf`, a postfix lookup table, a zone file or a JSON config: the
//! character sets exclude whitespace, `,`, `:`, quotes and control
//! characters by construction.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) use attrset_de::quoted;

/// Lists items for a message, joined by ", ": the first `shown`, then
/// "and N more", so that the message stays short however long the list.
pub(crate) fn list_at_most(items: impl ExactSizeIterator<Item = String>, shown: usize) -> String {
    let total = items.len();
    let mut listed: Vec<String> = items.take(shown).collect();
    if total > shown {
        listed.push(format!("and {} more", total - shown));
    }
    listed.join(", ")
}

/// Checks one DNS label under the host-name rules (RFC 952/1123: letters,
/// digits and inner hyphens, 1 to 63 octets).
fn check_host_label(label: &str) -> Result<(), String> {
    if label.is_empty() {
        return Err("it has an empty label (two dots in a row, or a leading dot)".into());
    }
    if label.len() > 63 {
        return Err(format!(
            "the label {} is {} characters long; DNS allows at most 63",
            quoted(label),
            label.len()
        ));
    }
    if let Some(bad) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(if bad.is_ascii() {
            format!(
                "the label {} contains {}; host names allow only letters, digits and '-'",
                quoted(label),
                quoted(&bad.to_string())
            )
        } else {
            format!(
                "the label {} is not ASCII; write internationalised names in their punycode form (xn--…)",
                quoted(label)
            )
        });
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(format!(
            "the label {} starts or ends with '-', which host names do not allow",
            quoted(label)
        ));
    }
    Ok(())
}

/// The longest DNS name in presentation form, without the trailing dot
/// (RFC 1035 §2.3.4: 255 octets on the wire).
pub const MAX_NAME_LEN: usize = 253;

/// A fully qualified DNS host or domain name, lowercase, without the
/// trailing dot, with at least two labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainName(String);

impl DomainName {
    /// Parses and normalises (lowercases) a fully qualified name.
    pub fn parse(input: &str) -> Result<Self, String> {
        let describe = |why: String| format!("{} is not a valid DNS name: {why}", quoted(input));
        if input.is_empty() {
            return Err("is empty; a DNS name such as example.com is required".into());
        }
        if input.ends_with('.') && input.len() > 1 {
            return Err(describe(
                "write it without the trailing dot (it is always treated as absolute)".into(),
            ));
        }
        let name = input.to_ascii_lowercase();
        if name.len() > MAX_NAME_LEN {
            return Err(describe(format!(
                "it is {} characters long; DNS allows at most {MAX_NAME_LEN}",
                name.len()
            )));
        }
        let labels: Vec<&str> = name.split('.').collect();
        if labels.len() < 2 {
            return Err(describe(
                "it has a single label; a fully qualified name such as example.com is required"
                    .into(),
            ));
        }
        for label in &labels {
            check_host_label(label).map_err(describe)?;
        }
        if labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(describe(
                "its last label is all digits (is it an IP address?)".into(),
            ));
        }
        Ok(Self(name))
    }

    /// The name as text, without the trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `self` equals `zone` or lies below it.
    pub fn is_within(&self, zone: &DomainName) -> bool {
        self.0 == zone.0
            || (self.0.len() > zone.0.len()
                && self.0.ends_with(&zone.0)
                && self.0.as_bytes()[self.0.len() - zone.0.len() - 1] == b'.')
    }

    /// The name relative to `zone`: `"@"` for the apex, `None` when outside.
    pub fn relative_to(&self, zone: &DomainName) -> Option<&str> {
        if self.0 == zone.0 {
            Some("@")
        } else if self.is_within(zone) {
            Some(&self.0[..self.0.len() - zone.0.len() - 1])
        } else {
            None
        }
    }

    /// The name `relative.self`, checked like any other name (the result
    /// may be too long).
    pub fn child(&self, relative: &str) -> Result<DomainName, String> {
        DomainName::parse(&format!("{relative}.{}", self.0))
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name relative to a zone, as dyndns updaters take it: `@` for the
/// apex, `*` for the wildcard, or one or more host labels (`laufentaler`,
/// `mail.office`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelativeName(String);

impl RelativeName {
    /// Parses and normalises (lowercases) a relative name.
    pub fn parse(input: &str) -> Result<Self, String> {
        if input == "@" || input == "*" {
            return Ok(Self(input.to_string()));
        }
        if input.is_empty() {
            return Err("is empty; use \"@\" for the zone apex".into());
        }
        let name = input.to_ascii_lowercase();
        let rest = name.strip_prefix("*.").unwrap_or(&name);
        for label in rest.split('.') {
            check_host_label(label).map_err(|why| {
                format!(
                    "{} is not a host label relative to the zone: {why}",
                    quoted(input)
                )
            })?;
        }
        Ok(Self(name))
    }

    /// The name as written (`@`, `*` or labels).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The absolute name this denotes under `zone`, as text: `*.zone` for
    /// the wildcard, `zone` for `@`.
    pub fn fqdn(&self, zone: &DomainName) -> String {
        if self.0 == "@" {
            zone.to_string()
        } else {
            format!("{}.{zone}", self.0)
        }
    }

    /// The absolute name this denotes under `zone`, unless it is a
    /// wildcard or would be too long for DNS.
    pub fn name_under(&self, zone: &DomainName) -> Option<DomainName> {
        if self.is_wildcard() {
            None
        } else {
            DomainName::parse(&self.fqdn(zone)).ok()
        }
    }

    /// True for `*` and `*.label` (wildcard owners cannot be MX or CNAME
    /// targets).
    pub fn is_wildcard(&self) -> bool {
        self.0.starts_with('*')
    }
}

/// The longest DKIM selector: `<selector>._domainkey.` then the shortest
/// domain (`a.bc`) must fit DNS's 253 characters.
pub const MAX_SELECTOR_LEN: usize = MAX_NAME_LEN - "._domainkey.a.bc".len();

/// A DKIM selector: dot-separated host labels (`default`, `2026q1`,
/// `mail.rotated`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(String);

impl Selector {
    /// Parses a selector.
    pub fn parse(input: &str) -> Result<Self, String> {
        if input.is_empty() {
            return Err("is empty; the guide's selector is \"default\"".into());
        }
        if input.len() > MAX_SELECTOR_LEN {
            return Err(format!(
                "is {} characters long; a DKIM selector is a short name such as \"default\" or \"2026q1\", and with \"._domainkey.<domain>\" after it the record name must stay within DNS's 253 (at most {MAX_SELECTOR_LEN} accepted here)",
                input.len()
            ));
        }
        let name = input.to_ascii_lowercase();
        for label in name.split('.') {
            check_host_label(label)
                .map_err(|why| format!("{} is not a DKIM selector: {why}", quoted(input)))?;
        }
        Ok(Self(name))
    }

    /// The selector as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Selector {
    fn default() -> Self {
        Self("default".into())
    }
}

/// Characters RFC 5322 allows in an unquoted (dot-atom) local part.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// An e-mail address in the unquoted `local@domain` form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EmailAddress {
    local: String,
    domain: DomainName,
}

impl EmailAddress {
    /// Parses an address; the domain is lowercased, the local part kept.
    pub fn parse(input: &str) -> Result<Self, String> {
        let Some((local, domain)) = input.rsplit_once('@') else {
            return Err(format!(
                "{} is not an e-mail address: it has no '@'",
                quoted(input)
            ));
        };
        let describe = |why: String| format!("{} is not an e-mail address: {why}", quoted(input));
        if local.is_empty() {
            return Err(describe("the part before '@' is empty".into()));
        }
        if local.len() > 64 {
            return Err(describe(format!(
                "the part before '@' is {} characters long; at most 64 are allowed",
                local.len()
            )));
        }
        if let Some(bad) = local.chars().find(|c| !(is_atext(*c) || *c == '.')) {
            return Err(describe(format!(
                "{} is not allowed before '@' (quoted local parts are not supported)",
                quoted(&bad.to_string())
            )));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(describe(
                "the part before '@' starts or ends with '.', or has two in a row".into(),
            ));
        }
        let domain =
            DomainName::parse(domain).map_err(|why| describe(format!("its domain {why}")))?;
        Ok(Self {
            local: local.to_string(),
            domain,
        })
    }

    /// The part before `@`.
    pub fn local(&self) -> &str {
        &self.local
    }

    /// The part after `@`.
    pub fn domain(&self) -> &DomainName {
        &self.domain
    }

    /// The address in lowercase: Dovecot lowercases every login
    /// (`auth_username_format = %Lu`), so a mailbox is its lowercase
    /// address.
    pub fn to_lowercase(&self) -> Self {
        Self {
            local: self.local.to_ascii_lowercase(),
            domain: self.domain.clone(),
        }
    }

    /// Why the part before `@` cannot name a mailbox, if it cannot. A
    /// mailbox's address is its IMAP login, so its local part keeps to
    /// Dovecot's default `auth_username_chars` (after lowercasing: a-z,
    /// 0-9, '.', '-', '_') and starts and ends with a letter or digit (`..`
    /// is refused by [`EmailAddress::parse`]). Only the offending character
    /// is named, never the value.
    pub fn mailbox_problem(&self) -> Option<String> {
        let local = self.local.as_str();
        let first = local.chars().next()?;
        let last = local.chars().next_back()?;
        let edge = ": mailbox names start and end with a letter or digit; rename it";
        let (what, bad, why) = if first == '#' {
            (
                "starts with",
                first,
                ", which turns its line into a comment in postfix's and Dovecot's tables; name the mailbox without it",
            )
        } else if let Some(bad) = local
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || ".-_".contains(*c)))
        {
            (
                "contains",
                bad,
                ": Dovecot refuses it in logins (auth_username_chars), so the mailbox could never log in; name the mailbox without it",
            )
        } else if !first.is_ascii_alphanumeric() {
            ("starts with", first, edge)
        } else if !last.is_ascii_alphanumeric() {
            ("ends with", last, edge)
        } else {
            return None;
        };
        Some(format!("{what} '{bad}'{why}"))
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// Why an address cannot be someone's public address, if it cannot.
fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_private() {
        Some("a private (RFC 1918) address; give the WAN address the ISP assigned")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if ip.is_unspecified() || a == 0 {
        Some("in 0.0.0.0/8, which is not routable")
    } else if ip.is_multicast() || a >= 240 {
        Some("a multicast or reserved address")
    } else if a == 100 && (64..128).contains(&b) {
        Some(
            "a carrier-grade NAT (RFC 6598) address: behind CGNAT nothing can reach port 25, so use a smarthost and inbound relay",
        )
    } else {
        None
    }
}

/// Why an IPv6 address cannot be someone's public address, if it cannot.
fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("the loopback address")
    } else if ip.is_unspecified() {
        Some("the unspecified address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a unique local (fc00::/7) address")
    } else if ip.to_ipv4_mapped().is_some() {
        Some("an IPv4-mapped address; put the IPv4 address in publicIP")
    } else {
        None
    }
}

/// An IPv4 address that can be published in a public A record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicIpv4(Ipv4Addr);

impl PublicIpv4 {
    /// Parses a dotted-quad address and refuses non-public ranges.
    pub fn parse(input: &str) -> Result<Self, String> {
        let ip: Ipv4Addr = input.parse().map_err(|_| {
            format!(
                "{} is not an IPv4 address (dotted quad such as 203.0.113.5)",
                quoted(input)
            )
        })?;
        match non_public_v4(ip) {
            Some(why) => Err(format!("{ip} is {why}")),
            None => Ok(Self(ip)),
        }
    }

    /// The address.
    pub fn addr(self) -> Ipv4Addr {
        self.0
    }
}

/// An IPv6 address that can be published in a public AAAA record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicIpv6(Ipv6Addr);

impl PublicIpv6 {
    /// Parses an IPv6 address and refuses non-public ranges.
    pub fn parse(input: &str) -> Result<Self, String> {
        let ip: Ipv6Addr = input
            .parse()
            .map_err(|_| format!("{} is not an IPv6 address", quoted(input)))?;
        match non_public_v6(ip) {
            Some(why) => Err(format!("{ip} is {why}")),
            None => Ok(Self(ip)),
        }
    }

    /// The address.
    pub fn addr(self) -> Ipv6Addr {
        self.0
    }
}

/// True when `ip` is a public-looking IPv4 address (used to decide whether
/// a PMG sits on the LAN or on the internet).
pub(crate) fn is_public_v4(ip: Ipv4Addr) -> bool {
    non_public_v4(ip).is_none()
}

/// A string value (the serde shape shared by the validated text types).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub(crate) struct Text(pub String);

/// Implements `Deserialize` (from a string, through `parse`) and
/// `Serialize` (as the canonical text) for a validated name type.
macro_rules! text_serde {
    ($ty:ty, $to_text:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = Text::deserialize(deserializer)?;
                <$ty>::parse(&text.0).map_err(serde::de::Error::custom)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let to_text: fn(&$ty) -> String = $to_text;
                serializer.serialize_str(&to_text(self))
            }
        }
    };
}

text_serde!(DomainName, |v| v.0.clone());
text_serde!(RelativeName, |v| v.0.clone());
text_serde!(Selector, |v| v.0.clone());
text_serde!(EmailAddress, |v| v.to_string());
text_serde!(PublicIpv4, |v| v.0.to_string());
text_serde!(PublicIpv6, |v| v.0.to_string());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_normalised_and_checked() {
        assert_eq!(
            DomainName::parse("Mail.Example.COM").unwrap().as_str(),
            "mail.example.com"
        );
        for bad in [
            "",
            "example",
            "example.com.",
            "a..b",
            "-a.com",
            "a-.com",
            "a_b.com",
            "a b.com",
            "ex,ample.com",
            "mail.example.com\nrelayhost=evil",
            "bücher.de",
            "1.2.3.4",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(DomainName::parse(&long_label).unwrap_err().contains("63"));
        assert!(DomainName::parse("xn--bcher-kva.de").is_ok());
    }

    #[test]
    fn zone_membership() {
        let zone = DomainName::parse("example.com").unwrap();
        let mail = DomainName::parse("mail.example.com").unwrap();
        let other = DomainName::parse("badexample.com").unwrap();
        assert!(mail.is_within(&zone));
        assert!(zone.is_within(&zone));
        assert!(!other.is_within(&zone));
        assert_eq!(mail.relative_to(&zone), Some("mail"));
        assert_eq!(zone.relative_to(&zone), Some("@"));
        assert_eq!(other.relative_to(&zone), None);
    }

    #[test]
    fn relative_names() {
        let zone = DomainName::parse("ddns.net").unwrap();
        let laufentaler = RelativeName::parse("laufentaler").unwrap();
        assert_eq!(laufentaler.fqdn(&zone), "laufentaler.ddns.net");
        assert_eq!(
            laufentaler.name_under(&zone).unwrap().as_str(),
            "laufentaler.ddns.net"
        );
        assert_eq!(
            RelativeName::parse("@").unwrap().name_under(&zone),
            Some(zone.clone())
        );
        let wildcard = RelativeName::parse("*").unwrap();
        assert!(wildcard.is_wildcard());
        assert_eq!(wildcard.fqdn(&zone), "*.ddns.net");
        assert_eq!(wildcard.name_under(&zone), None);
        assert!(RelativeName::parse("a,b").is_err());
        assert!(RelativeName::parse("").is_err());
    }

    #[test]
    fn email_addresses() {
        let a = EmailAddress::parse("noreply@Example.com").unwrap();
        assert_eq!(a.to_string(), "noreply@example.com");
        assert_eq!(a.local(), "noreply");
        for bad in [
            "noreply",
            "@example.com",
            "a b@example.com",
            "a,b@example.com",
            "a:b@example.com",
            "a@b@",
            ".a@example.com",
            "a@localhost",
            "a\n@example.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn public_addresses() {
        assert!(PublicIpv4::parse("203.0.113.5").is_ok());
        for bad in [
            "10.0.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "1.2.3",
        ] {
            assert!(PublicIpv4::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(PublicIpv6::parse("2001:db8::25").is_ok());
        for bad in ["::1", "fe80::1", "fd00::1", "::ffff:1.2.3.4", "nope"] {
            assert!(PublicIpv6::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn quoting_escapes_and_truncates() {
        assert_eq!(quoted("a\nb"), "\"a\\nb\"");
        assert_eq!(quoted("a\"b\\c\u{0}"), "\"a\\\"b\\\\c\\u{0}\"");
        assert_eq!(quoted("bücher"), "\"bücher\"");
        assert!(quoted(&"x".repeat(200)).ends_with("…\""));
    }

    #[test]
    fn quoting_escapes_invisible_and_line_breaking_characters() {
        for c in [
            '\u{2028}', '\u{2029}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200b}',
            '\u{200e}', '\u{200f}', '\u{feff}', '\u{1b}', '\u{7f}', '\u{85}',
        ] {
            let shown = quoted(&format!("example{c}.com"));
            assert!(!shown.contains(c), "{:x} shown raw", u32::from(c));
            assert!(
                shown.contains(&format!("\\u{{{:x}}}", u32::from(c))),
                "{shown}"
            );
        }
    }
}
