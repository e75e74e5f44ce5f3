//! CSS references: the `url(...)` and `@import` targets of a stylesheet, a `style` attribute or
//! a rule, and a rewrite that replaces them and keeps every other byte as it was.
//!
//! The scanner works on bytes so that a stylesheet that is not valid UTF-8 is still rewritten
//! byte for byte. Comments and strings are skipped (a `url(` inside `content: "url(x)"` is not a
//! reference), except the string right after `@import`, which is one.

/// How a stylesheet refers to a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// `url(...)`, quoted or not, outside an `@import`.
    Url,
    /// The target of `@import "..."` or `@import url(...)`: another stylesheet.
    Import,
}

/// One reference found in CSS text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CssRef {
    pub kind: RefKind,
    /// The reference as written, with CSS escapes undone and surrounding spaces trimmed.
    pub value: String,
    /// The bytes a rewrite replaces: the whole `url(...)` token, or the string after `@import`.
    pub span: std::ops::Range<usize>,
}

/// Every `url(...)` and `@import` target of `css`, in text order.
pub fn scan(css: &[u8]) -> Vec<CssRef> {
    let mut refs = Vec::new();
    let mut at = 0;
    while at < css.len() {
        let byte = css[at];
        if byte == b'/' && css.get(at + 1) == Some(&b'*') {
            at = skip_comment(css, at);
        } else if byte == b'"' || byte == b'\'' {
            at = string_end(css, at);
        } else if byte == b'\\' {
            at += 2;
        } else if starts_with_ignore_case(css, at, b"@import") && !is_name_byte(css.get(at + 7).copied()) {
            at = scan_import(css, at + 7, &mut refs);
        } else if starts_with_ignore_case(css, at, b"url(") && (at == 0 || !is_name_byte(Some(css[at - 1]))) {
            match url_token(css, at) {
                Some((value, end)) => {
                    refs.push(CssRef { kind: RefKind::Url, value, span: at..end });
                    at = end;
                }
                None => at += 4,
            }
        } else {
            at += 1;
        }
    }
    refs
}

/// `css` with each reference for which `replace` answers `Some(target)` written as
/// `url("target")`; everything else, references kept included, stays byte for byte.
pub fn rewrite(css: &[u8], mut replace: impl FnMut(&CssRef) -> Option<String>) -> Vec<u8> {
    let mut out = Vec::with_capacity(css.len());
    let mut copied = 0;
    for reference in scan(css) {
        let Some(target) = replace(&reference) else {
            continue;
        };
        out.extend_from_slice(&css[copied..reference.span.start]);
        out.extend_from_slice(b"url(\"");
        for character in target.chars() {
            match character {
                '"' | '\\' => {
                    out.push(b'\\');
                    out.push(character as u8);
                }
                '\n' | '\r' | '\u{c}' => out.extend_from_slice(format!("\\{:x} ", character as u32).as_bytes()),
                _ => {
                    let mut buffer = [0; 4];
                    out.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes());
                }
            }
        }
        out.extend_from_slice(b"\")");
        copied = reference.span.end;
    }
    out.extend_from_slice(&css[copied..]);
    out
}

fn starts_with_ignore_case(css: &[u8], at: usize, prefix: &[u8]) -> bool {
    css.get(at..at + prefix.len()).is_some_and(|window| window.eq_ignore_ascii_case(prefix))
}

/// Whether `byte` may continue a CSS identifier (so `myurl(` is not `url(`).
fn is_name_byte(byte: Option<u8>) -> bool {
    byte.is_some_and(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || byte >= 0x80)
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// The index after the comment opening at `at` (the end of the text when it is not closed).
fn skip_comment(css: &[u8], at: usize) -> usize {
    let mut index = at + 2;
    while index + 1 < css.len() {
        if css[index] == b'*' && css[index + 1] == b'/' {
            return index + 2;
        }
        index += 1;
    }
    css.len()
}

/// Spaces and comments from `at` on.
fn skip_space_and_comments(css: &[u8], mut at: usize) -> usize {
    loop {
        if at < css.len() && is_space(css[at]) {
            at += 1;
        } else if css.get(at) == Some(&b'/') && css.get(at + 1) == Some(&b'*') {
            at = skip_comment(css, at);
        } else {
            return at;
        }
    }
}

/// The index after the string opening at `at` (at its closing quote, an unescaped newline or
/// the end of the text).
fn string_end(css: &[u8], at: usize) -> usize {
    let quote = css[at];
    let mut index = at + 1;
    while index < css.len() {
        match css[index] {
            b'\\' => index += 2,
            b'\n' => return index,
            byte if byte == quote => return index + 1,
            _ => index += 1,
        }
    }
    css.len()
}

/// The value of the string token at `start..end` (quotes included), unescaped.
fn string_value(css: &[u8], start: usize, end: usize) -> String {
    let quote = css[start];
    let inner_end = if end > start + 1 && css[end - 1] == quote { end - 1 } else { end };
    unescape(&css[start + 1..inner_end.max(start + 1)])
}

/// Undoes CSS escapes: `\` and up to six hex digits (and one space after them), or `\` and any
/// other character; an escaped newline disappears.
fn unescape(raw: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut index = 0;
    while index < raw.len() {
        if raw[index] != b'\\' {
            bytes.push(raw[index]);
            index += 1;
            continue;
        }
        index += 1;
        let hex_len = raw[index..].iter().take(6).take_while(|byte| byte.is_ascii_hexdigit()).count();
        if hex_len > 0 {
            let digits = String::from_utf8_lossy(&raw[index..index + hex_len]).into_owned();
            let code = u32::from_str_radix(&digits, 16).unwrap_or(0xfffd);
            let character = char::from_u32(code).filter(|character| *character != '\0').unwrap_or('\u{fffd}');
            let mut buffer = [0; 4];
            bytes.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes());
            index += hex_len;
            if index < raw.len() && is_space(raw[index]) {
                index += 1;
            }
        } else if index < raw.len() {
            if raw[index] != b'\n' {
                bytes.push(raw[index]);
            }
            index += 1;
        }
    }
    String::from_utf8_lossy(&bytes).trim().to_string()
}

/// The `url(...)` token at `at`: its value and the index after its `)`, or `None` when it is
/// not closed.
fn url_token(css: &[u8], at: usize) -> Option<(String, usize)> {
    let open = at + 4;
    let first = skip_space_and_comments(css, open);
    match css.get(first) {
        Some(b'"') | Some(b'\'') => {
            let end = string_end(css, first);
            let value = string_value(css, first, end);
            let close = skip_space_and_comments(css, end);
            (css.get(close) == Some(&b')')).then(|| (value, close + 1))
        }
        _ => {
            let mut index = first;
            while index < css.len() {
                match css[index] {
                    b'\\' => index += 2,
                    b')' => return Some((unescape(&css[first..index]), index + 1)),
                    b'"' | b'\'' | b'(' => return None,
                    _ => index += 1,
                }
            }
            None
        }
    }
}

/// The target of the `@import` whose keyword ends at `at`; returns where scanning goes on.
fn scan_import(css: &[u8], at: usize, refs: &mut Vec<CssRef>) -> usize {
    let start = skip_space_and_comments(css, at);
    match css.get(start) {
        Some(b'"') | Some(b'\'') => {
            let end = string_end(css, start);
            refs.push(CssRef { kind: RefKind::Import, value: string_value(css, start, end), span: start..end });
            end
        }
        _ if starts_with_ignore_case(css, start, b"url(") => match url_token(css, start) {
            Some((value, end)) => {
                refs.push(CssRef { kind: RefKind::Import, value, span: start..end });
                end
            }
            None => start + 4,
        },
        _ => start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(css: &str) -> Vec<(RefKind, String)> {
        scan(css.as_bytes()).into_iter().map(|found| (found.kind, found.value)).collect()
    }

    #[test]
    fn finds_url_and_import_forms() {
        let css = r#"@import "base.css";
@import url('print.css') print;
@IMPORT url(https://cdn.example.com/x.css);
body { background: URL( "img/bg.png" ) no-repeat, url(icons/a\ b.svg); }
@font-face { src: url('/fonts/a.woff2') format("woff2"), url(data:font/woff;base64,AAAA) }
.a { mask: url(  spaced.png  ) }"#;
        assert_eq!(
            values(css),
            vec![
                (RefKind::Import, "base.css".into()),
                (RefKind::Import, "print.css".into()),
                (RefKind::Import, "https://cdn.example.com/x.css".into()),
                (RefKind::Url, "img/bg.png".into()),
                (RefKind::Url, "icons/a b.svg".into()),
                (RefKind::Url, "/fonts/a.woff2".into()),
                (RefKind::Url, "data:font/woff;base64,AAAA".into()),
                (RefKind::Url, "spaced.png".into()),
            ]
        );
    }

    #[test]
    fn skips_comments_strings_and_lookalikes() {
        let css = r#"/* url(commented.png) @import "no.css"; */
.q::before { content: "url(quoted.png)"; }
.f { background: myurl(fake.png); --x: 'it\'s url(x)'; }
.ok { background: url("a\"b.png") }
.hex { background: url("\66 oo.png") }"#;
        assert_eq!(values(css), vec![(RefKind::Url, "a\"b.png".into()), (RefKind::Url, "foo.png".into())]);
    }

    #[test]
    fn unclosed_tokens_are_not_references() {
        assert!(values("a { background: url(broken.png }").is_empty());
        assert!(values("a { background: url(\"x.png\" }").is_empty());
        assert!(values("/* url(a.png)").is_empty());
    }

    #[test]
    fn rewrite_replaces_only_what_is_asked_and_keeps_other_bytes() {
        let css = "@import 'a.css' screen;\n/* keep */ .x{background:url(b.png)}\u{e9} .y{background:url( c.png )}";
        let out = rewrite(css.as_bytes(), |found| match found.value.as_str() {
            "a.css" => Some("0123abcd".into()),
            "c.png" => Some("https://site.example/c.png?q=\"x\"".into()),
            _ => None,
        });
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "@import url(\"0123abcd\") screen;\n/* keep */ .x{background:url(b.png)}\u{e9} \
             .y{background:url(\"https://site.example/c.png?q=\\\"x\\\"\")}"
        );
        // Not UTF-8, nothing replaced: the same bytes.
        let latin1 = b".x{content:'\xe9'} .y{background:url(d.png)}".to_vec();
        assert_eq!(rewrite(&latin1, |_| None), latin1);
        let replaced = rewrite(&latin1, |_| Some("h".into()));
        assert_eq!(replaced, b".x{content:'\xe9'} .y{background:url(\"h\")}".to_vec());
    }
}
