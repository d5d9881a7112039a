//! The smarthost provider table: detection from the relay host, SPF
//! includes, ports, credential conventions and DKIM hints.

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::declaration::{Login, Port, RelayHost};
use crate::names::DomainName;
use crate::spf::SpfTerm;

/// A smarthost provider, detected from the relay host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RelayProvider {
    /// Gmail / Google Workspace (`smtp.gmail.com`, `smtp-relay.gmail.com`).
    Gmail,
    /// Microsoft 365 (`smtp.office365.com`, `*.mail.protection.outlook.com`).
    Microsoft365,
    /// SendGrid (`smtp.sendgrid.net`).
    Sendgrid,
    /// Mailgun (`smtp.mailgun.org`, `smtp.eu.mailgun.org`).
    Mailgun,
    /// Mailjet (`in-v3.mailjet.com`).
    Mailjet,
    /// Amazon SES (`email-smtp.<region>.amazonaws.com`).
    Ses,
    /// A self-hosted Proxmox Mail Gateway (the declared inbound PMG).
    Pmg,
    /// Any other relay.
    Custom,
}

/// The inbound PMG, as far as relay detection needs it.
#[derive(Debug, Clone, Copy)]
pub struct PmgIdentity<'a> {
    /// The PMG's public host name.
    pub host: &'a DomainName,
    /// The PMG's address.
    pub ip: Ipv4Addr,
}

/// True for an AWS region name such as `eu-central-1` or `us-gov-west-1`.
fn is_aws_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let (geo, rest) = match parts.as_slice() {
        [geo, "gov", rest @ ..] | [geo, rest @ ..] => (geo, rest),
        [] => return false,
    };
    geo.len() == 2
        && geo.chars().all(|c| c.is_ascii_lowercase())
        && matches!(rest, [direction, number]
            if !direction.is_empty()
                && direction.chars().all(|c| c.is_ascii_lowercase())
                && !number.is_empty()
                && number.chars().all(|c| c.is_ascii_digit()))
}

/// The SES region of an `email-smtp[-fips].<region>.amazonaws.com` host.
pub fn ses_region(host: &str) -> Option<&str> {
    let region = host
        .strip_suffix(".amazonaws.com")?
        .strip_prefix("email-smtp")?
        .trim_start_matches("-fips")
        .strip_prefix('.')?;
    is_aws_region(region).then_some(region)
}

/// A provider's SPF include and what its own record costs in DNS lookups,
/// as far as it is known. Receivers count every nested lookup against the
/// 10 of RFC 7208 §4.6.4, so the budget check needs these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownInclude {
    /// The include's domain, e.g. `_spf.google.com`.
    pub domain: &'static str,
    /// Lookups its own record makes (its includes, recursively); `None`
    /// when not established.
    pub nested_lookups: Option<usize>,
    /// Where that figure comes from, and when it was read.
    pub source: &'static str,
}

/// The includes of the provider table, with their nested costs.
pub const KNOWN_INCLUDES: [KnownInclude; 6] = [
    KnownInclude {
        domain: "_spf.google.com",
        nested_lookups: Some(3),
        source: "include:_netblocks, _netblocks2 and _netblocks3.google.com, each ip4/ip6 only (dig output quoted in public Q&A; DuoCircle reported in 2025-12 that Google dropped _netblocks3: 3 is kept until a resolver here confirms it); read 2026-12-02",
    },
    KnownInclude {
        domain: "spf.protection.outlook.com",
        nested_lookups: Some(0),
        source: "ip4/ip6 ranges only (wirewiki.com SPF pages of domains that include it); read 2026-12-02",
    },
    KnownInclude {
        domain: "sendgrid.net",
        nested_lookups: Some(0),
        source: "ip4 ranges only (wirewiki.com SPF pages of domains that include it); read 2026-12-02",
    },
    KnownInclude {
        domain: "mailgun.org",
        nested_lookups: Some(4),
        source: "include:_spf.mailgun.org and _spf.eu.mailgun.org; _spf.mailgun.org includes _spf1 and _spf2.mailgun.org (wirewiki.com; spf.guru: \"5 or more lookups\" in all); read 2026-12-02",
    },
    KnownInclude {
        domain: "spf.mailjet.com",
        nested_lookups: None,
        source: "not established here (no resolver reachable when the table was written)",
    },
    KnownInclude {
        domain: "amazonses.com",
        nested_lookups: Some(0),
        source: "ip4 ranges only (wirewiki.com SPF pages of domains that include it); read 2026-12-02",
    },
];

/// The lookups an `include:` of `domain` makes beyond its own, when the
/// provider table knows them.
pub fn nested_lookups_of_include(domain: &str) -> Option<usize> {
    KNOWN_INCLUDES
        .iter()
        .find(|known| known.domain == domain)
        .and_then(|known| known.nested_lookups)
}

impl RelayProvider {
    /// Every provider, in table order.
    pub const ALL: [RelayProvider; 8] = [
        RelayProvider::Gmail,
        RelayProvider::Microsoft365,
        RelayProvider::Sendgrid,
        RelayProvider::Mailgun,
        RelayProvider::Mailjet,
        RelayProvider::Ses,
        RelayProvider::Pmg,
        RelayProvider::Custom,
    ];

    /// Recognises the provider from the relay host. Exact host names only:
    /// `smtp.gmail.com.evil.example` is a custom relay.
    pub fn detect(host: &RelayHost, pmg: Option<PmgIdentity<'_>>) -> Self {
        if let Some(pmg) = pmg {
            let is_pmg = match host {
                RelayHost::Name(name) => name == pmg.host,
                RelayHost::Ipv4(ip) => *ip == pmg.ip,
            };
            if is_pmg {
                return RelayProvider::Pmg;
            }
        }
        let Some(name) = host.name() else {
            return RelayProvider::Custom;
        };
        match name.as_str() {
            "smtp.gmail.com" | "smtp-relay.gmail.com" => RelayProvider::Gmail,
            "smtp.office365.com" => RelayProvider::Microsoft365,
            n if n.ends_with(".mail.protection.outlook.com") => RelayProvider::Microsoft365,
            "smtp.sendgrid.net" => RelayProvider::Sendgrid,
            "smtp.mailgun.org" | "smtp.eu.mailgun.org" => RelayProvider::Mailgun,
            "in-v3.mailjet.com" | "in.mailjet.com" => RelayProvider::Mailjet,
            n if ses_region(n).is_some() => RelayProvider::Ses,
            _ => RelayProvider::Custom,
        }
    }

    /// The contract's identifier (`gmail`, `microsoft365`, …).
    pub fn id(self) -> &'static str {
        match self {
            RelayProvider::Gmail => "gmail",
            RelayProvider::Microsoft365 => "microsoft365",
            RelayProvider::Sendgrid => "sendgrid",
            RelayProvider::Mailgun => "mailgun",
            RelayProvider::Mailjet => "mailjet",
            RelayProvider::Ses => "ses",
            RelayProvider::Pmg => "pmg",
            RelayProvider::Custom => "custom",
        }
    }

    /// The provider's name for people.
    pub fn display_name(self) -> &'static str {
        match self {
            RelayProvider::Gmail => "Gmail / Google Workspace",
            RelayProvider::Microsoft365 => "Microsoft 365",
            RelayProvider::Sendgrid => "SendGrid",
            RelayProvider::Mailgun => "Mailgun",
            RelayProvider::Mailjet => "Mailjet",
            RelayProvider::Ses => "Amazon SES",
            RelayProvider::Pmg => "self-hosted PMG",
            RelayProvider::Custom => "custom relay",
        }
    }

    /// The SPF term that authorises the provider's sending IPs.
    pub fn spf_term(self, host: &RelayHost) -> SpfTerm {
        match self {
            RelayProvider::Gmail => SpfTerm::include("_spf.google.com"),
            RelayProvider::Microsoft365 => SpfTerm::include("spf.protection.outlook.com"),
            RelayProvider::Sendgrid => SpfTerm::include("sendgrid.net"),
            RelayProvider::Mailgun => SpfTerm::include("mailgun.org"),
            RelayProvider::Mailjet => SpfTerm::include("spf.mailjet.com"),
            RelayProvider::Ses => SpfTerm::include("amazonses.com"),
            RelayProvider::Pmg | RelayProvider::Custom => match host {
                RelayHost::Name(name) => SpfTerm::a(name.as_str()),
                RelayHost::Ipv4(ip) => SpfTerm::ip4(*ip),
            },
        }
    }

    /// Ports the provider accepts submissions on; empty means any.
    pub fn ports(self) -> &'static [u16] {
        match self {
            RelayProvider::Gmail => &[587, 465, 25],
            RelayProvider::Microsoft365 => &[587, 25],
            RelayProvider::Sendgrid | RelayProvider::Mailgun => &[587, 2525, 465, 25],
            RelayProvider::Mailjet => &[587, 465, 25],
            RelayProvider::Ses => &[587, 2587, 465, 2465, 25],
            RelayProvider::Pmg | RelayProvider::Custom => &[],
        }
    }

    /// True when the provider never accepts unauthenticated relaying, so a
    /// SASL user is required.
    pub fn requires_sasl(self, host: &RelayHost) -> bool {
        match self {
            RelayProvider::Gmail => host.name().is_some_and(|n| n.as_str() == "smtp.gmail.com"),
            RelayProvider::Microsoft365 => host
                .name()
                .is_some_and(|n| n.as_str() == "smtp.office365.com"),
            RelayProvider::Sendgrid
            | RelayProvider::Mailgun
            | RelayProvider::Mailjet
            | RelayProvider::Ses => true,
            RelayProvider::Pmg | RelayProvider::Custom => false,
        }
    }

    /// The relay host a new declaration for this provider starts from
    /// (SES: one region of many; change it to the account's region). None
    /// for a PMG or a custom relay, whose host is the operator's own.
    pub fn preset_host(self) -> Option<&'static str> {
        match self {
            RelayProvider::Gmail => Some("smtp.gmail.com"),
            RelayProvider::Microsoft365 => Some("smtp.office365.com"),
            RelayProvider::Sendgrid => Some("smtp.sendgrid.net"),
            RelayProvider::Mailgun => Some("smtp.mailgun.org"),
            RelayProvider::Mailjet => Some("in-v3.mailjet.com"),
            RelayProvider::Ses => Some("email-smtp.us-east-1.amazonaws.com"),
            RelayProvider::Pmg | RelayProvider::Custom => None,
        }
    }

    /// The SMTP user every account of the provider shares, where there is
    /// one (SendGrid's literal `apikey`).
    pub fn preset_user(self) -> Option<&'static str> {
        match self {
            RelayProvider::Sendgrid => Some("apikey"),
            _ => None,
        }
    }

    /// Where the SMTP credentials come from and what they look like.
    pub fn credential_hint(self) -> &'static str {
        match self {
            RelayProvider::Gmail => {
                "User = the full Workspace address (e.g. noreply@example.com). Password = a 16-character app password: myaccount.google.com → Security → 2-Step Verification (must be on) → App passwords."
            }
            RelayProvider::Microsoft365 => {
                "User = the full UPN (e.g. relay@example.onmicrosoft.com); password = its password, or an app password when MFA is on. Enable Authenticated SMTP for it: Admin Center → Users → Active users → Mail → Manage email apps. Tenants without Basic authentication for SMTP AUTH refuse this login (5.7.139)."
            }
            RelayProvider::Sendgrid => {
                "User is literally \"apikey\". Password = an API key starting with \"SG.\": app.sendgrid.com → Settings → API Keys → Create API Key, Restricted Access with Mail Send only."
            }
            RelayProvider::Mailgun => {
                "User = the SMTP login of the verified sending domain (e.g. postmaster@mg.example.com). Password from app.mailgun.com → Sending → Domains → SMTP credentials."
            }
            RelayProvider::Mailjet => {
                "User = the API key, password = the secret key: app.mailjet.com → Account Settings → SMTP & SEND API Settings."
            }
            RelayProvider::Ses => {
                "User and password = the IAM-derived SMTP credentials (SES console → SMTP settings → Create SMTP credentials), not the IAM access key. Verify the domain and leave the SES sandbox to send to arbitrary recipients."
            }
            RelayProvider::Pmg => {
                "Either the PMG accepts the mail VM's IP via mynetworks (declare no user), or enable SASL on the PMG's postfix and use those credentials."
            }
            RelayProvider::Custom => {
                "Use the SMTP credentials the relay's operator issued; check its SPF include and DKIM records with them."
            }
        }
    }

    /// What the provider needs in DNS for its own DKIM signature, if it
    /// signs.
    pub fn dkim_hint(self) -> Option<&'static str> {
        match self {
            RelayProvider::Gmail => Some(
                "Google Workspace signs with its own key when enabled: Admin console → Apps → Google Workspace → Gmail → Authenticate email, then publish the google._domainkey TXT record it shows",
            ),
            RelayProvider::Microsoft365 => Some(
                "Microsoft 365 signs with its own key once enabled: publish the selector1._domainkey and selector2._domainkey CNAMEs shown in the Defender portal (Email authentication settings → DKIM)",
            ),
            RelayProvider::Sendgrid => Some(
                "SendGrid signs with its own key: publish the s1._domainkey and s2._domainkey CNAMEs from Settings → Sender Authentication → Authenticate Your Domain",
            ),
            RelayProvider::Mailgun => Some(
                "Mailgun signs with its own key: publish the _domainkey TXT record listed for the sending domain under Sending → Domains → DNS records",
            ),
            RelayProvider::Mailjet => Some(
                "Mailjet signs with its own key: publish the mailjet._domainkey TXT record from Account Settings → Domains & senders → SPF/DKIM authentication",
            ),
            RelayProvider::Ses => Some(
                "SES signs with Easy DKIM: publish the three <token>._domainkey CNAMEs (to <token>.dkim.amazonses.com) shown for the verified identity",
            ),
            RelayProvider::Pmg | RelayProvider::Custom => None,
        }
    }
}

/// What is wrong or unusual about a relay's credentials and port.
#[derive(Debug, Default)]
pub struct CredentialFindings {
    /// Certain failures, each with the field it concerns (`user`/`password`).
    pub errors: Vec<(&'static str, String)>,
    /// Likely mistakes.
    pub warnings: Vec<(&'static str, String)>,
}

/// The relay's credentials, as far as provider conventions can check them.
/// `password` is the inline secret's text, when there is one: it is only
/// inspected, never quoted.
pub fn check_credentials(
    provider: RelayProvider,
    host: &RelayHost,
    port: Port,
    user: Option<&Login>,
    password: Option<&str>,
) -> CredentialFindings {
    let mut found = CredentialFindings::default();
    let name = provider.display_name();
    let Some(user) = user else {
        if provider.requires_sasl(host) {
            found.errors.push((
                "user",
                format!(
                    "{name} ({host}) only relays for authenticated clients: set user and passwordFile (or password). {}",
                    provider.credential_hint()
                ),
            ));
        }
        return found;
    };
    // The user is never quoted: a key or password pasted into the user
    // field must not come back in an error. Say what it looks like instead.
    let is_address = user.as_email().is_some();
    let shape = user.looks_like();
    match provider {
        RelayProvider::Gmail | RelayProvider::Microsoft365 | RelayProvider::Mailgun
            if !is_address =>
        {
            found.errors.push((
                "user",
                format!(
                    "{name} logs in with a full e-mail address, and this user {} (value not shown in case it is a secret). {}",
                    shape.unwrap_or("is not one"),
                    provider.credential_hint()
                ),
            ));
        }
        RelayProvider::Sendgrid if user.as_str() != "apikey" => {
            found.errors.push((
                "user",
                format!(
                    "{}: SendGrid's SMTP user is literally \"apikey\"; the API key goes in passwordFile (or password)",
                    shape.unwrap_or("is not \"apikey\" (value not shown in case it is a secret)")
                ),
            ));
        }
        RelayProvider::Mailjet
            if !(user.as_str().len() == 32
                && user.as_str().chars().all(|c| c.is_ascii_hexdigit())) =>
        {
            found.warnings.push((
                "user",
                "Mailjet's SMTP user is the 32-character API key; this user does not look like one"
                    .to_string(),
            ));
        }
        RelayProvider::Ses
            if !(user.as_str().len() == 20
                && user.as_str().starts_with("AKIA")
                && user.as_str().chars().all(|c| c.is_ascii_alphanumeric())) =>
        {
            found.warnings.push((
                "user",
                "SES SMTP users are 20-character IAM access key ids starting with AKIA; this user does not look like one"
                    .to_string(),
            ));
        }
        _ => {}
    }
    if let Some(password) = password {
        match provider {
            RelayProvider::Sendgrid if !password.starts_with("SG.") => {
                found.warnings.push((
                    "password",
                    "SendGrid API keys start with \"SG.\"; this password does not (value not shown)"
                        .to_string(),
                ));
            }
            RelayProvider::Gmail if host.name().is_some_and(|n| n.as_str() == "smtp.gmail.com") => {
                let letters: Vec<char> = password.chars().filter(|c| !" -".contains(*c)).collect();
                if letters.len() != 16 || !letters.iter().all(char::is_ascii_alphabetic) {
                    found.warnings.push((
                        "password",
                        "Gmail needs a 16-letter app password (2-Step Verification on); this password is not one, so Google will refuse it (value not shown)"
                            .to_string(),
                    ));
                }
            }
            _ => {}
        }
    }
    let ports = provider.ports();
    if !ports.is_empty() && !ports.contains(&port.get()) {
        found.warnings.push((
            "port",
            format!(
                "{name} accepts submissions on {}; port {port} will probably time out",
                ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    found
}

/// True when the port speaks TLS from the first byte (SMTPS) rather than
/// STARTTLS, so postfix needs `smtp_tls_wrappermode = yes`.
pub fn is_implicit_tls_port(port: Port) -> bool {
    matches!(port.get(), 465 | 2465)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> RelayHost {
        RelayHost::parse(s).unwrap()
    }

    #[test]
    fn every_preset_host_is_detected_as_its_own_provider_on_a_port_it_takes() {
        for provider in RelayProvider::ALL {
            let Some(preset) = provider.preset_host() else {
                assert!(matches!(
                    provider,
                    RelayProvider::Pmg | RelayProvider::Custom
                ));
                continue;
            };
            assert_eq!(RelayProvider::detect(&host(preset), None), provider);
            assert!(provider.ports().contains(&587), "{provider:?}");
        }
    }

    #[test]
    fn detects_every_table_row() {
        let cases = [
            (
                "smtp.gmail.com",
                RelayProvider::Gmail,
                "include:_spf.google.com",
            ),
            (
                "smtp-relay.gmail.com",
                RelayProvider::Gmail,
                "include:_spf.google.com",
            ),
            (
                "smtp.office365.com",
                RelayProvider::Microsoft365,
                "include:spf.protection.outlook.com",
            ),
            (
                "contoso-com.mail.protection.outlook.com",
                RelayProvider::Microsoft365,
                "include:spf.protection.outlook.com",
            ),
            (
                "smtp.sendgrid.net",
                RelayProvider::Sendgrid,
                "include:sendgrid.net",
            ),
            (
                "smtp.mailgun.org",
                RelayProvider::Mailgun,
                "include:mailgun.org",
            ),
            (
                "smtp.eu.mailgun.org",
                RelayProvider::Mailgun,
                "include:mailgun.org",
            ),
            (
                "in-v3.mailjet.com",
                RelayProvider::Mailjet,
                "include:spf.mailjet.com",
            ),
            (
                "email-smtp.eu-central-1.amazonaws.com",
                RelayProvider::Ses,
                "include:amazonses.com",
            ),
            (
                "email-smtp.us-gov-west-1.amazonaws.com",
                RelayProvider::Ses,
                "include:amazonses.com",
            ),
            (
                "email-smtp-fips.us-east-1.amazonaws.com",
                RelayProvider::Ses,
                "include:amazonses.com",
            ),
            (
                "smtp.example.net",
                RelayProvider::Custom,
                "a:smtp.example.net",
            ),
            ("192.0.2.25", RelayProvider::Custom, "ip4:192.0.2.25"),
            (
                "smtp.gmail.com.evil.example",
                RelayProvider::Custom,
                "a:smtp.gmail.com.evil.example",
            ),
            (
                "email-smtp.nowhere.amazonaws.com",
                RelayProvider::Custom,
                "a:email-smtp.nowhere.amazonaws.com",
            ),
        ];
        for (h, provider, spf) in cases {
            let detected = RelayProvider::detect(&host(h), None);
            assert_eq!(detected, provider, "{h}");
            assert_eq!(detected.spf_term(&host(h)).to_string(), spf, "{h}");
        }
    }

    #[test]
    fn pmg_is_recognised_by_name_or_ip() {
        let pmg_host = DomainName::parse("pmg.example.net").unwrap();
        let pmg = PmgIdentity {
            host: &pmg_host,
            ip: "198.51.100.25".parse().unwrap(),
        };
        let by_name = RelayProvider::detect(&host("pmg.example.net"), Some(pmg));
        let by_ip = RelayProvider::detect(&host("198.51.100.25"), Some(pmg));
        assert_eq!(by_name, RelayProvider::Pmg);
        assert_eq!(by_ip, RelayProvider::Pmg);
        assert_eq!(
            by_name.spf_term(&host("pmg.example.net")).to_string(),
            "a:pmg.example.net"
        );
        assert_eq!(
            by_ip.spf_term(&host("198.51.100.25")).to_string(),
            "ip4:198.51.100.25"
        );
    }

    #[test]
    fn credential_conventions() {
        let login = |s: &str| Login::parse(s).unwrap();
        let sg = check_credentials(
            RelayProvider::Sendgrid,
            &host("smtp.sendgrid.net"),
            Port::SUBMISSION,
            Some(&login("noreply@example.com")),
            Some("SG.abc"),
        );
        assert_eq!(sg.errors.len(), 1);
        assert!(sg.errors[0].1.contains("literally \"apikey\""));
        let sg_ok = check_credentials(
            RelayProvider::Sendgrid,
            &host("smtp.sendgrid.net"),
            Port::SUBMISSION,
            Some(&login("apikey")),
            Some("not-a-key"),
        );
        assert!(sg_ok.errors.is_empty());
        assert_eq!(sg_ok.warnings[0].0, "password");
        assert!(!sg_ok.warnings[0].1.contains("not-a-key"));

        let m365 = check_credentials(
            RelayProvider::Microsoft365,
            &host("smtp.office365.com"),
            Port::SUBMISSION,
            Some(&login("relay")),
            None,
        );
        assert!(m365.errors[0].1.contains("full e-mail address"));

        let no_user = check_credentials(
            RelayProvider::Sendgrid,
            &host("smtp.sendgrid.net"),
            Port::SUBMISSION,
            None,
            None,
        );
        assert!(no_user.errors[0].1.contains("authenticated"));
        let ip_auth = check_credentials(
            RelayProvider::Gmail,
            &host("smtp-relay.gmail.com"),
            Port::SUBMISSION,
            None,
            None,
        );
        assert!(ip_auth.errors.is_empty());

        let odd_port = check_credentials(
            RelayProvider::Microsoft365,
            &host("smtp.office365.com"),
            Port::new(2525).unwrap(),
            Some(&login("relay@example.onmicrosoft.com")),
            None,
        );
        assert_eq!(odd_port.warnings[0].0, "port");
    }

    #[test]
    fn gmail_app_password_shape() {
        let check = |pw: &str| {
            check_credentials(
                RelayProvider::Gmail,
                &host("smtp.gmail.com"),
                Port::SUBMISSION,
                Some(&Login::parse("noreply@example.com").unwrap()),
                Some(pw),
            )
            .warnings
        };
        assert!(check("abcd efgh ijkl mnop").is_empty());
        assert!(check("abcd-efgh-ijkl-mnop").is_empty());
        assert_eq!(check("Winter2026!").len(), 1);
    }

    #[test]
    fn every_provider_has_an_id_and_hint() {
        for p in RelayProvider::ALL {
            assert!(!p.id().is_empty());
            assert!(!p.credential_hint().is_empty());
        }
    }
}
