//! Dyndns through qdm12/ddns-updater: validation of `domainProvider` and
//! the updater's settings entries. The provider table itself is in
//! `ddns_provider` (below the declaration, which reads its types); it is
//! re-exported here.

use std::collections::BTreeMap;

pub use crate::ddns_provider::{DdnsProvider, ProviderSpec, SecretKey};
use crate::declaration::{DomainProviderOptions, Login};
use crate::names::{DomainName, RelativeName, quoted};
use crate::plan::{DdnsPlan, REDACTED};
use crate::secret::SecretSource;

/// Public-IP echo services (the guide's: ipify, with icanhazip as the
/// fallback). ddns-updater asks them in turn, one per check, and skips one
/// that bans it; their IPv4-only endpoints are used since only A records
/// are updated.
pub const PUBLIC_IP_ECHO: [&str; 2] = ["ipify", "icanhazip"];

/// A validated dyndns setup.
#[derive(Debug, Clone)]
pub struct DdnsSetup {
    /// The provider.
    pub provider: DdnsProvider,
    /// The zone the labels live in (the customer's own, or e.g. ddns.net).
    pub zone: DomainName,
    /// True when `zone` is the customer's own domain.
    pub own_zone: bool,
    /// The labels as declared.
    pub hosts: Vec<RelativeName>,
    /// Account login.
    pub username: Option<Login>,
    /// Settings key for the secret.
    pub secret_key: SecretKey,
    /// The secret.
    pub secret: SecretSource,
}

/// Validates `domainProvider`; `secret` is the domain-provider user's
/// password, already resolved (None when that failed: an error was
/// reported). Problems go to `error(field, message)`.
pub fn resolve(
    options: &DomainProviderOptions,
    customer_domain: &DomainName,
    secret: Option<SecretSource>,
    mut error: impl FnMut(&str, String),
) -> Option<DdnsSetup> {
    let provider = options.provider;
    let zone = options
        .domain
        .clone()
        .unwrap_or_else(|| customer_domain.clone());
    let own_zone = &zone == customer_domain;
    if options.hosts.is_empty() {
        error(
            "hosts",
            "is empty; list the labels to keep updated under the zone, e.g. [ \"laufentaler\" ] or [ \"mail\" ]".into(),
        );
    }
    let fixed_zones = provider.0.fixed_zones;
    let mut seen = std::collections::HashSet::new();
    for (i, host) in options.hosts.iter().enumerate() {
        let field = format!("hosts[{i}]");
        let fqdn = host.fqdn(&zone);
        if !seen.insert(host) {
            error(&field, format!("{} is listed twice", quoted(host.as_str())));
        } else if fqdn.len() > 253 {
            error(
                &field,
                format!(
                    "{} under {zone} is {} characters long; DNS allows at most 253",
                    quoted(host.as_str()),
                    fqdn.len()
                ),
            );
        } else if host.is_wildcard() && !provider.0.wildcard {
            error(
                &field,
                format!(
                    "{} cannot update wildcard names; list the labels instead",
                    provider.id()
                ),
            );
        } else if host.as_str() == "@" && !fixed_zones.is_empty() {
            error(
                &field,
                format!(
                    "{} updates names below {zone} only, not the zone itself",
                    provider.id()
                ),
            );
        }
    }
    if !fixed_zones.is_empty() && !fixed_zones.iter().any(|z| *z == zone.as_str()) {
        let field = if options.domain.is_some() {
            "domain"
        } else {
            "provider"
        };
        error(
            field,
            format!(
                "{} only updates names under {}, but the zone is {zone}; set domain = \"{}\" and hosts to your subdomain(s) there",
                provider.id(),
                fixed_zones.join(" or "),
                fixed_zones[0]
            ),
        );
    }
    match (provider.0.username_key, &options.username) {
        (Some(key), None) => error(
            "username",
            format!(
                "{} logs in with a {key} beside the {}; set username",
                provider.id(),
                provider.secret_key()
            ),
        ),
        (None, Some(_)) => error(
            "username",
            format!(
                "{} authenticates with the {} alone and takes no username; remove it",
                provider.id(),
                provider.secret_key()
            ),
        ),
        _ => {}
    }
    let secret_key = provider.secret_key();
    if let Some(key) = options.secret_key.filter(|k| *k != secret_key) {
        error(
            "secretKey",
            format!(
                "{} takes its secret as \"{secret_key}\", not \"{key}\"; remove secretKey or set it to \"{secret_key}\"",
                provider.id()
            ),
        );
    }
    Some(DdnsSetup {
        provider,
        zone,
        own_zone,
        hosts: options.hosts.clone(),
        username: options.username.clone(),
        secret_key,
        secret: secret?,
    })
}

impl DdnsSetup {
    /// The absolute names the updater keeps pointed at the WAN address
    /// (`*.zone` for a wildcard).
    pub fn names(&self) -> Vec<String> {
        self.hosts.iter().map(|h| h.fqdn(&self.zone)).collect()
    }

    /// The updated name that gives `name` its address records — `name`
    /// itself, or a wildcard above it — if any.
    pub fn covering_name(&self, name: &DomainName) -> Option<String> {
        self.hosts.iter().find_map(|host| {
            let fqdn = host.fqdn(&self.zone);
            let covers = match fqdn.strip_prefix("*.") {
                Some(base) => name
                    .as_str()
                    .strip_suffix(base)
                    .is_some_and(|head| head.ends_with('.')),
                None => fqdn == name.as_str(),
            };
            covers.then_some(fqdn)
        })
    }

    /// The first concrete (non-wildcard) updated name: what other names
    /// point at with a CNAME.
    pub fn cname_target(&self) -> Option<DomainName> {
        self.hosts.iter().find_map(|h| h.name_under(&self.zone))
    }

    /// The ddns-updater settings entry for one host, secret redacted.
    fn settings_entry(&self, host: &RelativeName) -> BTreeMap<String, String> {
        let mut entry = BTreeMap::new();
        entry.insert("provider".into(), self.provider.id().into());
        entry.insert("domain".into(), host.fqdn(&self.zone));
        if let (Some(key), Some(username)) = (self.provider.0.username_key, &self.username) {
            entry.insert(key.into(), username.as_str().into());
        }
        entry.insert(self.secret_key.as_str().into(), REDACTED.into());
        entry.insert("ip_version".into(), "ipv4".into());
        entry
    }

    /// The plan's `ddns` section.
    pub fn plan(&self, hostname: &DomainName, customer_domain: &DomainName) -> DdnsPlan {
        let names = self.names();
        let listed = &names;
        let reason = if self.own_zone {
            format!(
                "no static public IP: ddns-updater on the dns VM keeps {} in {customer_domain} at the WAN address ({})",
                listed.join(", "),
                self.provider.id()
            )
        } else {
            format!(
                "no static public IP: ddns-updater on the dns VM keeps {} at the WAN address ({}, zone {}); {hostname} points there by CNAME",
                listed.join(", "),
                self.provider.id(),
                self.zone
            )
        };
        let mut environment = BTreeMap::new();
        environment.insert("PUBLICIP_FETCHERS".to_string(), "http".to_string());
        environment.insert(
            "PUBLICIPV4_HTTP_PROVIDERS".to_string(),
            PUBLIC_IP_ECHO.join(","),
        );
        DdnsPlan {
            enabled: true,
            reason,
            provider: Some(self.provider.id().to_string()),
            hosts: names,
            secret_key: Some(self.secret_key.as_str().to_string()),
            password_file: self.secret.file().cloned(),
            public_ip_echo: PUBLIC_IP_ECHO.iter().map(|s| s.to_string()).collect(),
            environment,
            settings: self.hosts.iter().map(|h| self.settings_entry(h)).collect(),
        }
    }
}

impl DdnsPlan {
    /// A plan section for a site without an updater.
    pub fn disabled(reason: String) -> Self {
        Self {
            enabled: false,
            reason,
            provider: None,
            hosts: Vec::new(),
            secret_key: None,
            password_file: None,
            public_ip_echo: Vec::new(),
            environment: BTreeMap::new(),
            settings: Vec::new(),
        }
    }
}
