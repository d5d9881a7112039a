//! Dyndns through qdm12/ddns-updater: the provider table, validation of
//! `domainProvider`, and the updater's settings entries.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::declaration::{DomainProviderOptions, Login, Text};
use crate::names::{DomainName, RelativeName, quoted};
use crate::plan::{DdnsPlan, REDACTED};
use crate::secret::SecretSource;

/// One row of the ddns-updater provider table, from the provider pages
/// under `docs/` in qdm12/ddns-updater (settings format with the full
/// name in `domain`; the older `host`/`owner` split is deprecated there).
#[derive(Debug, PartialEq, Eq)]
pub struct ProviderSpec {
    /// ddns-updater's `provider` value.
    id: &'static str,
    /// The settings key the secret goes under.
    secret_key: &'static str,
    /// The settings key of the account login, for providers that take one
    /// beside the secret (`username`, or `email` for some).
    username_key: Option<&'static str>,
    /// Whether `*.zone` may be updated.
    wildcard: bool,
    /// The zones every updated name must lie in, for providers that serve
    /// only their own (duckdns.org).
    fixed_zones: &'static [&'static str],
}

/// A provider that takes only a secret.
const fn secret_only(id: &'static str, secret_key: &'static str, wildcard: bool) -> ProviderSpec {
    ProviderSpec {
        id,
        secret_key,
        username_key: None,
        wildcard,
        fixed_zones: &[],
    }
}

/// A provider that takes a login and a secret.
const fn with_login(
    id: &'static str,
    username_key: &'static str,
    secret_key: &'static str,
    wildcard: bool,
) -> ProviderSpec {
    ProviderSpec {
        id,
        secret_key,
        username_key: Some(username_key),
        wildcard,
        fixed_zones: &[],
    }
}

/// ddns-updater providers whose settings fit the declaration's shape: one
/// secret, optionally a login. Providers that need two secrets or extra
/// identifiers (cloudflare's zone id, OVH's API keys, porkbun, godaddy,
/// route53, …) are left out rather than half-configured.
static PROVIDERS: &[ProviderSpec] = &[
    with_login("allinkl", "username", "password", false),
    with_login("changeip", "username", "password", false),
    secret_only("dd24", "password", false),
    with_login("ddnss", "username", "password", false),
    secret_only("desec", "token", true),
    secret_only("digitalocean", "token", true),
    with_login("dnsomatic", "username", "password", true),
    secret_only("dnspod", "token", false),
    secret_only("dreamhost", "key", false),
    ProviderSpec {
        fixed_zones: &["duckdns.org"],
        ..secret_only("duckdns", "token", false)
    },
    with_login("dyn", "username", "client_key", true),
    with_login("dynu", "username", "password", false),
    secret_only("dynv6", "token", false),
    with_login("easydns", "username", "token", true),
    secret_only("freedns", "token", false),
    secret_only("gandi", "personal_access_token", true),
    ProviderSpec {
        fixed_zones: &["goip.de", "goip.it"],
        ..with_login("goip", "username", "password", false)
    },
    secret_only("he", "password", true),
    secret_only("hetznercloud", "token", true),
    with_login("infomaniak", "username", "password", false),
    with_login("inwx", "username", "password", false),
    secret_only("ionos", "api_key", true),
    secret_only("ipv64", "key", false),
    secret_only("linode", "token", true),
    with_login("loopia", "username", "password", false),
    with_login("luadns", "email", "token", true),
    with_login("name.com", "username", "token", true),
    secret_only("namecheap", "password", true),
    secret_only("njalla", "key", true),
    with_login("noip", "username", "password", false),
    with_login("nowdns", "username", "password", false),
    with_login("opendns", "username", "password", false),
    with_login("selfhost.de", "username", "password", false),
    with_login("servercow", "username", "password", true),
    secret_only("strato", "password", false),
    with_login("variomedia", "email", "password", false),
    with_login("zoneedit", "username", "token", true),
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

    /// The settings key the secret goes under.
    pub fn secret_key(self) -> SecretKey {
        SecretKey(self.0.secret_key)
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

impl SecretKey {
    /// Reads a key name. Operators paste the token itself here, so a
    /// refusal describes the value's shape and never shows it.
    pub fn parse(input: &str) -> Result<Self, String> {
        if let Some(known) = PROVIDERS.iter().find(|p| p.secret_key == input) {
            return Ok(SecretKey(known.secret_key));
        }
        let looks_like_a_key = input.len() <= 32
            && input
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let what = if input.is_empty() {
            "is empty".to_string()
        } else if looks_like_a_key {
            "is not a key ddns-updater keeps a secret under".to_string()
        } else {
            format!(
                "does not look like a settings key name ({} characters, not a short lowercase word); if it is the secret itself, it belongs in the domain-provider user's passwordFile or password",
                input.chars().count()
            )
        };
        Err(format!(
            "{what}; write the name of the key, {}, or leave secretKey out for the provider's own (value not shown in case it is a secret)",
            secret_key_names()
        ))
    }
}

/// Every key a secret can go under, quoted: `"api_key", "client_key", …`.
fn secret_key_names() -> String {
    let mut keys: Vec<&str> = PROVIDERS.iter().map(|p| p.secret_key).collect();
    keys.sort_unstable();
    keys.dedup();
    let names: Vec<String> = keys.iter().map(|key| format!("\"{key}\"")).collect();
    format!("one of {}", names.join(", "))
}

/// Reads `secretKey` from a string, and refuses anything else without
/// describing it.
struct SecretKeyVisitor;

impl SecretKeyVisitor {
    fn not_a_string<E: serde::de::Error>() -> E {
        E::custom(format!(
            "must be a string naming the settings key, {} (value not shown in case it is a secret)",
            secret_key_names()
        ))
    }
}

impl<'de> serde::de::Visitor<'de> for SecretKeyVisitor {
    type Value = SecretKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a settings key name such as \"token\"")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<SecretKey, E> {
        SecretKey::parse(value).map_err(E::custom)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<SecretKey, E> {
        Err(Self::not_a_string())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<SecretKey, E> {
        Err(Self::not_a_string())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<SecretKey, E> {
        Err(Self::not_a_string())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<SecretKey, E> {
        Err(Self::not_a_string())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<SecretKey, E> {
        Err(Self::not_a_string())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<SecretKey, A::Error> {
        Err(Self::not_a_string())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<SecretKey, A::Error> {
        Err(Self::not_a_string())
    }
}

impl<'de> Deserialize<'de> for SecretKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretKeyVisitor)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn secret_key_error(value: serde_json::Value) -> String {
        attrset_de::from_tree::<SecretKey, _>(&value)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn secret_keys_are_never_quoted_back() {
        assert_eq!(SecretKey::parse("token").unwrap().as_str(), "token");
        for pasted in [
            "dGhpcyBpcyBub3QgYSByZWFsIHRva2Vu",
            "zqxw-topsecret-9f8e7d",
            "tokenzqxw",
            "pass word zqxw",
            "zqxw\u{1b}",
        ] {
            let err = secret_key_error(serde_json::json!(pasted));
            assert!(!err.contains("zqxw") && !err.contains("dGhp"), "{err}");
            assert!(err.contains("\"token\""), "{err}");
            assert!(err.contains("value not shown"), "{err}");
        }
        let err = secret_key_error(serde_json::json!("dGhpcyBpcyBub3QgYSByZWFsIHRva2Vu"));
        assert!(err.contains("passwordFile"), "{err}");
        let err = secret_key_error(serde_json::json!(987654321));
        assert!(!err.contains("987654321"), "{err}");
        assert!(err.starts_with("must be a string"), "{err}");
    }
}
