//! Reading an rrweb event's `data` as a JSON value.

use playback_schemas::json::from_str_deep;
use serde_json::Value;

/// An event's `data` as a JSON value, `Null` when it cannot be read.
///
/// JavaScript writes a lone UTF-16 surrogate (page text cut in the middle of an emoji, say) as an
/// escape such as `\ud83d`. That is valid JSON, and the recorder sends it, but it has no place in
/// a Rust string: such escapes are read as U+FFFD rather than losing the whole event. Data as
/// deep as the gateway admits (`json::MAX_JSON_DEPTH`) is read whole.
pub(crate) fn parse_data(text: &str) -> Value {
    match from_str_deep(text) {
        Ok(value) => value,
        Err(_) if text.contains("\\u") => from_str_deep(&replace_lone_surrogates(text)).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

/// The code unit of the `\uXXXX` escape at `index`, if one starts there.
fn escape_at(bytes: &[u8], index: usize) -> Option<u32> {
    let escape = bytes.get(index..index + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' || !escape[2..].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    u32::from_str_radix(hex, 16).ok()
}

fn is_high_surrogate(unit: u32) -> bool {
    (0xD800..0xDC00).contains(&unit)
}

fn is_low_surrogate(unit: u32) -> bool {
    (0xDC00..0xE000).contains(&unit)
}

/// `text` with the escape of every surrogate that is not half of a pair replaced by `\ufffd`.
fn replace_lone_surrogates(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] != b'\\' {
            index += 1;
            continue;
        }
        let lone = match escape_at(bytes, index) {
            Some(unit) if is_high_surrogate(unit) => {
                if escape_at(bytes, index + 6).is_some_and(is_low_surrogate) {
                    index += 12;
                    continue;
                }
                true
            }
            Some(unit) => is_low_surrogate(unit),
            None => false,
        };
        if lone {
            out.push_str(&text[copied..index]);
            out.push_str("\\ufffd");
            index += 6;
            copied = index;
        } else {
            // Any other escape is a backslash and one character, or `\uXXXX` of a plain code point.
            index += 2;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert!(serde_json::from_str::<Value>(r#"{"text":"a\ud83d"}"#).is_err(), "serde_json refuses lone surrogates");
        assert_eq!(
            parse_data(r#"{"tag":"cut","payload":{"text":"a\ud83d b"}}"#),
            json!({"tag": "cut", "payload": {"text": "a\u{fffd} b"}})
        );
        assert_eq!(parse_data(r#"{"text":"\udc00\ud800"}"#), json!({"text": "\u{fffd}\u{fffd}"}));
        assert_eq!(parse_data(r#"{"text":"\ud800\u0041"}"#), json!({"text": "\u{fffd}A"}));
    }

    #[test]
    fn pairs_and_other_escapes_are_kept() {
        assert_eq!(
            parse_data(r#"{"text":"\ud83d\ude00 \u00e9 \\ud800 \" \n"}"#),
            json!({"text": "😀 é \\ud800 \" \n"})
        );
        assert_eq!(parse_data(r#"{"source":2,"id":7}"#), json!({"source": 2, "id": 7}));
    }

    #[test]
    fn unreadable_data_is_null() {
        assert_eq!(parse_data("{"), Value::Null);
        assert_eq!(parse_data(r#"{"text":"\ud800"#), Value::Null);
        // As deep as the gateway admits is read; deeper is not.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_data(&deep).is_array());
        let too_deep = format!("{}{}", "[".repeat(600), "]".repeat(600));
        assert_eq!(parse_data(&too_deep), Value::Null);
    }
}
