//! Stage 3: the warnings that weigh the whole site: the decision tree
//! and the inline secrets.

use std::collections::HashSet;

use crate::names::list_at_most;
use crate::provider::RelayProvider;

use super::site::Site;
use super::{Addressing, Diagnostics};

/// At most this many field paths are listed in the inline-secret warning.
const SHOWN_INLINE_SECRETS: usize = 12;

/// The guide's "Quick decision tree": standalone without a static IP,
/// rDNS or port 25; a smarthost's DKIM hint, an unknown relay, Microsoft
/// 365's Basic authentication; and addresses nothing keeps current.
pub(super) fn decision_tree_warnings(site: &Site<'_>, d: &mut Diagnostics) {
    let decl = site.decl;
    let hostname = &site.hostname;
    let relay = &site.relay;
    let addressing = &site.addressing;
    let selector = decl.dkim_selector.as_str();
    match (relay, addressing) {
        (None, Some(addressing)) => {
            if !matches!(addressing, Addressing::Static(_)) {
                d.warn(format!(
                    "standalone without a static public IPv4 (publicIP): the address is dynamic, so no PTR can match {hostname} and Gmail / Outlook will drop or quarantine mail. Use a smarthost (mailRelay) instead"
                ));
            }
            match decl.isp.rdns {
                Some(false) => d.warn(format!(
                    "standalone with isp.rdns = false: without a PTR for the public IPv4 that matches {hostname}, Gmail / Outlook drop or quarantine mail. Ask the ISP for rDNS, or use a smarthost"
                )),
                None => {
                    if let Addressing::Static(ip) = addressing {
                        d.warn(format!(
                            "standalone: verify rDNS with `dig -x {}` (it must answer {hostname}), then set isp.rdns = true",
                            ip.addr()
                        ));
                    }
                }
                Some(true) => {}
            }
            match decl.isp.port25_outbound {
                Some(false) => d.warn(
                    "standalone with isp.port25Outbound = false: the ISP blocks outbound port 25, so the mail VM cannot deliver at all. Use a smarthost (mailRelay)",
                ),
                None => d.warn(
                    "standalone: verify that the ISP lets port 25 out with `nc -vz -w 5 gmail-smtp-in.l.google.com 25` from the mail VM, then set isp.port25Outbound = true (if it times out, use a smarthost)",
                ),
                Some(true) => {}
            }
        }
        (Some(relay), _) => {
            if let Some(hint) = relay.provider.dkim_hint() {
                d.warn(format!(
                    "{hint}; the mail VM's own {selector}._domainkey record stays valid beside it"
                ));
            }
            if relay.provider == RelayProvider::Custom && relay.host.private_ipv4().is_none() {
                d.warn(format!(
                    "{} is not a provider mailplan knows: SPF authorises {} only; if the relay sends from other addresses, add its SPF include to spf.extra",
                    relay.host,
                    relay.provider.spf_term(&relay.host)
                ));
            }
        }
        (None, None) => {}
    }
    if let Some(relay) = relay
        .as_ref()
        .filter(|r| r.provider == RelayProvider::Microsoft365 && r.user.is_some())
    {
        d.warn(format!(
            "{}: Microsoft is retiring Basic authentication for SMTP AUTH in Exchange Online, and the password login fails (5.7.139 / 5.7.30) once the tenant disables it. Confirm Authenticated SMTP is on for the mailbox; plan a move to an Exchange Online connector (<tenant>.mail.protection.outlook.com:25, authorised by the site's static IP or a certificate) or another provider",
            relay.host
        ));
    }
    if matches!(addressing, Some(Addressing::Manual)) {
        d.warn(format!(
            "no publicIP and no domainProvider: nothing updates the A records ({hostname} and others marked manual); keep them at the WAN IPv4 by hand, or declare publicIP or domainProvider"
        ));
    }
}

/// One warning listing every inline password (they land in the Nix
/// store): those the earlier stages noted, then the mailboxes', each
/// once; at most [`SHOWN_INLINE_SECRETS`] paths, then "and N more".
pub(super) fn secret_warnings(site: &Site<'_>, d: &mut Diagnostics) {
    let roles = &site.roles;
    if !d.inline_secrets.is_empty()
        || roles
            .mailboxes
            .iter()
            .any(|(_, _, u, _)| u.password.is_some())
    {
        let mut paths = d.inline_secrets.clone();
        let mut seen: HashSet<String> = paths.iter().cloned().collect();
        for (i, ..) in roles
            .mailboxes
            .iter()
            .filter(|(_, _, u, _)| u.password.is_some())
        {
            let path = format!("users[{i}].password");
            if seen.insert(path.clone()) {
                paths.push(path);
            }
        }
        let paths = list_at_most(paths.into_iter(), SHOWN_INLINE_SECRETS);
        d.warn(format!(
            "inline passwords land in the world-readable Nix store (lab posture): {paths}. Use passwordFile (e.g. /run/secrets/relay-pass from sops-nix) to keep them out"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::site::resolve_site;

    fn warnings_of(json: &str, stage: fn(&Site<'_>, &mut Diagnostics)) -> Vec<String> {
        let decl = crate::from_json(json).unwrap();
        let mut d = Diagnostics::default();
        let site = resolve_site(&decl, &mut d).unwrap();
        d.warnings.clear();
        stage(&site, &mut d);
        d.warnings
    }

    #[test]
    fn standalone_with_a_static_ip_asks_to_verify_rdns_and_port_25() {
        let warnings = warnings_of(
            r#"{ "name": "X", "domain": "example.com", "publicIP": "203.0.113.5" }"#,
            decision_tree_warnings,
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("standalone: verify rDNS with `dig -x 203.0.113.5`"));
        assert!(warnings[1].starts_with("standalone: verify that the ISP lets port 25 out"));
    }

    #[test]
    fn a_smarthost_skips_the_standalone_checks() {
        let warnings = warnings_of(
            r#"{ "name": "X", "domain": "example.com", "publicIP": "203.0.113.5",
                 "mailRelay": { "host": "relay.example.net" } }"#,
            decision_tree_warnings,
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("relay.example.net is not a provider mailplan knows"));
    }

    fn mailboxes(n: usize) -> String {
        let users: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{ "name": "u{i}", "roles": ["mailbox"], "password": "pw-{i}-secret" }}"#
                )
            })
            .collect();
        format!(
            r#"{{ "name": "X", "domain": "example.com", "publicIP": "203.0.113.5", "users": [{}] }}"#,
            users.join(", ")
        )
    }

    #[test]
    fn inline_passwords_are_listed_once_each() {
        let warnings = warnings_of(&mailboxes(2), secret_warnings);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("(lab posture): users[0].password, users[1].password. Use"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn more_than_twelve_inline_passwords_are_cut_short() {
        let warnings = warnings_of(&mailboxes(12), secret_warnings);
        assert!(
            warnings[0].contains("users[11].password. Use"),
            "{}",
            warnings[0]
        );
        let warnings = warnings_of(&mailboxes(15), secret_warnings);
        assert!(
            warnings[0].contains("users[11].password, and 3 more. Use"),
            "{}",
            warnings[0]
        );
        assert!(!warnings[0].contains("users[12]"));
    }

    #[test]
    fn no_inline_password_no_warning() {
        let warnings = warnings_of(
            r#"{ "name": "X", "domain": "example.com", "publicIP": "203.0.113.5" }"#,
            secret_warnings,
        );
        assert!(warnings.is_empty());
    }
}
