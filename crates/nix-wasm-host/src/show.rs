//! Values as Nix shows them in error messages: nix-src v3.22.2's
//! `Printer` (src/libexpr/print.cc) with `errorPrintOptions` (no forcing,
//! depth 10, 10 attributes, 10 list items, strings of 1024 bytes), without
//! the colours.

use crate::value::{NixString, NixValue, Thunk};

const MAX_DEPTH: usize = 10;
const MAX_ATTRS: usize = 10;
const MAX_LIST_ITEMS: usize = 10;
const MAX_STRING_LENGTH: usize = 1024;

/// `value` as Nix prints it in "expected … but found …: <value>".
pub(crate) fn show(value: &NixValue) -> String {
    let mut printer = Printer::default();
    printer.print(value, 0);
    printer.output
}

#[derive(Default)]
struct Printer {
    output: String,
    attrs_printed: usize,
    items_printed: usize,
}

/// `«1 item elided»`, `«3 attributes elided»`.
fn elided(count: usize, single: &str, plural: &str) -> String {
    format!(
        "«{count} {} elided»",
        if count == 1 { single } else { plural }
    )
}

/// A string literal as printLiteralString writes it, cut after `max`
/// bytes.
fn literal_string(text: &[u8], max: usize) -> String {
    let mut out = String::from("\"");
    let mut bytes = Vec::new();
    for (i, byte) in text.iter().enumerate() {
        if i >= max {
            out.push_str(&String::from_utf8_lossy(&bytes));
            out.push_str("\" ");
            out.push_str(&elided(text.len() - i, "byte", "bytes"));
            return out;
        }
        match byte {
            b'"' | b'\\' => bytes.extend_from_slice(&[b'\\', *byte]),
            b'\n' => bytes.extend_from_slice(b"\\n"),
            b'\r' => bytes.extend_from_slice(b"\\r"),
            b'\t' => bytes.extend_from_slice(b"\\t"),
            b'$' if text.get(i + 1) == Some(&b'{') => bytes.extend_from_slice(b"\\$"),
            other => bytes.push(*other),
        }
    }
    out.push_str(&String::from_utf8_lossy(&bytes));
    out.push('"');
    out
}

const KEYWORDS: [&str; 9] = [
    "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit",
];

/// printAttributeName: bare when a variable name, quoted otherwise.
fn attribute_name(name: &NixString) -> String {
    let bytes = name.as_bytes();
    let bare = matches!(bytes.first(), Some(c) if c.is_ascii_alphabetic() || *c == b'_')
        && bytes
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_-'".contains(c))
        && !KEYWORDS.iter().any(|k| k.as_bytes() == bytes);
    if bare {
        name.to_string_lossy().into_owned()
    } else {
        literal_string(bytes, usize::MAX)
    }
}

/// C++'s default `ostream << double`: `%g` with 6 significant digits.
fn float(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let exponent = format!("{x:.5e}")
        .split_once('e')
        .and_then(|(_, e)| e.parse::<i32>().ok())
        .unwrap_or(0);
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..6).contains(&exponent) {
        let text = format!("{x:.5e}");
        let (mantissa, _) = text.split_once('e').unwrap_or((&text, ""));
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa.to_string()), exponent.abs())
    } else {
        let decimals = usize::try_from(5 - exponent).unwrap_or(0);
        trim(format!("{x:.decimals$}"))
    }
}

impl Printer {
    fn print(&mut self, value: &NixValue, depth: usize) {
        match value {
            NixValue::Int(n) => self.output.push_str(&n.to_string()),
            NixValue::Float(x) => self.output.push_str(&float(*x)),
            NixValue::Bool(b) => self.output.push_str(if *b { "true" } else { "false" }),
            NixValue::String(s) => self
                .output
                .push_str(&literal_string(s.as_bytes(), MAX_STRING_LENGTH)),
            NixValue::Path(p) => self.output.push_str(&p.to_string_lossy()),
            NixValue::Null => self.output.push_str("null"),
            NixValue::Function(f) => self.output.push_str(&format!("«primop {}»", f.name())),
            NixValue::Thunk(thunk) => self.output.push_str(thunk_state(thunk)),
            NixValue::List(items) => {
                if depth >= MAX_DEPTH {
                    self.output.push_str("[ ... ]");
                    return;
                }
                self.output.push('[');
                for (i, item) in items.iter().enumerate() {
                    self.output.push(' ');
                    if self.items_printed >= MAX_LIST_ITEMS {
                        self.output
                            .push_str(&elided(items.len() - i, "item", "items"));
                        break;
                    }
                    self.print(item, depth + 1);
                    self.items_printed += 1;
                }
                self.output.push_str(" ]");
            }
            NixValue::Attrs(attrs) => {
                if depth >= MAX_DEPTH {
                    self.output.push_str("{ ... }");
                    return;
                }
                let mut sorted: Vec<(&NixString, &NixValue)> = attrs.iter().collect();
                // `type` and `_type` first, then by name.
                sorted.sort_by_key(|(name, _)| {
                    (!matches!(name.as_bytes(), b"type" | b"_type"), *name)
                });
                self.output.push('{');
                for (i, (name, value)) in sorted.iter().enumerate() {
                    self.output.push(' ');
                    if self.attrs_printed >= MAX_ATTRS {
                        self.output
                            .push_str(&elided(sorted.len() - i, "attribute", "attributes"));
                        break;
                    }
                    self.output.push_str(&attribute_name(name));
                    self.output.push_str(" = ");
                    self.print(value, depth + 1);
                    self.output.push(';');
                    self.attrs_printed += 1;
                }
                self.output.push_str(" }");
            }
        }
    }
}

/// A value not forced: `«thunk»`, or `«failed»` once it failed.
fn thunk_state(thunk: &Thunk) -> &'static str {
    if thunk.has_failed() {
        "«failed»"
    } else {
        "«thunk»"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_as_nix_prints_them() {
        assert_eq!(show(&NixValue::Int(-3)), "-3");
        assert_eq!(show(&NixValue::Float(2.5)), "2.5");
        assert_eq!(show(&NixValue::Float(0.1)), "0.1");
        assert_eq!(show(&NixValue::Float(1.23456789)), "1.23457");
        assert_eq!(show(&NixValue::Float(1e20)), "1e+20");
        assert_eq!(show(&NixValue::Float(123456.0)), "123456");
        assert_eq!(show(&NixValue::Float(1234567.0)), "1.23457e+06");
        assert_eq!(show(&NixValue::Float(0.00001)), "1e-05");
        assert_eq!(show(&NixValue::Bool(true)), "true");
        assert_eq!(show(&NixValue::Null), "null");
        assert_eq!(
            show(&NixValue::string("a \"b\"\n${c} $d")),
            r#""a \"b\"\n\${c} $d""#
        );
        assert_eq!(show(&NixValue::Path("/a/b".into())), "/a/b");
    }

    #[test]
    fn long_strings_and_containers_are_cut_as_in_error_messages() {
        let long = "x".repeat(1030);
        assert_eq!(
            show(&NixValue::string(long)),
            format!("\"{}\" «6 bytes elided»", "x".repeat(1024))
        );
        let list = NixValue::list((0..12).map(NixValue::Int).collect());
        assert_eq!(show(&list), "[ 0 1 2 3 4 5 6 7 8 9 «2 items elided» ]");
        let set = NixValue::attrs([
            ("b", NixValue::Int(1)),
            ("type", NixValue::string("t")),
            ("a b", NixValue::list(vec![])),
            ("if", NixValue::lazy(|| Ok(NixValue::Null))),
        ])
        .unwrap();
        assert_eq!(
            show(&set),
            r#"{ type = "t"; "a b" = [ ]; b = 1; "if" = «thunk»; }"#
        );
        let deep = (0..12).fold(NixValue::Null, |inner, _| NixValue::list(vec![inner]));
        assert_eq!(
            show(&deep),
            "[ [ [ [ [ [ [ [ [ [ [ ... ] ] ] ] ] ] ] ] ] ] ]"
        );
    }
}
