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

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
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
fn refine_serde_message(path: String, message: String) -> (String, String) {
    let join = |field: &str| {
        if path.is_empty() {
            field.to_string()
        } else if path == field || path.ends_with(&format!(".{field}")) {
            path.clone()
        } else {
            format!("{path}.{field}")
        }
    };
    let field_in_backticks = |rest: &str| rest.split('`').next().map(str::to_string);
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(field_in_backticks)
    {
        return (join(&field), "is required but missing".to_string());
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some(field) = field_in_backticks(rest)
    {
        let expected = rest
            .split_once(", expected ")
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
