//! Errors that name the field they are about.

use std::fmt;

/// One problem with one field of the declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where, e.g. `mailRelay.port` or `users[2].relay.host`; empty for the
    /// document as a whole.
    pub path: String,
    /// What is wrong and, where it helps, how to fix it. Never contains a
    /// secret.
    pub message: String,
}

/// The longest line, in characters, an error prints. Values are quoted
/// at most [`attrset_de::QUOTED_MAX`] characters long, so only a message
/// quoting many of them comes near this.
pub const MAX_LINE: usize = 1000;

impl fmt::Display for FieldError {
    /// One line: values and unusual names are escaped where they enter a
    /// message; this last pass catches anything that slipped through and
    /// cuts the line at [`MAX_LINE`] characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = if self.path.is_empty() {
            attrset_de::printable_line(&self.message, MAX_LINE)
        } else {
            attrset_de::printable_line(&format!("{}: {}", self.path, self.message), MAX_LINE)
        };
        f.write_str(&line)
    }
}

/// Why a declaration could not be planned: one or more field errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    problems: Vec<FieldError>,
}

impl Error {
    /// An error with a single problem.
    pub fn single(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            problems: vec![FieldError {
                path: path.into(),
                message: message.into(),
            }],
        }
    }

    /// An error from a non-empty list of problems.
    pub(crate) fn from_problems(problems: Vec<FieldError>) -> Self {
        debug_assert!(!problems.is_empty());
        Self { problems }
    }

    /// Every problem found, in declaration order.
    pub fn problems(&self) -> &[FieldError] {
        &self.problems
    }

    /// Builds an error from a deserializer that tracks paths itself (such as
    /// the Nix value bridge): `path` like `users[0].name`, empty for the
    /// whole declaration, and serde's message.
    pub fn from_field(path: String, message: String) -> Self {
        let (path, message) = refine_serde_message(path, message);
        Self::single(path, message)
    }
}

/// Moves the field named in serde's "missing field"/"unknown field"
/// messages into the path, so every error reads `path: what to do`.
///
/// attrset-de's unknown-field message leaves the name out, because its
/// path already ends with it; serde's own wording names it in backticks,
/// and that name is joined to the path like any other attribute name.
fn refine_serde_message(path: String, message: String) -> (String, String) {
    let join = |field: &str| {
        let mut segment = attrset_de::TreePath::new();
        segment.push_attr(field);
        let segment = segment.to_string();
        if path.is_empty() {
            segment
        } else if path == segment || path.ends_with(&format!(".{segment}")) {
            path.clone()
        } else {
            format!("{path}.{segment}")
        }
    };
    let field_in_backticks = |rest: &str| rest.split('`').next().map(str::to_string);
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(field_in_backticks)
    {
        return (join(&field), "is required but missing".to_string());
    }
    if let Some(expected) = message.strip_prefix("unknown field, expected ") {
        return (
            path,
            format!("is not a known attribute (a typo?); expected {expected}"),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some(field) = field_in_backticks(rest)
    {
        let expected = rest
            .rsplit_once(", expected ")
            .map(|(_, e)| format!("; expected {e}"))
            .unwrap_or_default();
        return (
            join(&field),
            format!("is not a known attribute (a typo?){expected}"),
        );
    }
    (path, message)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            problem.fmt(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_field_messages_move_into_the_path() {
        assert_eq!(
            refine_serde_message("mailRelay".into(), "missing field `host`".into()),
            ("mailRelay.host".into(), "is required but missing".into())
        );
        let (path, message) = refine_serde_message(
            String::new(),
            "unknown field `publicIp`, expected one of `name`, `domain`".into(),
        );
        assert_eq!(path, "publicIp");
        let (path, _) = refine_serde_message(
            "mailRelay.hots".into(),
            "unknown field `hots`, expected `host`".into(),
        );
        assert_eq!(path, "mailRelay.hots");
        assert!(message.contains("expected one of `name`"));
    }

    #[test]
    fn serde_field_names_are_quoted_when_joined() {
        let (path, _) = refine_serde_message(
            "spf".into(),
            "unknown field `bad\nkey`, expected `extra` or `all`".into(),
        );
        assert_eq!(path, "spf.\"bad\\nkey\"");
        let (path, message) = refine_serde_message(
            "spf.\"bad\\nkey\"".into(),
            "unknown field, expected `extra` or `all`".into(),
        );
        assert_eq!(path, "spf.\"bad\\nkey\"");
        assert_eq!(
            message,
            "is not a known attribute (a typo?); expected `extra` or `all`"
        );
    }

    #[test]
    fn display_is_one_bounded_line() {
        let e = Error::single("a", format!("x\ny\u{202e}{}", "z".repeat(5000)));
        let shown = e.to_string();
        assert_eq!(shown.lines().count(), 1, "{shown}");
        assert!(!shown.contains('\u{202e}'));
        assert_eq!(shown.chars().count(), MAX_LINE + 1);
    }

    #[test]
    fn display_lists_every_problem() {
        let e = Error::from_problems(vec![
            FieldError {
                path: "a".into(),
                message: "x".into(),
            },
            FieldError {
                path: String::new(),
                message: "y".into(),
            },
        ]);
        assert_eq!(e.to_string(), "a: x\ny");
    }
}
