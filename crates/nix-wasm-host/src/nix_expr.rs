//! Printing values as Nix expressions that evaluate back to them.

use crate::HostError;
use crate::value::{MAX_CALL_DEPTH, NixString, NixValue};

/// The text of a string, path or name, which a printed expression needs
/// as UTF-8 (Nix strings may hold other bytes, but this printer writes
/// text).
fn text(value: &NixString) -> Result<&str, HostError> {
    value.to_str().ok_or_else(|| {
        HostError::NotRepresentable(format!(
            "{} (not UTF-8) as a printed Nix expression",
            quote(&value.to_string_lossy())
        ))
    })
}

/// Words the Nix lexer reserves, which cannot be bare attribute names.
const KEYWORDS: [&str; 10] = [
    "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or",
];

/// Quotes text as a Nix string literal.
///
/// `\`, `"` and `${` (which would start an interpolation) are escaped, as
/// are newline, carriage return and tab. Everything else, including
/// other control characters and non-ASCII text, stands for itself inside
/// a Nix string. Nix strings cannot hold NUL bytes, so callers that may
/// pass one should use [`to_nix_expr`], which refuses it.
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

fn string_literal(text: &str) -> Result<String, HostError> {
    if text.contains('\0') {
        return Err(HostError::NotRepresentable(
            "a string containing a NUL byte".into(),
        ));
    }
    Ok(quote(text))
}

/// True when `name` is a Nix identifier (`[a-zA-Z_][a-zA-Z0-9_'-]*`, not a
/// keyword), so it can be written without quotes as an attribute name.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_'-".contains(c))
        && !KEYWORDS.contains(&name)
}

/// The path as a Nix path literal, if one reads back as the same path:
/// the lexer accepts `[a-zA-Z0-9._+-]` in segments, and the evaluator
/// resolves `.` and `..`, so only canonical paths of those characters
/// qualify. The root is written `/.`.
fn path_literal(path: &str) -> Option<String> {
    if path == "/" {
        return Some("/.".into());
    }
    let rest = path.strip_prefix('/')?;
    let canonical_segments = rest.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
    });
    canonical_segments.then(|| path.to_string())
}

fn int_literal(i: i64) -> String {
    match i {
        // 9223372036854775808 is not a valid Nix integer literal.
        i64::MIN => "(-9223372036854775807 - 1)".into(),
        i if i < 0 => format!("({i})"),
        i => i.to_string(),
    }
}

fn float_literal(x: f64) -> Result<String, HostError> {
    if !x.is_finite() {
        return Err(HostError::NotRepresentable(format!("the float {x}")));
    }
    if x.is_subnormal() {
        // The lexer's strtod reports underflow for these and Nix refuses
        // the literal.
        return Err(HostError::NotRepresentable(format!(
            "the subnormal float {x:e}"
        )));
    }
    if x == 0.0 && x.is_sign_negative() {
        // `-0.0` would evaluate to `0 - 0.0`, which is +0.0.
        return Ok("(-1.0 * 0.0)".into());
    }
    // Rust's shortest round-trip form; the lexer needs a `.` before any
    // exponent to read a float (`1e20` is not a float literal, `1.0e20` is).
    let mut text = format!("{x:?}");
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

/// Renders a value as a Nix expression that evaluates to it, forcing every
/// thunk.
///
/// Strings and non-identifier attribute names are quoted and escaped,
/// attribute sets are printed with names in lexicographic order (stable
/// output), floats always read back as floats. Functions, NaN,
/// infinities, subnormal floats, strings with NUL bytes, paths that are
/// not plain canonical path literals have no form here and are errors, as
/// is a thunk that fails; values nested deeper than [`MAX_CALL_DEPTH`]
/// fail as Nix's printing does ("stack overflow; max-call-depth
/// exceeded").
pub fn to_nix_expr(value: &NixValue) -> Result<String, HostError> {
    let mut out = String::new();
    write_expr(value, 0, &mut out)?;
    Ok(out)
}

fn write_expr(value: &NixValue, depth: usize, out: &mut String) -> Result<(), HostError> {
    if depth > MAX_CALL_DEPTH {
        return Err(HostError::TooDeep);
    }
    match &*value.whnf().map_err(HostError::Evaluation)? {
        NixValue::Int(i) => out.push_str(&int_literal(*i)),
        NixValue::Float(x) => out.push_str(&float_literal(*x)?),
        NixValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        NixValue::String(s) => out.push_str(&string_literal(text(s)?)?),
        NixValue::Path(p) => match path_literal(text(p)?) {
            Some(literal) => out.push_str(&literal),
            None => {
                return Err(HostError::NotRepresentable(format!(
                    "the path {} (not a canonical path literal)",
                    quote(text(p)?)
                )));
            }
        },
        NixValue::Null => out.push_str("null"),
        NixValue::List(items) => {
            out.push('[');
            for item in items.iter() {
                out.push(' ');
                write_expr(item, depth + 1, out)?;
            }
            out.push_str(" ]");
        }
        NixValue::Attrs(attrs) => {
            // A name the plugin repeated: the value a lookup finds, as a
            // Nix expression cannot repeat a name.
            let mut entries: Vec<_> = attrs.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            entries.dedup_by(|later, earlier| later.0 == earlier.0);
            let entries: Vec<_> = entries
                .into_iter()
                .map(|(name, _)| (name, attrs.get(name).expect("the name is in the set")))
                .collect();
            out.push('{');
            for (name, value) in entries {
                out.push(' ');
                let name = text(name)?;
                if is_identifier(name) {
                    out.push_str(name);
                } else {
                    out.push_str(&string_literal(name)?);
                }
                out.push_str(" = ");
                write_expr(value, depth + 1, out)?;
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
        NixValue::Thunk(_) => unreachable!("whnf() evaluates thunks"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(value: NixValue) -> String {
        to_nix_expr(&value).unwrap()
    }

    #[test]
    fn strings_escape_what_nix_interprets() {
        assert_eq!(quote("plain"), r#""plain""#);
        assert_eq!(quote(""), r#""""#);
        assert_eq!(quote(r#"a"b"#), r#""a\"b""#);
        assert_eq!(quote(r"back\slash\"), r#""back\\slash\\""#);
        assert_eq!(quote("${x}"), r#""\${x}""#);
        assert_eq!(quote("$${x}"), r#""$\${x}""#);
        assert_eq!(quote("$x and $ and {"), r#""$x and $ and {""#);
        assert_eq!(quote(r"\${x}"), r#""\\\${x}""#);
        assert_eq!(quote("line\nnext\ttab\r"), r#""line\nnext\ttab\r""#);
        assert_eq!(quote("grüße ✓ 🦀"), "\"grüße ✓ 🦀\"");
        assert_eq!(quote("''"), r#""''""#);
    }

    #[test]
    fn nul_bytes_have_no_nix_form() {
        assert!(to_nix_expr(&NixValue::string("a\0b")).is_err());
        assert!(to_nix_expr(&NixValue::attrs([("a\0", NixValue::Null)]).unwrap()).is_err());
    }

    #[test]
    fn attribute_names_are_quoted_when_needed() {
        let value = NixValue::attrs([
            ("plain", NixValue::Int(1)),
            ("with-dash_and'quote", NixValue::Int(2)),
            ("in", NixValue::Int(3)),
            ("a b", NixValue::Int(4)),
            ("1st", NixValue::Int(5)),
            ("${x}", NixValue::Int(6)),
            ("", NixValue::Int(7)),
            ("or", NixValue::Int(8)),
            ("_", NixValue::Int(9)),
            ("ifx", NixValue::Int(10)),
            ("-x", NixValue::Int(11)),
            ("a.b", NixValue::Int(12)),
            ("é", NixValue::Int(13)),
            ("q\"\n", NixValue::Int(14)),
        ])
        .unwrap();
        assert_eq!(
            expr(value),
            r#"{ "" = 7; "\${x}" = 6; "-x" = 11; "1st" = 5; _ = 9; "a b" = 4; "a.b" = 12; ifx = 10; "in" = 3; "or" = 8; plain = 1; "q\"\n" = 14; with-dash_and'quote = 2; "é" = 13; }"#
        );
    }

    #[test]
    fn every_keyword_is_quoted() {
        for keyword in KEYWORDS {
            let value = NixValue::attrs([(keyword, NixValue::Null)]).unwrap();
            assert_eq!(expr(value), format!("{{ \"{keyword}\" = null; }}"));
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(expr(NixValue::Int(0)), "0");
        assert_eq!(expr(NixValue::Int(-3)), "(-3)");
        assert_eq!(expr(NixValue::Int(i64::MAX)), "9223372036854775807");
        assert_eq!(expr(NixValue::Int(i64::MIN)), "(-9223372036854775807 - 1)");
        assert_eq!(expr(NixValue::Float(1.0)), "1.0");
        assert_eq!(expr(NixValue::Float(0.0)), "0.0");
        assert_eq!(expr(NixValue::Float(-0.0)), "(-1.0 * 0.0)");
        assert_eq!(expr(NixValue::Float(0.1)), "0.1");
        assert_eq!(expr(NixValue::Float(-2.5e-9)), "(-2.5e-9)");
        assert_eq!(expr(NixValue::Float(1e20)), "1.0e20");
        assert_eq!(expr(NixValue::Float(f64::MAX)), "1.7976931348623157e308");
        assert_eq!(
            expr(NixValue::Float(f64::MIN_POSITIVE)),
            "2.2250738585072014e-308"
        );
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 5e-324] {
            assert!(to_nix_expr(&NixValue::Float(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(
            expr(NixValue::Path("/nix/store/abc-x+1.2_3".into())),
            "/nix/store/abc-x+1.2_3"
        );
        assert_eq!(expr(NixValue::Path("/".into())), "/.");
        for bad in [
            "/a b", "/a/", "//a", "/a/../b", "/a/./b", "relative", "", "/a\"b", "/${x}",
        ] {
            assert!(to_nix_expr(&NixValue::Path(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn lists_sets_and_nesting() {
        let value = NixValue::list(vec![
            NixValue::Bool(true),
            NixValue::Bool(false),
            NixValue::Null,
            NixValue::list(vec![]),
            NixValue::attrs(Vec::<(String, NixValue)>::new()).unwrap(),
            NixValue::attrs([(
                "x",
                NixValue::list(vec![NixValue::string("a"), NixValue::Int(-1)]),
            )])
            .unwrap(),
        ]);
        assert_eq!(
            expr(value),
            r#"[ true false null [ ] { } { x = [ "a" (-1) ]; } ]"#
        );
        crate::value::tests::on_a_deep_stack(|| {
            let deep = (0..=MAX_CALL_DEPTH).fold(NixValue::Null, |v, _| NixValue::list(vec![v]));
            assert_eq!(to_nix_expr(&deep).unwrap_err(), HostError::TooDeep);
        });
    }

    #[test]
    fn thunks_are_forced_and_their_errors_reported() {
        let value = NixValue::list(vec![NixValue::lazy(|| Ok(NixValue::Int(2)))]);
        assert_eq!(expr(value), "[ 2 ]");
        let value = NixValue::attrs([("x", NixValue::throw("nope"))]).unwrap();
        assert_eq!(to_nix_expr(&value).unwrap_err().to_string(), "nope");
        let f = NixValue::function("f", |_| Ok(NixValue::Null));
        assert_eq!(
            to_nix_expr(&f).unwrap_err().to_string(),
            "the function f cannot be represented"
        );
    }
}
