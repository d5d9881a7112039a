//! Dyndns through qdm12/ddns-updater: the provider table, validation of
//! `domainProvider`, and the updater's settings entries.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::declaration::{DomainProviderOptions, Login, Text};
use crate::names::{DomainName, RelativeName, quoted};
use crate::plan::{DdnsPlan, REDACTED};
use crate::secret::SecretSource;

/// Whether a provider takes a login beside its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UsernameRule {
    /// The settings entry needs `username`.
    Required,
    /// The provider authenticates with the secret alone.
    Absent,
}

/// One row of the ddns-updater provider table.
#[derive(Debug, PartialEq, Eq)]
pub struct ProviderSpec {
    /// ddns-updater's `provider` value.
    id: &'static str,
    /// Settings keys the single secret may go under; the first is the
    /// default.
    secret_keys: &'static [&'static str],
    /// Whether `username` is part of the entry.
    username: UsernameRule,
    /// The zone every updated name must lie in, for providers that serve
    /// only their own (duckdns.org).
    fixed_zone: Option<&'static str>,
}

const fn spec(
    id: &'static str,
    secret_keys: &'static [&'static str],
    username: UsernameRule,
) -> ProviderSpec {
    ProviderSpec {
        id,
        secret_keys,
        username,
        fixed_zone: None,
    }
}

use UsernameRule::{Absent, Required};

/// ddns-updater providers whose settings fit the declaration's shape: one
/// secret, optionally a username. Providers that need two secrets or extra
/// identifiers are left out rather than half-configured.
static PROVIDERS: &[ProviderSpec] = &[
    spec("noip", &["password"], Required),
    ProviderSpec {
        fixed_zone: Some("duckdns.org"),
        ..spec("duckdns", &["token"], Absent)
    },
    spec("dyn", &["client_key"], Required),
    spec("dynu", &["password"], Required),
    spec("namecheap", &["password"], Absent),
    spec("freedns", &["token"], Absent),
    spec("desec", &["token"], Absent),
    spec("dynv6", &["token"], Absent),
    spec("he", &["password"], Absent),
    spec("strato", &["password"], Absent),
    spec("infomaniak", &["password"], Required),
    spec("ddnss", &["password"], Required),
    spec("selfhost.de", &["password"], Required),
    spec("opendns", &["password"], Required),
    spec("changeip", &["password"], Required),
    spec("goip", &["password"], Required),
    spec("dnsomatic", &["password"], Required),
    spec("digitalocean", &["token"], Absent),
    spec("linode", &["token"], Absent),
    spec("dnspod", &["token"], Absent),
    spec("njalla", &["key"], Absent),
    spec("dreamhost", &["key"], Absent),
    spec("gandi", &["personal_access_token", "key"], Absent),
    spec("ionos", &["api_key"], Absent),
];

/// A ddns-updater provider from the supported table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DdnsProvider(&'static ProviderSpec);

impl DdnsProvider {
    /// Looks a provider up by its ddns-updater identifier.
    pub fn parse(input: &str) -> Result<Self, String> {
        let lower = input.to_ascii_lowercase();
        PROVIDERS
            .iter()
            .find(|p| p.id == lower)
            .map(DdnsProvider)
            .ok_or_else(|| {
                format!(
                    "{} is not a supported ddns-updater provider; supported: {}",
                    quoted(input),
                    PROVIDERS
                        .iter()
                        .map(|p| p.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// ddns-updater's identifier.
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// The settings key the secret goes under by default.
    pub fn default_secret_key(self) -> SecretKey {
        SecretKey(self.0.secret_keys[0])
    }

    /// Every supported identifier.
    pub fn all() -> impl Iterator<Item = DdnsProvider> {
        PROVIDERS.iter().map(DdnsProvider)
    }
}

impl<'de> Deserialize<'de> for DdnsProvider {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        DdnsProvider::parse(&text.0).map_err(serde::de::Error::custom)
    }
}

impl Serialize for DdnsProvider {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// The ddns-updater settings key a secret goes under (`password`,
/// `token`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretKey(&'static str);

impl SecretKey {
    /// The key as text.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl<'de> Deserialize<'de> for SecretKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        let known = PROVIDERS
            .iter()
            .flat_map(|p| p.secret_keys.iter())
            .find(|k| **k == text.0);
        known.map(|k| SecretKey(k)).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{} is not a ddns-updater secret key; expected \"password\" or \"token\" (or the provider's own key, such as \"client_key\")",
                quoted(&text.0)
            ))
        })
    }
}

/// Public-IP echo services ddns-updater asks, in order: the guide's ipify
/// first, icanhazip as the fallback.
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
    let mut seen = Vec::new();
    for (i, host) in options.hosts.iter().enumerate() {
        if seen.contains(host) {
            error(
                &format!("hosts[{i}]"),
                format!("{} is listed twice", quoted(host.as_str())),
            );
        }
        let fqdn = host.fqdn(&zone);
        if fqdn.len() > 253 {
            error(
                &format!("hosts[{i}]"),
                format!(
                    "{} under {zone} is {} characters long; DNS allows at most 253",
                    quoted(host.as_str()),
                    fqdn.len()
                ),
            );
        }
        seen.push(host.clone());
    }
    if let Some(fixed) = provider.0.fixed_zone {
        let fixed = DomainName::parse(fixed).expect("provider zones in the table are valid");
        if zone != fixed {
            let field = if options.domain.is_some() {
                "domain"
            } else {
                "provider"
            };
            error(
                field,
                format!(
                    "{} only updates names under {fixed}, but the zone is {zone}; set domain = \"{fixed}\" and hosts to your {fixed} subdomain(s)",
                    provider.id()
                ),
            );
        }
        if options
            .hosts
            .iter()
            .any(|h| h.as_str() == "@" || h.is_wildcard())
        {
            error(
                "hosts",
                format!(
                    "{} updates subdomains of {fixed} only: \"@\" and wildcards cannot be used",
                    provider.id()
                ),
            );
        }
    }
    match (provider.0.username, &options.username) {
        (Required, None) => error(
            "username",
            format!(
                "{} logs in with a username beside the secret; set username",
                provider.id()
            ),
        ),
        (Absent, Some(_)) => error(
            "username",
            format!(
                "{} authenticates with the {} alone and takes no username; remove it",
                provider.id(),
                provider.default_secret_key()
            ),
        ),
        _ => {}
    }
    let secret_key = match options.secret_key {
        None => provider.default_secret_key(),
        Some(key) if provider.0.secret_keys.contains(&key.as_str()) => key,
        Some(key) => {
            error(
                "secretKey",
                format!(
                    "{} takes its secret as {}, not \"{key}\"; remove secretKey or set it to \"{}\"",
                    provider.id(),
                    provider
                        .0
                        .secret_keys
                        .iter()
                        .map(|k| format!("\"{k}\""))
                        .collect::<Vec<_>>()
                        .join(" or "),
                    provider.default_secret_key()
                ),
            );
            provider.default_secret_key()
        }
    };
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
        if let Some(username) = &self.username {
            entry.insert("username".into(), username.as_str().into());
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
            "PUBLICIP_HTTP_PROVIDERS".to_string(),
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
