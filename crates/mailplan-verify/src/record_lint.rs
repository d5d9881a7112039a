//! A tag-level look at DKIM and DMARC records, for the common mistakes
//! mail-auth's parsers reject (or accept) without saying which tag is
//! wrong. mail-auth stays the validator; this only names the problem.

/// The `tag=value` entries of a record, in order: the name lowercase and
/// trimmed, the value trimmed (`None` for an entry without `=`).
fn tags(record: &str) -> Vec<(String, Option<String>)> {
    record
        .split(';')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.split_once('=') {
            Some((name, value)) => (
                name.trim().to_ascii_lowercase(),
                Some(value.trim().to_string()),
            ),
            None => (entry.to_ascii_lowercase(), None),
        })
        .collect()
}

/// A value as the report quotes it: at most 40 characters.
fn shown(value: &str) -> String {
    if value.chars().count() <= 40 {
        value.to_string()
    } else {
        format!("{}…", value.chars().take(40).collect::<String>())
    }
}

/// The first problem every tag-value record has in common: an entry that
/// is no `tag=value`, or a tag given twice.
fn shape_problem(tags: &[(String, Option<String>)]) -> Option<String> {
    for (index, (name, value)) in tags.iter().enumerate() {
        if value.is_none() {
            return Some(format!(
                "\"{}\" is not a tag=value pair (a missing `=` or a stray `;`)",
                shown(name)
            ));
        }
        if tags[..index].iter().any(|(earlier, _)| earlier == name) {
            return Some(format!(
                "the {name}= tag appears twice, which makes the record invalid"
            ));
        }
    }
    None
}

/// What is wrong with a DKIM key record (RFC 6376 §3.6.1), when one of
/// the common mistakes is there.
pub fn dkim_problem(record: &str) -> Option<String> {
    let tags = tags(record);
    if let Some(problem) = shape_problem(&tags) {
        return Some(problem);
    }
    let value = |tag: &str| {
        tags.iter()
            .find(|(name, _)| name == tag)
            .and_then(|(_, value)| value.as_deref())
    };
    if let Some(index) = tags.iter().position(|(name, _)| name == "v") {
        let version = value("v").unwrap_or("");
        if !version.eq_ignore_ascii_case("DKIM1") {
            return Some(format!("v={} must be v=DKIM1", shown(version)));
        }
        if index != 0 {
            return Some("v=DKIM1 must be the first tag when it is there".to_string());
        }
    }
    if let Some(kind) = value("k")
        && !kind.eq_ignore_ascii_case("rsa")
        && !kind.eq_ignore_ascii_case("ed25519")
    {
        return Some(format!(
            "k={} is not a key type receivers know (rsa or ed25519)",
            shown(kind)
        ));
    }
    if let Some(hashes) = value("h")
        && let Some(unknown) = hashes
            .split(':')
            .map(str::trim)
            .find(|h| !h.eq_ignore_ascii_case("sha256") && !h.eq_ignore_ascii_case("sha1"))
    {
        return Some(format!(
            "h= lists {}, which is no hash algorithm (sha256)",
            shown(unknown)
        ));
    }
    let Some(key) = value("p") else {
        return Some("the p= tag (the public key) is missing".to_string());
    };
    let key: String = key.chars().filter(|c| !c.is_whitespace()).collect();
    if key.is_empty() {
        return Some("p= is empty, which means the key was revoked (RFC 6376 §3.6.1)".to_string());
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
    {
        return Some(format!(
            "p= is not base64: it holds {bad:?} (often a quote or a backslash left in at the registrar)"
        ));
    }
    None
}

/// Why mail-auth refused a DKIM record, when [`dkim_problem`] found no
/// common mistake: its error, said plainly.
pub fn dkim_parse_error(error: &mail_auth::Error) -> String {
    match error {
        mail_auth::Error::Crypto(_) | mail_auth::Error::Base64 => {
            "p= does not hold a valid public key (often cut short, or split wrongly into quoted strings at the registrar)".to_string()
        }
        mail_auth::Error::Dkim(mail_auth::dkim::DkimError::UnsupportedKeyType) => {
            "k= names a key type receivers do not know (rsa or ed25519)".to_string()
        }
        other => format!("mail-auth cannot read it ({other})"),
    }
}

const POLICIES: [&str; 3] = ["none", "quarantine", "reject"];

/// What is wrong with a DMARC record (RFC 7489 §6.3), when one of the
/// common mistakes is there. Run it whatever mail-auth says: mail-auth
/// accepts a record without `p=`.
pub fn dmarc_problem(record: &str) -> Option<String> {
    let tags = tags(record);
    match tags.first() {
        Some((name, Some(version))) if name == "v" && version.eq_ignore_ascii_case("DMARC1") => {}
        _ if tags.iter().any(|(name, value)| {
            name == "v"
                && value
                    .as_deref()
                    .is_some_and(|v| v.eq_ignore_ascii_case("DMARC1"))
        }) =>
        {
            return Some(
                "v=DMARC1 must be the first tag, or receivers ignore the record".to_string(),
            );
        }
        _ => return Some("the record must begin with v=DMARC1".to_string()),
    }
    if let Some(problem) = shape_problem(&tags) {
        return Some(problem);
    }
    let value = |tag: &str| {
        tags.iter()
            .find(|(name, _)| name == tag)
            .and_then(|(_, value)| value.as_deref())
    };
    match value("p") {
        None => {
            return Some(
                "the p= tag (the policy) is missing; it belongs right after v=DMARC1".to_string(),
            );
        }
        Some(policy) if !POLICIES.iter().any(|p| p.eq_ignore_ascii_case(policy)) => {
            return Some(format!(
                "p={} is not a policy (none, quarantine or reject)",
                shown(policy)
            ));
        }
        _ => {}
    }
    for tag in ["sp", "np"] {
        if let Some(policy) = value(tag)
            && !POLICIES.iter().any(|p| p.eq_ignore_ascii_case(policy))
        {
            return Some(format!(
                "{tag}={} is not a policy (none, quarantine or reject)",
                shown(policy)
            ));
        }
    }
    for tag in ["adkim", "aspf"] {
        if let Some(mode) = value(tag)
            && !mode.eq_ignore_ascii_case("r")
            && !mode.eq_ignore_ascii_case("s")
        {
            return Some(format!(
                "{tag}={} must be r (relaxed) or s (strict)",
                shown(mode)
            ));
        }
    }
    if let Some(pct) = value("pct")
        && !pct.parse::<u8>().is_ok_and(|p| p <= 100)
    {
        return Some(format!("pct={} must be a number from 0 to 100", shown(pct)));
    }
    for tag in ["rua", "ruf"] {
        if let Some(uris) = value(tag)
            && let Some(bad) = uris
                .split(',')
                .map(str::trim)
                .find(|uri| !uri.to_ascii_lowercase().starts_with("mailto:") || !uri.contains('@'))
        {
            return Some(format!(
                "{tag}= holds {}, which is not a mailto: address (write {tag}=mailto:reports@example.com)",
                shown(bad)
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dkim_mistakes_are_named_by_tag() {
        assert_eq!(dkim_problem("v=DKIM1; k=rsa; p=MIIBIjAN"), None);
        assert_eq!(dkim_problem("k=rsa; p=MIIBIjAN"), None);
        assert!(
            dkim_problem("k=rsa; v=DKIM1; p=MIIB")
                .unwrap()
                .contains("first")
        );
        assert!(dkim_problem("v=DKIM1; k=rsa").unwrap().contains("p= tag"));
        assert!(dkim_problem("v=DKIM1; p=").unwrap().contains("revoked"));
        assert!(
            dkim_problem("v=DKIM1; k=dsa; p=MIIB")
                .unwrap()
                .contains("k=dsa")
        );
        assert!(
            dkim_problem("v=DKIM1; p=MII\"B")
                .unwrap()
                .contains("base64")
        );
        assert!(
            dkim_problem("v=DKIM1; p=MIIB; p=MIIC")
                .unwrap()
                .contains("twice")
        );
        assert!(
            dkim_problem("v=DKIM1 k=rsa; p=MIIB")
                .unwrap()
                .contains("v=DKIM1 k=rsa")
        );
    }

    #[test]
    fn odd_records_never_panic_and_quote_at_most_40_characters() {
        let long = "x".repeat(5000);
        for record in [
            "",
            ";",
            "=",
            ";;=;;",
            "v=",
            "p",
            "v=DKIM1;;;p=",
            "v=DMARC1",
            "v=DMARC1; p=ü",
            "ü=ü; p=🙂",
            "v=DMARC1; pct=-1; rua=mailto:",
            &format!("v=DMARC1; p={long}"),
            &format!("v=DKIM1; k={long}; p=AAAA"),
        ] {
            for problem in [dkim_problem(record), dmarc_problem(record)]
                .into_iter()
                .flatten()
            {
                assert!(problem.chars().count() < 200, "{problem}");
            }
        }
    }

    #[test]
    fn dmarc_mistakes_are_named_by_tag() {
        assert_eq!(
            dmarc_problem("v=DMARC1; p=quarantine; rua=mailto:postmaster@example.com"),
            None
        );
        assert!(
            dmarc_problem("v=DMARC1; rua=mailto:a@example.com")
                .unwrap()
                .contains("p= tag")
        );
        assert!(
            dmarc_problem("p=reject; v=DMARC1")
                .unwrap()
                .contains("first")
        );
        assert!(
            dmarc_problem("v=DMARC1; p=quarantaine")
                .unwrap()
                .contains("p=quarantaine")
        );
        assert!(
            dmarc_problem("v=DMARC1; p=none; sp=block")
                .unwrap()
                .contains("sp=block")
        );
        assert!(
            dmarc_problem("v=DMARC1; p=none; pct=150")
                .unwrap()
                .contains("pct=150")
        );
        assert!(
            dmarc_problem("v=DMARC1; p=none; rua=reports@example.com")
                .unwrap()
                .contains("mailto:")
        );
        assert!(
            dmarc_problem("v=DMARC1; p=none; adkim=x")
                .unwrap()
                .contains("adkim=x")
        );
    }
}
