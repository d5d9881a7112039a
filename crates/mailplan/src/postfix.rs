//! Postfix `main.cf` parameters for the plan.

use std::collections::BTreeMap;

use crate::declaration::{Port, RelayHost};
use crate::names::DomainName;
use crate::provider::is_implicit_tls_port;

/// Where the SASL password map's source file lives on the mail VM.
pub const SASL_PASSWORD_MAP: &str = "/var/lib/postfix/sasl/sasl_passwd";

/// The opendkim milter socket (nixpkgs' `services.opendkim.socket` default,
/// as postfix names it).
pub const OPENDKIM_MILTER: &str = "unix:/run/opendkim/opendkim.sock";

/// The `relayhost` value: brackets turn off the MX lookup, so postfix
/// connects to exactly this host.
pub fn relayhost(host: &RelayHost, port: Port) -> String {
    format!("[{host}]:{port}")
}

/// What the postfix parameters depend on.
#[derive(Debug, Clone, Copy)]
pub struct PostfixInputs<'a> {
    /// The mail domain.
    pub domain: &'a DomainName,
    /// `myhostname`.
    pub hostname: &'a DomainName,
    /// The relay host and port, when relaying.
    pub relay: Option<(&'a RelayHost, Port)>,
    /// True when the relay takes SASL credentials.
    pub relay_sasl: bool,
    /// Certificate chain and key files.
    pub tls_cert_file: &'a str,
    /// Certificate key file.
    pub tls_key_file: &'a str,
    /// True when an AAAA with a matching PTR is published; without one,
    /// direct delivery must not use IPv6 (receivers check the v6 PTR).
    pub ipv6_identity: bool,
}

/// One `main.cf` value: text, or a list that postfix reads as
/// comma-separated (the shape nixpkgs' `services.postfix.settings.main`
/// takes for list-typed parameters such as `relayhost` and `mynetworks`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum MainValue {
    /// A single value.
    Text(String),
    /// A list of values.
    List(Vec<String>),
}

impl MainValue {
    fn list(items: &[&str]) -> Self {
        MainValue::List(items.iter().map(|s| s.to_string()).collect())
    }
}

impl std::fmt::Display for MainValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MainValue::Text(text) => f.write_str(text),
            MainValue::List(items) => f.write_str(&items.join(", ")),
        }
    }
}

impl From<&str> for MainValue {
    fn from(text: &str) -> Self {
        MainValue::Text(text.to_string())
    }
}

impl From<String> for MainValue {
    fn from(text: String) -> Self {
        MainValue::Text(text)
    }
}

/// Renders parameters as `main.cf` lines.
pub fn render_main_cf(main: &BTreeMap<String, MainValue>) -> String {
    main.iter()
        .map(|(key, value)| format!("{key} = {value}\n"))
        .collect()
}

/// The `main.cf` parameters: identity, inbound relay restrictions, TLS,
/// SASL for submission through dovecot, the DKIM milter, and the outbound
/// relay with SASL and mandatory TLS.
pub fn main_cf(inputs: PostfixInputs<'_>) -> BTreeMap<String, MainValue> {
    let mut main = BTreeMap::new();
    let mut set = |key: &str, value: MainValue| {
        main.insert(key.to_string(), value);
    };
    set("myhostname", inputs.hostname.to_string().into());
    set("mydomain", inputs.domain.to_string().into());
    set("myorigin", "$mydomain".into());
    // Only the host itself is trusted (webmail submits from 127.0.0.1): LAN
    // clients authenticate like everyone else.
    set(
        "mynetworks",
        MainValue::list(&["127.0.0.1/32", "[::1]/128"]),
    );
    set(
        "smtpd_relay_restrictions",
        MainValue::list(&[
            "permit_mynetworks",
            "permit_sasl_authenticated",
            "reject_unauth_destination",
        ]),
    );
    set(
        "smtpd_tls_chain_files",
        MainValue::list(&[inputs.tls_key_file, inputs.tls_cert_file]),
    );
    set("smtpd_tls_security_level", "may".into());
    set("smtpd_tls_auth_only", "yes".into());
    set("smtpd_tls_mandatory_protocols", ">=TLSv1.2".into());
    set("smtpd_sasl_type", "dovecot".into());
    set("smtpd_sasl_path", "private/auth".into());
    set("smtpd_milters", MainValue::list(&[OPENDKIM_MILTER]));
    set("non_smtpd_milters", "$smtpd_milters".into());
    set("milter_default_action", "accept".into());
    set("smtp_tls_loglevel", "1".into());
    set("smtp_tls_mandatory_protocols", ">=TLSv1.2".into());
    match inputs.relay {
        None => {
            set("relayhost", MainValue::List(Vec::new()));
            set("smtp_tls_security_level", "may".into());
            if !inputs.ipv6_identity {
                set("inet_protocols", "ipv4".into());
            }
        }
        Some((host, port)) => {
            set("relayhost", MainValue::List(vec![relayhost(host, port)]));
            set("smtp_tls_security_level", "encrypt".into());
            if is_implicit_tls_port(port) {
                set("smtp_tls_wrappermode", "yes".into());
            }
            if inputs.relay_sasl {
                set("smtp_sasl_auth_enable", "yes".into());
                set(
                    "smtp_sasl_password_maps",
                    format!("hash:{SASL_PASSWORD_MAP}").into(),
                );
                set("smtp_sasl_security_options", "noanonymous".into());
                set("smtp_sasl_tls_security_options", "noanonymous".into());
            }
        }
    }
    main
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(
        domain: &'a DomainName,
        host: &'a DomainName,
        relay: Option<(&'a RelayHost, Port)>,
    ) -> PostfixInputs<'a> {
        PostfixInputs {
            domain,
            hostname: host,
            relay,
            relay_sasl: true,
            tls_cert_file: "/var/lib/acme/mail.example.com/fullchain.pem",
            tls_key_file: "/var/lib/acme/mail.example.com/key.pem",
            ipv6_identity: false,
        }
    }

    #[test]
    fn smarthost_parameters() {
        let domain = DomainName::parse("example.com").unwrap();
        let host = DomainName::parse("mail.example.com").unwrap();
        let relay = RelayHost::parse("smtp.gmail.com").unwrap();
        let main = main_cf(inputs(&domain, &host, Some((&relay, Port::SUBMISSION))));
        assert_eq!(main["relayhost"].to_string(), "[smtp.gmail.com]:587");
        assert_eq!(main["smtp_sasl_auth_enable"].to_string(), "yes");
        assert_eq!(main["smtp_tls_security_level"].to_string(), "encrypt");
        assert!(
            main["smtpd_relay_restrictions"]
                .to_string()
                .ends_with("reject_unauth_destination")
        );
        assert!(!main.contains_key("smtp_tls_wrappermode"));
        let smtps = main_cf(inputs(
            &domain,
            &host,
            Some((&relay, Port::new(465).unwrap())),
        ));
        assert_eq!(smtps["smtp_tls_wrappermode"].to_string(), "yes");
    }

    #[test]
    fn standalone_parameters() {
        let domain = DomainName::parse("example.com").unwrap();
        let host = DomainName::parse("mail.example.com").unwrap();
        let main = main_cf(inputs(&domain, &host, None));
        assert_eq!(main["relayhost"], MainValue::List(Vec::new()));
        assert_eq!(main["smtp_tls_security_level"].to_string(), "may");
        assert_eq!(main["inet_protocols"].to_string(), "ipv4");
        assert!(!main.contains_key("smtp_sasl_auth_enable"));
        let rendered = render_main_cf(&main);
        assert!(rendered.contains("mynetworks = 127.0.0.1/32, [::1]/128\n"));
        assert!(rendered.contains("relayhost = \n"));
        assert_eq!(rendered.lines().count(), main.len());
    }
}
