//! Printing values as Nix expressions that evaluate back to them.

use crate::HostError;
use crate::value::NixValue;

/// Nix keywords, which cannot be bare attribute names.
const KEYWORDS: [&str; 10] = [
    "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or",
];

/// Quotes text as a Nix string literal: escapes `\`, `"`, `${` (which
/// would start an interpolation) and the control characters Nix has
/// escapes for. Other characters, including other control characters and
/// non-ASCII text, are valid inside a Nix string as they are.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True when `name` can be written without quotes as an attribute name.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_'-".contains(c))
        && !KEYWORDS.contains(&name)
}

/// True for path text that Nix reads back as a path literal.
fn is_path_literal(path: &str) -> bool {
    path.starts_with('/')
        && path.len() > 1
        && !path.ends_with('/')
        && !path.contains("//")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
}

fn float_literal(x: f64) -> Result<String, HostError> {
    if !x.is_finite() {
        return Err(HostError::NotRepresentable(format!("the float {x}")));
    }
    let mut text = format!("{x:?}");
    // Nix float literals need a `.` (`1e20` would not parse as a float).
    if !text.contains('.') {
        let at = text.find('e').unwrap_or(text.len());
        text.insert_str(at, ".0");
    }
    Ok(if text.starts_with('-') {
        format!("({text})")
    } else {
        text
    })
}

/// Renders a value, forcing every thunk, as a Nix expression. Attribute
/// sets are printed with their names sorted, so output is stable.
pub fn to_nix_expr(value: &NixValue) -> Result<String, HostError> {
    let mut out = String::new();
    write_expr(value, &mut out)?;
    Ok(out)
}

fn write_expr(value: &NixValue, out: &mut String) -> Result<(), HostError> {
    match value.force().map_err(HostError::Evaluation)? {
        NixValue::Int(i) if i < 0 => out.push_str(&format!("({i})")),
        NixValue::Int(i) => out.push_str(&i.to_string()),
        NixValue::Float(x) => out.push_str(&float_literal(x)?),
        NixValue::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        NixValue::String(s) => out.push_str(&quote(&s)),
        NixValue::Path(p) if is_path_literal(&p) => out.push_str(&p),
        NixValue::Path(p) => {
            return Err(HostError::NotRepresentable(format!(
                "the path {} (not a plain path literal)",
                quote(&p)
            )));
        }
        NixValue::Null => out.push_str("null"),
        NixValue::List(items) => {
            out.push('[');
            for item in items.iter() {
                out.push(' ');
                write_expr(item, out)?;
            }
            out.push_str(" ]");
        }
        NixValue::Attrs(attrs) => {
            let mut entries: Vec<_> = attrs.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (name, value) in entries {
                out.push(' ');
                if is_identifier(name) {
                    out.push_str(name);
                } else {
                    out.push_str(&quote(name));
                }
                out.push_str(" = ");
                write_expr(value, out)?;
                out.push(';');
            }
            out.push_str(" }");
        }
        NixValue::Function(f) => {
            return Err(HostError::NotRepresentable(format!(
                "the function {}",
                f.name()
            )));
        }
        NixValue::Thunk(_) => unreachable!("force() evaluates thunks"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_what_nix_interprets() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        assert_eq!(quote("back\\slash"), "\"back\\\\slash\"");
        assert_eq!(quote("${x}"), "\"\\${x}\"");
        assert_eq!(quote("$x and $"), "\"$x and $\"");
        assert_eq!(quote("line\nnext\ttab\r"), "\"line\\nnext\\ttab\\r\"");
        assert_eq!(quote("grüße ✓"), "\"grüße ✓\"");
    }

    #[test]
    fn attribute_names_are_quoted_when_needed() {
        let value = NixValue::attrs([
            ("plain", NixValue::Int(1)),
            ("with-dash", NixValue::Int(2)),
            ("in", NixValue::Int(3)),
            ("a b", NixValue::Int(4)),
            ("1st", NixValue::Int(5)),
            ("${x}", NixValue::Int(6)),
            ("", NixValue::Int(7)),
        ])
        .unwrap();
        assert_eq!(
            to_nix_expr(&value).unwrap(),
            "{ \"\" = 7; \"${x}\" = 6; \"1st\" = 5; \"a b\" = 4; \"in\" = 3; plain = 1; with-dash = 2; }"
                .replace("\"${x}\"", "\"\\${x}\"")
        );
    }

    #[test]
    fn numbers_lists_and_paths() {
        let value = NixValue::list(vec![
            NixValue::Int(-3),
            NixValue::Float(1.0),
            NixValue::Float(-2.5e-9),
            NixValue::Float(1e20),
            NixValue::Bool(true),
            NixValue::Null,
            NixValue::Path("/nix/store/abc-x".into()),
            NixValue::list(vec![]),
        ]);
        assert_eq!(
            to_nix_expr(&value).unwrap(),
            "[ (-3) 1.0 (-2.5e-9) 1.0e20 true null /nix/store/abc-x [ ] ]"
        );
        assert!(to_nix_expr(&NixValue::Float(f64::NAN)).is_err());
        assert!(to_nix_expr(&NixValue::Path("/a b".into())).is_err());
    }

    #[test]
    fn thunks_are_forced_and_their_errors_reported() {
        let value = NixValue::attrs([("x", NixValue::throw("nope"))]).unwrap();
        assert!(
            to_nix_expr(&value)
                .unwrap_err()
                .to_string()
                .contains("nope")
        );
    }
}
