//! The mail VM's DKIM public key, from the files OpenDKIM's key generation
//! leaves on the VM: the record file (`<selector>.txt`, or the
//! `/var/lib/opendkim/<domain>.txt` copy mailplan publishes) or the private
//! key (`<selector>.private`, PKCS#1 or PKCS#8 PEM).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};

/// A DKIM public key: the base64 text of a record's `p=` tag, whitespace
/// removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimPublicKey(String);

impl DkimPublicKey {
    /// The key from the contents of a `--dkim-key` file. The error never
    /// quotes the file (it may be a private key).
    pub fn from_file_text(text: &str) -> Result<Self, String> {
        if text.contains("-----BEGIN") {
            let key = RsaPrivateKey::from_pkcs1_pem(text)
                .or_else(|_| RsaPrivateKey::from_pkcs8_pem(text))
                .map_err(|_| {
                    "it looks like a PEM file but holds no RSA private key (PKCS#1 or PKCS#8); give OpenDKIM's <selector>.private or <selector>.txt".to_string()
                })?;
            let der = key
                .to_public_key()
                .to_public_key_der()
                .map_err(|e| format!("cannot encode its public key: {e}"))?;
            return Ok(Self(STANDARD.encode(der.as_bytes())));
        }
        // A zone-file record: the quoted strings, concatenated.
        let quoted: String = text
            .split('"')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, part)| part)
            .collect();
        let record = if quoted.is_empty() { text } else { &quoted };
        Self::from_record(record).ok_or_else(|| {
            "it holds no p= public key; give OpenDKIM's <selector>.txt record file or <selector>.private key".to_string()
        })
    }

    /// The `p=` key of a DKIM record's text, if it has a non-empty one.
    pub fn from_record(record: &str) -> Option<Self> {
        record
            .split(';')
            .find_map(|tag| {
                let (name, value) = tag.split_once('=')?;
                (name.trim() == "p")
                    .then(|| Self(value.chars().filter(|c| !c.is_whitespace()).collect()))
            })
            .filter(|key| !key.0.is_empty())
    }

    /// The start and the end of the key, enough to tell two keys apart.
    pub fn abbreviated(&self) -> String {
        let key = &self.0;
        if key.len() <= 24 {
            return key.clone();
        }
        format!("{}…{}", &key[..12], &key[key.len() - 12..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD_FILE: &str = "default._domainkey\tIN\tTXT\t( \"v=DKIM1; h=sha256; k=rsa; \"\n\t  \"p=MIIBIjANBgkqh\"\n\t  \"kiG9w0BAQEFAAOC\" )  ; ----- DKIM key default for example.com\n";

    #[test]
    fn the_record_file_gives_its_key_joined() {
        let key = DkimPublicKey::from_file_text(RECORD_FILE).unwrap();
        assert_eq!(key.0, "MIIBIjANBgkqhkiG9w0BAQEFAAOC");
    }

    #[test]
    fn a_record_without_a_key_is_refused() {
        assert!(DkimPublicKey::from_file_text("\"v=DKIM1; k=rsa; p=\"").is_err());
        assert!(DkimPublicKey::from_record("v=DKIM1; k=rsa").is_none());
    }

    #[test]
    fn a_pem_that_is_no_rsa_key_is_refused_without_quoting_it() {
        let error = DkimPublicKey::from_file_text(
            "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(!error.contains("c2VjcmV0"));
    }
}
