//! The plan: everything the mail VM, the dns VM, the registrar and the
//! firewall need, as one printable value. It holds no secret by
//! construction: no field has a secret type.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::declaration::{InboundKind, Login, Port, RelayHost, TlsMode};
use crate::dns::DnsRecord;
use crate::firewall::PortRule;
use crate::names::{DomainName, EmailAddress};
use crate::postfix::MainValue;
use crate::provider::RelayProvider;
use crate::secret::SecretPath;

/// The version of the plan format; bumped on incompatible changes.
pub const PLAN_FORMAT: u32 = 1;

/// How outbound mail leaves the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Direct MX delivery from the mail VM.
    Standalone,
    /// Everything leaves through a relay.
    Smarthost,
}

/// The mail plan for one customer site.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Plan format version ([`PLAN_FORMAT`]).
    pub format: u32,
    /// Customer name.
    pub name: String,
    /// The customer's mail domain.
    pub domain: DomainName,
    /// Standalone or smarthost.
    pub mode: Mode,
    /// The mail host's name: HELO, `myhostname`, certificate name.
    pub hostname: DomainName,
    /// The chosen relay, or null for standalone.
    pub relay: Option<RelayPlan>,
    /// Postfix settings.
    pub postfix: PostfixPlan,
    /// The SPF record for the domain apex.
    pub spf: String,
    /// The DMARC record for `_dmarc.<domain>`.
    pub dmarc: String,
    /// The local DKIM signing key.
    pub dkim: DkimPlan,
    /// The mail host's certificate.
    pub tls: TlsPlan,
    /// Roundcube webmail is served on 443 of the mail host.
    pub webmail: bool,
    /// Where inbound mail arrives.
    pub inbound: InboundPlan,
    /// Mailboxes to create (passwords travel in the secrets).
    pub mailboxes: Vec<MailboxPlan>,
    /// The dyndns updater, or why there is none.
    pub ddns: DdnsPlan,
    /// Records to publish in the customer's zone.
    pub dns_records: Vec<DnsRecord>,
    /// WAN port-forwards on the site's gateway (OPNsense).
    pub firewall: Vec<PortRule>,
    /// Ports the mail VM's own firewall opens (LAN clients included).
    pub vm_firewall: Vec<PortRule>,
    /// Things the operator should know or fix.
    pub warnings: Vec<String>,
}

impl Plan {
    /// The mail path in a few words: `standalone`, or `smarthost via
    /// <provider>` (what `mailplan check` and the web page print).
    pub fn mode_summary(&self) -> String {
        match &self.relay {
            Some(relay) => format!("smarthost via {}", relay.provider.display_name()),
            None => "standalone".to_string(),
        }
    }

    /// One line on the whole plan, `<name> (<domain>): <mode>, <n>
    /// warning(s)` (what `mailplan check` prints after `ok: `).
    pub fn check_summary(&self) -> String {
        format!(
            "{} ({}): {}, {} warning(s)",
            self.name,
            self.domain,
            self.mode_summary(),
            self.warnings.len()
        )
    }
}

/// Where the relay configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelaySource {
    /// The explicit `mailRelay` attribute.
    MailRelay,
    /// The single user tagged `mail-relay`.
    User(Login),
}

impl std::fmt::Display for RelaySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RelaySource::MailRelay => f.write_str("mailRelay"),
            RelaySource::User(name) => write!(f, "user:{name}"),
        }
    }
}

impl Serialize for RelaySource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The smarthost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayPlan {
    /// Relay host.
    pub host: RelayHost,
    /// Relay port.
    pub port: Port,
    /// SASL user; null when the relay authorises the mail VM by IP.
    pub user: Option<Login>,
    /// `mailRelay` or `user:<name>`.
    pub source: RelaySource,
    /// Detected provider.
    pub provider: RelayProvider,
    /// File holding the SASL password at run time; null when the password
    /// is inline (see the secrets) or there is no SASL.
    pub password_file: Option<SecretPath>,
    /// TLS from the first byte (port 465) rather than STARTTLS.
    pub implicit_tls: bool,
    /// Where the credentials come from at the provider.
    pub credential_hint: &'static str,
}

/// Postfix settings derived from the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostfixPlan {
    /// `[host]:port`, or `""` for direct delivery.
    pub relayhost: String,
    /// `main.cf` parameters in the shape of nixpkgs'
    /// `services.postfix.settings.main`: strings, and lists for list-typed
    /// parameters (`relayhost`, `mynetworks`, `smtpd_tls_chain_files`, …).
    pub main: BTreeMap<String, MainValue>,
    /// The SASL password map's source file (`postmap` builds the `.db`
    /// beside it); null when there is no SASL to the relay.
    pub sasl_password_map: Option<String>,
}

/// The locally generated DKIM key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DkimPlan {
    /// Selector (`default` unless rotated).
    pub selector: String,
    /// Signing domain.
    pub domain: DomainName,
    /// `<selector>._domainkey.<domain>`.
    pub record_name: String,
    /// Directory of the private key.
    pub key_directory: String,
    /// The private key file generated on first boot.
    pub private_key_file: String,
    /// The public TXT record file to publish.
    pub public_record_file: String,
}

/// The mail host's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsPlan {
    /// `dns-01` or `http-01`.
    pub mode: TlsMode,
    /// The ACME directory, `/var/lib/acme/<hostname>`.
    pub directory: String,
    /// Full certificate chain.
    pub cert_file: String,
    /// Private key.
    pub key_file: String,
}

/// One MX record target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxTarget {
    /// MX preference.
    pub priority: u16,
    /// Target host (never a CNAME).
    pub host: DomainName,
}

/// Where inbound mail arrives and how it reaches the mail VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundPlan {
    /// `self`, `relay` or `pmg`.
    pub kind: InboundKind,
    /// The MX records.
    pub mx: Vec<MxTarget>,
    /// The port the mail VM receives inbound mail on (26 behind a PMG).
    pub delivery_port: u16,
    /// The address allowed to deliver on `deliveryPort` when it is not 25.
    pub delivery_from: Option<std::net::Ipv4Addr>,
}

/// A mailbox on the customer's domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxPlan {
    /// The address (also the IMAP/SASL login).
    pub address: EmailAddress,
    /// The declaring user's name.
    pub user: Login,
    /// File holding the password at run time; null when inline.
    pub password_file: Option<SecretPath>,
}

/// The dyndns updater (qdm12/ddns-updater on the dns VM).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DdnsPlan {
    /// Whether an updater runs.
    pub enabled: bool,
    /// Why it runs or why not.
    pub reason: String,
    /// The provider, when enabled.
    pub provider: Option<String>,
    /// The names it keeps pointed at the WAN address (`*.zone` for a
    /// wildcard).
    pub hosts: Vec<String>,
    /// The settings key the secret goes under (`password`, `token`, …).
    pub secret_key: Option<String>,
    /// File holding the secret at run time; null when inline.
    pub password_file: Option<SecretPath>,
    /// Public-IP echo services, tried in order.
    pub public_ip_echo: Vec<String>,
    /// ddns-updater environment (IP fetchers, period).
    pub environment: BTreeMap<String, String>,
    /// ddns-updater `settings` entries; the secret is [`REDACTED`].
    pub settings: Vec<BTreeMap<String, String>>,
}

/// Stands in for a secret in printable output.
pub const REDACTED: &str = "<redacted>";
