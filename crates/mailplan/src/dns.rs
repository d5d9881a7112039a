//! DNS records of the record sheet and their zone-file rendering.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Serialize, Serializer};

use crate::names::DomainName;

/// TTL for records the sheet publishes.
pub const DEFAULT_TTL: u32 = 3600;

/// Who provides a record's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordSource {
    /// The plan: publish as shown.
    Plan,
    /// ddns-updater keeps it at the current WAN address; do not set by hand.
    DdnsUpdater,
    /// Generated on the mail VM's first boot (the DKIM public key).
    MailVm,
    /// The operator fills in the value (a WAN address nothing updates).
    Operator,
}

/// Record data, typed so each renders correctly as JSON and as zone text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Canonical name.
    Cname(DomainName),
    /// Mail exchanger.
    Mx(u16, DomainName),
    /// Text.
    Txt(String),
    /// A value not known at plan time: the record type and a description of
    /// the value.
    Pending(&'static str, String),
}

impl RecordData {
    /// The record type mnemonic.
    pub fn record_type(&self) -> &'static str {
        match self {
            RecordData::A(_) => "A",
            RecordData::Aaaa(_) => "AAAA",
            RecordData::Cname(_) => "CNAME",
            RecordData::Mx(..) => "MX",
            RecordData::Txt(_) => "TXT",
            RecordData::Pending(rtype, _) => rtype,
        }
    }

    /// The value as a person reads it (no trailing dots, no quoting).
    pub fn value(&self) -> String {
        match self {
            RecordData::A(ip) => ip.to_string(),
            RecordData::Aaaa(ip) => ip.to_string(),
            RecordData::Cname(name) => name.to_string(),
            RecordData::Mx(priority, host) => format!("{priority} {host}"),
            RecordData::Txt(text) => text.clone(),
            RecordData::Pending(_, what) => what.clone(),
        }
    }

    /// The value in zone-file presentation format.
    fn zone_value(&self) -> String {
        match self {
            RecordData::Cname(name) => format!("{name}."),
            RecordData::Mx(priority, host) => format!("{priority} {host}."),
            RecordData::Txt(text) | RecordData::Pending("TXT", text) => quote_txt(text),
            RecordData::Pending(_, what) => what.clone(),
            other => other.value(),
        }
    }
}

/// Quotes TXT data as one or more `"…"` strings of at most 255 bytes
/// (RFC 1035 §3.3.14), escaping `"` and `\`.
fn quote_txt(text: &str) -> String {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for c in text.chars() {
        if current_len + c.len_utf8() > 255 {
            chunks.push(std::mem::take(&mut current));
            current_len = 0;
        }
        current_len += c.len_utf8();
        if c == '"' || c == '\\' {
            current.push('\\');
        }
        current.push(c);
    }
    chunks.push(current);
    chunks
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One row of the record sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecord {
    /// Owner name (absolute, without the trailing dot; may contain `_`).
    pub name: String,
    /// Type and value.
    pub data: RecordData,
    /// Time to live in seconds.
    pub ttl: u32,
    /// Who provides the value.
    pub source: RecordSource,
    /// What to do about it, for records not published as shown.
    pub note: Option<String>,
}

impl DnsRecord {
    /// A record to publish as shown.
    pub fn publish(name: impl Into<String>, data: RecordData) -> Self {
        Self {
            name: name.into(),
            data,
            ttl: DEFAULT_TTL,
            source: RecordSource::Plan,
            note: None,
        }
    }

    /// A record whose value someone else provides.
    pub fn pending(
        name: impl Into<String>,
        rtype: &'static str,
        placeholder: impl Into<String>,
        source: RecordSource,
        note: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            data: RecordData::Pending(rtype, placeholder.into()),
            ttl: DEFAULT_TTL,
            source,
            note: Some(note.into()),
        }
    }

    /// The record type mnemonic.
    pub fn record_type(&self) -> &'static str {
        self.data.record_type()
    }
}

impl Serialize for DnsRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("DnsRecord", 6)?;
        s.serialize_field("type", self.record_type())?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("value", &self.data.value())?;
        s.serialize_field("ttl", &self.ttl)?;
        s.serialize_field("source", &self.source)?;
        s.serialize_field("note", &self.note)?;
        s.end()
    }
}

/// Renders records as a zone-file fragment with absolute names, for a
/// registrar's import. Records whose value is not known at plan time are
/// written as comments with their note, so the fragment stays loadable.
pub fn render_zone(origin: &DomainName, records: &[DnsRecord]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "; Records for {origin}, generated by mailplan. Absolute names; import at the registrar."
    );
    // Owners are padded to line up; a longer one just runs on.
    const MAX_OWNER_PAD: usize = 64;
    let owner_width = records
        .iter()
        .map(|r| r.name.len() + 1)
        .max()
        .unwrap_or(0)
        .min(MAX_OWNER_PAD);
    for record in records {
        let line = format!(
            "{:<owner_width$} {:>5} IN {:<5} {}",
            format!("{}.", record.name),
            record.ttl,
            record.record_type(),
            record.data.zone_value(),
        );
        match (&record.data, &record.note) {
            (RecordData::Pending(..), note) => {
                if let Some(note) = note {
                    let _ = writeln!(out, "; {note}");
                }
                let _ = writeln!(out, "; {line}");
            }
            (_, Some(note)) => {
                let _ = writeln!(out, "; {note}");
                let _ = writeln!(out, "{line}");
            }
            (_, None) => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DomainName {
        DomainName::parse(s).unwrap()
    }

    #[test]
    fn a_very_long_owner_does_not_break_the_renderer() {
        let origin = DomainName::parse("example.com").unwrap();
        let long = format!("{}example.com", "a.".repeat(40_000));
        let zone = render_zone(
            &origin,
            &[DnsRecord::publish(
                long.clone(),
                RecordData::Txt("x".into()),
            )],
        );
        assert!(
            zone.contains(&format!("{long}. ")),
            "the owner is written whole"
        );
    }

    #[test]
    fn long_txt_is_split_into_255_byte_strings() {
        let text = "v=DKIM1; k=rsa; p=".to_string() + &"A".repeat(400);
        let quoted = quote_txt(&text);
        let parts: Vec<&str> = quoted.split("\" \"").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].trim_start_matches('"').len(), 255);
    }

    #[test]
    fn txt_quotes_are_escaped() {
        assert_eq!(quote_txt("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn zone_fragment_uses_absolute_names_and_comments_pending_values() {
        let records = vec![
            DnsRecord::publish(
                "mail.example.com",
                RecordData::A("203.0.113.5".parse().unwrap()),
            ),
            DnsRecord::publish("example.com", RecordData::Mx(10, name("mail.example.com"))),
            DnsRecord::publish("example.com", RecordData::Txt("v=spf1 mx -all".into())),
            DnsRecord::pending(
                "default._domainkey.example.com",
                "TXT",
                "v=DKIM1; k=rsa; p=<public key>",
                RecordSource::MailVm,
                "copy from the mail VM",
            ),
        ];
        let zone = render_zone(&name("example.com"), &records);
        assert!(zone.contains("mail.example.com. "), "{zone}");
        assert!(zone.contains("IN MX    10 mail.example.com.\n"), "{zone}");
        assert!(zone.contains("\"v=spf1 mx -all\""), "{zone}");
        assert!(zone.contains("; copy from the mail VM\n; default._domainkey.example.com."));
        assert!(
            zone.contains("\"v=DKIM1; k=rsa; p=<public key>\""),
            "{zone}"
        );
    }

    #[test]
    fn json_shape() {
        let record =
            DnsRecord::publish("example.com", RecordData::Mx(10, name("mail.example.com")));
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["type"], "MX");
        assert_eq!(json["value"], "10 mail.example.com");
        assert_eq!(json["source"], "plan");
    }
}
