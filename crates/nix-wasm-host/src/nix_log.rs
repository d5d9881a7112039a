//! How Nix prints errors and warnings on a terminal that is not one (a
//! file, a pipe): the layout of `showErrorInfo` and the filter of
//! `filterANSIEscapes` (Determinate Nix 3.22.2, `src/libutil/error.cc`
//! and `terminal.cc`), for [`crate::CallReport::nix_error`] and the
//! runner.
//!
//! Source positions are never known here, so no `at …` lines are
//! printed.

use unicode_width::UnicodeWidthChar as _;

/// The prefix of an error's first line.
const ERROR: &str = "error: ";

/// An error as `showErrorInfo` lays it out, colours left out: `error: `
/// and the message, or, when it has traces, `error:`, a line `… <trace>`
/// per trace (outermost first) and the message after a blank line; every
/// line after the first indented to the message, trailing blanks cut.
///
/// This is also the text of a Nix error's `what()`, which the evaluator
/// hands to wasmtime when a host function throws.
pub fn show_error(traces: &[&str], message: &str) -> String {
    let mut text = String::new();
    if !traces.is_empty() {
        for trace in traces {
            text.push_str("\n… ");
            text.push_str(trace);
            text.push('\n');
        }
        text.push('\n');
        text.push_str(ERROR);
    }
    text.push_str(message);
    indent(ERROR, &" ".repeat(ERROR.len()), chomp(&text))
}

/// Nix's `chomp`: trailing spaces, tabs and line ends removed.
fn chomp(text: &str) -> &str {
    text.trim_end_matches([' ', '\n', '\r', '\t'])
}

/// Nix's `indent`: `first` before the first line, `rest` before the
/// others, each line chomped.
fn indent(first: &str, rest: &str, text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    if text.is_empty() {
        return out;
    }
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let prefix = if i == 0 { first } else { rest };
        out.push_str(chomp(&format!("{prefix}{line}")));
    }
    out
}

/// What Nix's logger writes of `text` when standard error is not a
/// terminal (`filterANSIEscapes` with everything filtered): escape
/// sequences dropped, carriage returns and bells dropped, tabs expanded
/// to the next multiple of 8 columns (counted from the start of `text`,
/// across lines, a line end counting 0), all other bytes kept as they are,
/// UTF-8 or not.
pub fn filter_escapes(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut column = 0usize;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            0x1b => {
                i += 1;
                match text.get(i) {
                    Some(b'[') => {
                        i += 1;
                        while text.get(i).is_some_and(|b| (0x30..=0x3f).contains(b)) {
                            i += 1;
                        }
                        while text.get(i).is_some_and(|b| (0x20..=0x2f).contains(b)) {
                            i += 1;
                        }
                        if text.get(i).is_some_and(|b| (0x40..=0x7e).contains(b)) {
                            i += 1;
                        }
                    }
                    Some(b']') => {
                        i += 1;
                        while text.get(i).is_some_and(|b| *b != 0x1b && *b != 0x07) {
                            i += 1;
                        }
                        if let Some(end) = text.get(i) {
                            i += 1;
                            if *end == 0x1b && text.get(i) == Some(&b'\\') {
                                i += 1;
                            }
                        }
                    }
                    Some(b) if (0x40..=0x5f).contains(b) => i += 1,
                    _ => {}
                }
            }
            b'\t' => {
                loop {
                    column += 1;
                    out.push(b' ');
                    if column.is_multiple_of(8) {
                        break;
                    }
                }
                i += 1;
            }
            b'\r' | 0x07 => i += 1,
            _ => {
                let (width, len) = char_width(&text[i..]);
                column += width;
                out.extend_from_slice(&text[i..i + len]);
                i += len;
            }
        }
    }
    out
}

/// The columns and bytes of the character at the start of `text`, as
/// Nix's `charWidthUTF8Helper` counts them: a byte that starts no valid
/// UTF-8 sequence is one column and one byte; control characters take no
/// column (widths of other characters from `unicode-width`).
fn char_width(text: &[u8]) -> (usize, usize) {
    let first = text[0];
    let len = match first {
        0x00..=0x7f => 1,
        _ if first & 0xe0 == 0xc0 => 2,
        _ if first & 0xf0 == 0xe0 => 3,
        _ if first & 0xf8 == 0xf0 => 4,
        _ => return (1, 1),
    };
    for i in 1..len {
        if text.get(i).is_none_or(|b| b & 0xc0 != 0x80) {
            return (i, i);
        }
    }
    let width = match std::str::from_utf8(&text[..len])
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) => c.width().unwrap_or(0),
        // An overlong encoding or a surrogate: one column per byte.
        None => len,
    };
    (width, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_laid_out_as_show_error_info_does() {
        assert_eq!(
            show_error(&[], "Wasm panic: boom"),
            "error: Wasm panic: boom"
        );
        assert_eq!(
            show_error(&[], "two\nlines  \n\nend\n"),
            "error: two\n       lines\n\n       end"
        );
        assert_eq!(
            show_error(
                &[
                    "while executing a Wasm module",
                    "while evaluating the 'wat' attribute"
                ],
                "expected a string but found an integer: 1"
            ),
            "error:\n       … while executing a Wasm module\n\n       … while evaluating the 'wat' attribute\n\n       error: expected a string but found an integer: 1"
        );
    }

    #[test]
    fn escapes_carriage_returns_and_bells_are_dropped_and_tabs_expanded() {
        assert_eq!(filter_escapes(b"\x1b[31;1merror:\x1b[0m x"), b"error: x");
        assert_eq!(filter_escapes(b"a\x1b]8;;http://x\x1b\\b\x07c\r"), b"abc");
        assert_eq!(filter_escapes(b"ab\tc"), b"ab      c");
        assert_eq!(filter_escapes(b"\t"), b"        ");
        // Columns count on across lines; a line end takes none.
        assert_eq!(filter_escapes(b"abc\nd\te"), b"abc\nd    e");
        // Bytes that are not UTF-8 stay as they are, one column each.
        assert_eq!(filter_escapes(b"\xff\xfe\tx"), b"\xff\xfe      x");
        assert_eq!(filter_escapes("é\t".as_bytes()), "é       ".as_bytes());
    }
}
