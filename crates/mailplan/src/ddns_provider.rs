//! The ddns-updater provider table and the value types read from it
//! ([`DdnsProvider`], [`SecretKey`]): below the declaration, which reads
//! them, and below [`crate::ddns`], which validates a setup with them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::names::{Text, quoted};

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
    pub(crate) username_key: Option<&'static str>,
    /// Whether `*.zone` may be updated.
    pub(crate) wildcard: bool,
    /// The zones every updated name must lie in, for providers that serve
    /// only their own (duckdns.org).
    pub(crate) fixed_zones: &'static [&'static str],
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
pub struct DdnsProvider(pub(crate) &'static ProviderSpec);

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
