//! The customer declaration, contract v1: what an operator writes in Nix
//! or JSON. Field names are fixed by the contract (camelCase); unknown
//! attributes are errors.
//!
//! This layer checks each value on its own (a port is a port, a host name
//! is a host name). Rules that relate several fields live in
//! the build stages behind [`crate::plan()`].

use std::fmt;
use std::net::Ipv4Addr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::ddns_provider::{DdnsProvider, SecretKey};
use crate::names::{
    DomainName, EmailAddress, PublicIpv4, PublicIpv6, RelativeName, Selector, Text, quoted,
};
use crate::secret::{Secret, SecretPath, optional_secret, optional_secret_path};
use crate::spf::{SpfAll, SpfTerm};

/// A customer site declaration.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Declaration {
    /// Customer name, e.g. `ExampleCorp`.
    pub name: CustomerName,
    /// The customer's real mail domain.
    pub domain: DomainName,
    /// HELO name; `mail.<domain>` when absent. Must match the PTR.
    #[serde(default)]
    pub mail_hostname: Option<DomainName>,
    /// Static public IPv4: dyndns is skipped entirely.
    #[serde(default, rename = "publicIP")]
    pub public_ip: Option<PublicIpv4>,
    /// Static public IPv6 (AAAA only published when `ipv6Ptr` is set).
    #[serde(default, rename = "publicIPv6")]
    pub public_ipv6: Option<PublicIpv6>,
    /// The IPv6 PTR for `publicIPv6` resolves back to the mail host name.
    #[serde(default)]
    pub ipv6_ptr: bool,
    /// Explicit relay; wins over a `mail-relay` user.
    #[serde(default)]
    pub mail_relay: Option<MailRelayOptions>,
    /// Directory users: mailboxes and role-tagged service credentials.
    #[serde(default, deserialize_with = "at_most::<_, _, MAX_USERS>")]
    pub users: Vec<User>,
    /// Dyndns knobs (the secret is the `domain-provider` user's password).
    #[serde(default)]
    pub domain_provider: Option<DomainProviderOptions>,
    /// Where inbound mail arrives.
    #[serde(default)]
    pub inbound: InboundOptions,
    /// Clients are LAN/VPN only: forward just 25 and 443 from the WAN.
    #[serde(default)]
    pub internal_clients_only: bool,
    /// Roundcube webmail on 443 (the guide's setup); without it, 443 is
    /// neither forwarded nor opened.
    #[serde(default = "webmail_default")]
    pub webmail: bool,
    /// How the mail host's certificate is obtained.
    #[serde(default)]
    pub tls: TlsMode,
    /// DKIM selector of the locally generated key.
    #[serde(default)]
    pub dkim_selector: Selector,
    /// DMARC policy record.
    #[serde(default)]
    pub dmarc: DmarcOptions,
    /// SPF adjustments.
    #[serde(default)]
    pub spf: SpfOptions,
    /// Answers to the guide's decision tree.
    #[serde(default)]
    pub isp: IspAnswers,
}

fn webmail_default() -> bool {
    true
}

/// The customer's configuration name: letters, digits, `.`, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CustomerName(String);

impl CustomerName {
    /// Validates a customer name.
    pub fn parse(input: &str) -> Result<Self, String> {
        let ok_start = input
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let ok_chars = input
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if input.is_empty() || input.len() > 64 || !ok_start || !ok_chars {
            return Err(format!(
                "{} is not a customer name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. ExampleCorp)",
                quoted(input)
            ));
        }
        Ok(Self(input.to_string()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A login name for SASL or a dyndns account: printable ASCII without
/// whitespace, `:`, `,`, quotes or backslashes, so it can stand in a
/// postfix `user:password` map value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Login(String);

impl Login {
    /// Validates a login.
    pub fn parse(input: &str) -> Result<Self, String> {
        if input.is_empty() {
            return Err("is empty".into());
        }
        if input.len() > 256 {
            return Err(format!(
                "is {} characters long; at most 256 are accepted",
                input.len()
            ));
        }
        if let Some(bad) = input
            .chars()
            .find(|c| !c.is_ascii_graphic() || ":,\"'\\".contains(*c))
        {
            let what = match bad {
                ' ' => "a space".to_string(),
                c if c.is_control() => "a control character".to_string(),
                c if !c.is_ascii() => "a non-ASCII character".to_string(),
                c => format!("'{c}'"),
            };
            return Err(format!(
                "contains {what}; logins may not contain whitespace, ':', ',', quotes or backslashes (value not shown in case it is a secret)"
            ));
        }
        Ok(Self(input.to_string()))
    }

    /// The login for a message that identifies a user entry, when it can
    /// be shown: an e-mail address, or a short name such as `apikey`.
    /// Longer logins are left out, because keys and passwords pasted into
    /// the wrong field are longer than 12 characters.
    pub fn mention(&self) -> Option<&str> {
        (self.as_email().is_some() || self.0.len() <= 12).then_some(self.0.as_str())
    }

    /// What the login looks like when it looks like a credential rather
    /// than a user name (a SendGrid key), for messages that must not quote
    /// it.
    pub fn looks_like(&self) -> Option<&'static str> {
        self.0
            .starts_with("SG.")
            .then_some("looks like a SendGrid API key (starts with SG.)")
    }

    /// The login as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The login as an e-mail address, when it is one.
    pub fn as_email(&self) -> Option<EmailAddress> {
        EmailAddress::parse(&self.0).ok()
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A TCP port, 1 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Port(u16);

impl Port {
    /// The submission port, the contract's default for relays.
    pub const SUBMISSION: Port = Port(587);

    /// Checks a number is a TCP port.
    pub fn new(value: i64) -> Result<Self, String> {
        match u16::try_from(value) {
            Ok(port) if port > 0 => Ok(Self(port)),
            _ => Err(format!("{value} is not a TCP port (1-65535)")),
        }
    }

    /// The port number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for Port {
    fn default() -> Self {
        Self::SUBMISSION
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PortVisitor;
        impl Visitor<'_> for PortVisitor {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a TCP port number (1-65535)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Port, E> {
                Port::new(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Port, E> {
                Port::new(i64::try_from(v).unwrap_or(i64::MAX))
                    .map_err(|_| E::custom(format!("{v} is not a TCP port (1-65535)")))
            }
            /// JSON hands over `-0`, `587.0` and integers beyond `i64`
            /// (`9223372036854775808`) as floats too, so the message
            /// depends on the number. Floats are never formatted (that
            /// would bloat the plugin): whole ones are shown as integers
            /// while that is exact (up to 2^53), and described beyond.
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Port, E> {
                const EXACT: f64 = 9_007_199_254_740_992.0;
                Err(E::custom(if !v.is_finite() {
                    "is not a finite number; a TCP port is a whole number from 1 to 65535, such as 587".to_string()
                } else if v.fract() != 0.0 {
                    "is a fractional number, not a TCP port: write a whole number such as 587"
                        .to_string()
                } else if v == 0.0 && v.is_sign_negative() {
                    "-0 is not a TCP port (1-65535)".to_string()
                } else if (1.0..=65535.0).contains(&v) {
                    format!(
                        "is a floating-point number; write the port as the whole number {}",
                        v as u16
                    )
                } else if (-EXACT..=EXACT).contains(&v) {
                    format!("{} is not a TCP port (1-65535)", v as i64)
                } else if v > 0.0 {
                    "is a whole number far too large to be a TCP port (1-65535)".to_string()
                } else {
                    "is a negative number, not a TCP port (1-65535)".to_string()
                }))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Port, E> {
                Err(E::custom(format!(
                    "{} is a string; write the port as a number, e.g. 587 without quotes",
                    quoted(v)
                )))
            }
        }
        deserializer.deserialize_any(PortVisitor)
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The address of an SMTP relay: a DNS name or an IPv4 literal (a PMG on
/// the LAN is often addressed by IP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayHost {
    /// A host name such as `smtp.gmail.com`.
    Name(DomainName),
    /// An IPv4 address such as `192.0.2.25`.
    Ipv4(Ipv4Addr),
}

impl RelayHost {
    /// Parses a relay host.
    pub fn parse(input: &str) -> Result<Self, String> {
        if input.contains(':') {
            return Err(format!(
                "{} is not a relay host: give a host name or an IPv4 address without brackets or port (the port has its own field; IPv6 literals are not supported)",
                quoted(input)
            ));
        }
        if let Ok(ip) = input.parse::<Ipv4Addr>() {
            let [first, ..] = ip.octets();
            let why = if first == 0 {
                Some("in 0.0.0.0/8, which means \"this host\": postfix would loop back to itself")
            } else if ip.is_link_local() {
                Some("a link-local (169.254.0.0/16) address, which no relay is reached at")
            } else if ip.is_multicast() {
                Some("a multicast address")
            } else if first >= 240 {
                Some("in 240.0.0.0/4, which is reserved and never routed")
            } else {
                None
            };
            return match why {
                Some(why) => Err(format!("{ip} cannot be a relay host: it is {why}")),
                None => Ok(Self::Ipv4(ip)),
            };
        }
        DomainName::parse(input).map(Self::Name)
    }

    /// The host name, when it is one.
    pub fn name(&self) -> Option<&DomainName> {
        match self {
            RelayHost::Name(name) => Some(name),
            RelayHost::Ipv4(_) => None,
        }
    }

    /// True when the host is the machine itself: a loopback address, or a
    /// name RFC 6761 reserves for it (`*.localhost`).
    pub fn is_this_machine(&self) -> bool {
        match self {
            RelayHost::Ipv4(ip) => ip.is_loopback(),
            RelayHost::Name(name) => {
                name.as_str() == "localhost.localdomain" || name.as_str().ends_with(".localhost")
            }
        }
    }

    /// The address, when the host is an IPv4 address that is not public
    /// (a relay on the LAN): nobody on the internet sees mail come from it.
    pub fn private_ipv4(&self) -> Option<Ipv4Addr> {
        match self {
            RelayHost::Ipv4(ip) if !crate::names::is_public_v4(*ip) => Some(*ip),
            _ => None,
        }
    }
}

impl fmt::Display for RelayHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayHost::Name(name) => name.fmt(f),
            RelayHost::Ipv4(ip) => ip.fmt(f),
        }
    }
}

impl Serialize for RelayHost {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RelayHost {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        RelayHost::parse(&text.0).map_err(de::Error::custom)
    }
}

macro_rules! parse_from_text {
    ($($ty:ty),*) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = Text::deserialize(deserializer)?;
                <$ty>::parse(&text.0).map_err(de::Error::custom)
            }
        }
    )*};
}

parse_from_text!(CustomerName, Login);

/// `MailRelayOptions`: the explicit relay (the guide's POCO).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailRelayOptions {
    /// Relay host name or IPv4 address.
    pub host: RelayHost,
    /// Relay port; 587 when absent.
    #[serde(default)]
    pub port: Port,
    /// SASL user; absent for a relay that authorises the mail VM by IP.
    #[serde(default)]
    pub user: Option<Login>,
    /// Inline SASL password (`""` means none).
    #[serde(default, deserialize_with = "optional_secret")]
    pub password: Option<Secret>,
    /// File holding the SASL password at run time.
    #[serde(default, deserialize_with = "optional_secret_path")]
    pub password_file: Option<SecretPath>,
}

/// A role that tags a directory user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The smarthost credential (`AddMailRelay`).
    MailRelay,
    /// Carries the dyndns secret (`AddDomainProvider`).
    DomainProvider,
    /// Gets a mailbox on the customer's domain.
    Mailbox,
}

/// The relay endpoint carried by a `mail-relay` user.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserRelay {
    /// Relay host name or IPv4 address.
    pub host: RelayHost,
    /// Relay port; 587 when absent.
    #[serde(default)]
    pub port: Port,
}

/// A directory user.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct User {
    /// Login: a mailbox address or local part, or a service login.
    pub name: Login,
    /// Inline password (`""` means none).
    #[serde(default, deserialize_with = "optional_secret")]
    pub password: Option<Secret>,
    /// File holding the password at run time.
    #[serde(default, deserialize_with = "optional_secret_path")]
    pub password_file: Option<SecretPath>,
    /// Roles; none means "mailbox if the name is an address on the domain".
    #[serde(default, deserialize_with = "at_most::<_, _, MAX_ROLES>")]
    pub roles: Vec<Role>,
    /// Relay endpoint, for a `mail-relay` user.
    #[serde(default)]
    pub relay: Option<UserRelay>,
}

/// `AddDomainProvider`: the non-secret dyndns knobs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DomainProviderOptions {
    /// qdm12/ddns-updater provider identifier.
    pub provider: DdnsProvider,
    /// Labels updated under `domain` (`laufentaler` → laufentaler.ddns.net).
    #[serde(deserialize_with = "at_most::<_, _, MAX_DDNS_HOSTS>")]
    pub hosts: Vec<RelativeName>,
    /// Account login, for providers that take one.
    #[serde(default)]
    pub username: Option<Login>,
    /// The settings key the secret goes under; the provider's own when absent.
    #[serde(default)]
    pub secret_key: Option<SecretKey>,
    /// The dyndns target zone (e.g. `ddns.net`); null means the customer's own.
    #[serde(default)]
    pub domain: Option<DomainName>,
}

/// The inbound choice, as declared (`kind` plus the fields that kind uses).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboundOptions {
    /// `self`, `relay` or `pmg`.
    #[serde(default)]
    pub kind: InboundKind,
    /// For `relay`: the provider's inbound MX host(s), in priority order.
    #[serde(default)]
    pub mx: Option<OneOrMany<DomainName>>,
    /// For `pmg`: the PMG's public host name (the MX target).
    #[serde(default)]
    pub host: Option<DomainName>,
    /// For `pmg`: the PMG's IPv4 address (it delivers to port 26).
    #[serde(default)]
    pub ip: Option<Ipv4Addr>,
}

/// Where MX points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InboundKind {
    /// The mail VM receives on port 25.
    #[default]
    #[serde(rename = "self")]
    SelfHosted,
    /// The relay provider receives and forwards.
    Relay,
    /// A Proxmox Mail Gateway receives, filters and delivers to port 26.
    Pmg,
}

/// At most this many `users`: a mail VM for one customer site, not a
/// provider's platform.
pub const MAX_USERS: usize = 5000;
/// At most this many `spf.extra` terms (a record that long would break
/// the size limit anyway).
pub const MAX_SPF_EXTRA: usize = 256;
/// At most this many `domainProvider.hosts`.
pub const MAX_DDNS_HOSTS: usize = 100;
/// A user has at most one of each role.
pub const MAX_ROLES: usize = 3;

/// Reads a list of at most `MAX` entries, refusing longer ones with a
/// message on the list's own path before the rest is read, so that the
/// work (and, in the plugin, the memory) stays bounded by the limits.
fn at_most<'de, D, T, const MAX: usize>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct BoundedVisitor<T, const MAX: usize>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for BoundedVisitor<T, MAX> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a list of at most {MAX} entries")
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let too_long = |count: String| {
                de::Error::custom(format!("lists {count} entries; at most {MAX} are accepted"))
            };
            if let Some(len) = seq.size_hint().filter(|len| *len > MAX) {
                return Err(too_long(len.to_string()));
            }
            let mut all = Vec::new();
            while let Some(item) = seq.next_element()? {
                if all.len() == MAX {
                    return Err(too_long(format!("more than {MAX}")));
                }
                all.push(item);
            }
            Ok(all)
        }
    }
    deserializer.deserialize_seq(BoundedVisitor::<T, MAX>(std::marker::PhantomData))
}

/// One value or a list of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a host name or a list of host names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(de::value::StrDeserializer::new(v)).map(|one| OneOrMany(vec![one]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(item) = seq.next_element()? {
                    all.push(item);
                }
                Ok(OneOrMany(all))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor(std::marker::PhantomData))
    }
}

/// How the mail host's TLS certificate is obtained.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum TlsMode {
    /// The dns VM gets it by DNS-01 and syncs it to `/var/lib/acme/<host>/`.
    #[default]
    #[serde(rename = "dns-01")]
    Dns01,
    /// The mail VM gets it by HTTP-01 (port 80 must be open).
    #[serde(rename = "http-01")]
    Http01,
}

impl TlsMode {
    /// The contract's spelling, `dns-01` or `http-01`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Dns01 => "dns-01",
            TlsMode::Http01 => "http-01",
        }
    }
}

/// DMARC policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcPolicy {
    /// Monitor only.
    None,
    /// Failing mail goes to spam (the guide's default).
    #[default]
    Quarantine,
    /// Failing mail is refused.
    Reject,
}

/// The DMARC record knobs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DmarcOptions {
    /// Policy; `quarantine` when absent.
    #[serde(default)]
    pub policy: DmarcPolicy,
    /// Aggregate report address (`mailto:` optional); `postmaster@<domain>`
    /// when absent.
    #[serde(default)]
    pub rua: Option<ReportAddress>,
}

/// A DMARC report address, written with or without `mailto:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportAddress(pub EmailAddress);

impl<'de> Deserialize<'de> for ReportAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        let bare = text.0.strip_prefix("mailto:").unwrap_or(&text.0);
        EmailAddress::parse(bare)
            .map(ReportAddress)
            .map_err(de::Error::custom)
    }
}

/// SPF adjustments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpfOptions {
    /// Extra mechanisms (`include:…`, `ip4:…`, `a:…`), merged after the
    /// derived ones.
    #[serde(default, deserialize_with = "at_most::<_, _, MAX_SPF_EXTRA>")]
    pub extra: Vec<SpfTerm>,
    /// The closing `all`; `-all` when absent.
    #[serde(default)]
    pub all: SpfAll,
}

/// Answers to the guide's decision tree; `null` means "not checked yet".
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IspAnswers {
    /// Does the ISP let TCP/25 out? (`nc -vz gmail-smtp-in.l.google.com 25`)
    #[serde(default)]
    pub port25_outbound: Option<bool>,
    /// Does the public IPv4's PTR resolve to the mail host name?
    #[serde(default)]
    pub rdns: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(Port::new(587).unwrap().get(), 587);
        assert_eq!(
            Port::new(70000).unwrap_err(),
            "70000 is not a TCP port (1-65535)"
        );
        assert!(Port::new(0).is_err());
        assert!(Port::new(-1).is_err());
    }

    fn port_error(json: &str) -> String {
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        attrset_de::from_tree::<Port, _>(&value)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn port_messages_say_what_the_number_is() {
        assert_eq!(port_error("-0"), "-0 is not a TCP port (1-65535)");
        for huge in ["9223372036854775808", "18446744073709551616", "1e300"] {
            assert_eq!(
                port_error(huge),
                "is a whole number far too large to be a TCP port (1-65535)"
            );
        }
        assert_eq!(
            port_error("-9223372036854775809"),
            "is a negative number, not a TCP port (1-65535)"
        );
        assert_eq!(port_error("-2.0"), "-2 is not a TCP port (1-65535)");
        assert_eq!(port_error("70000.0"), "70000 is not a TCP port (1-65535)");
        assert_eq!(port_error("0.0"), "0 is not a TCP port (1-65535)");
        assert_eq!(
            port_error("587.0"),
            "is a floating-point number; write the port as the whole number 587"
        );
        assert!(port_error("587.5").starts_with("is a fractional number"));
    }

    #[test]
    fn logins() {
        for good in ["apikey", "noreply@example.com", "AKIAIOSFODNN7EXAMPLE"] {
            assert!(Login::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "a:b", "a,b", "a\nb", "ü", "a\"b"] {
            assert!(Login::parse(bad).is_err(), "{bad:?}");
        }
        let err = Login::parse("SG.zqxw secret").unwrap_err();
        assert!(!err.contains("zqxw"), "{err}");
        let login = |s: &str| Login::parse(s).unwrap();
        assert_eq!(login("apikey").mention(), Some("apikey"));
        assert_eq!(
            login("noreply@example.com").mention(),
            Some("noreply@example.com")
        );
        assert_eq!(login("SG.abcdefghijklmnop").mention(), None);
        assert!(login("SG.abc").looks_like().unwrap().contains("SendGrid"));
        assert_eq!(login("relay").looks_like(), None);
    }

    #[test]
    fn relay_hosts() {
        assert!(matches!(
            RelayHost::parse("smtp.gmail.com"),
            Ok(RelayHost::Name(_))
        ));
        assert!(matches!(
            RelayHost::parse("192.0.2.25"),
            Ok(RelayHost::Ipv4(_))
        ));
        assert!(RelayHost::parse("[smtp.gmail.com]:587").is_err());
        for unreachable in [
            "0.0.0.0",
            "0.1.2.3",
            "169.254.10.1",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
        ] {
            let err = RelayHost::parse(unreachable).unwrap_err();
            assert!(err.contains("cannot be a relay host"), "{err}");
        }
        for this_machine in [
            "127.0.0.1",
            "127.1.2.3",
            "relay.localhost",
            "localhost.localdomain",
        ] {
            assert!(RelayHost::parse(this_machine).unwrap().is_this_machine());
        }
        assert!(!RelayHost::parse("192.0.2.25").unwrap().is_this_machine());
        assert!(RelayHost::parse("2001:db8::1").is_err());
    }

    #[test]
    fn customer_names() {
        assert!(CustomerName::parse("ExampleCorp").is_ok());
        assert!(CustomerName::parse("").is_err());
        assert!(CustomerName::parse("Example Corp").is_err());
        assert!(CustomerName::parse("-x").is_err());
    }
}
