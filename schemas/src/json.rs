//! Parsing of rrweb event JSON, which nests deeper than serde_json's default limit allows.
//!
//! A FullSnapshot nests two JSON levels per DOM level (a node object, then its `childNodes`
//! array), so a page whose DOM is 100 elements deep is a 200-level JSON text. serde_json refuses
//! more than 128 levels unless its recursion limit is disabled, which leaves the stack as the
//! only bound. Every stage that reads event JSON parses it here instead: texts deeper than
//! [`MAX_JSON_DEPTH`] are refused before parsing starts, and the rest are parsed without
//! serde_json's limit.
//!
//! Stack: parsing a `serde_json::Value` of [`MAX_JSON_DEPTH`] levels, writing it out and dropping
//! it (each recursive in serde_json) took under 256 KiB in a release build and with the
//! workspace's dev profile, and under 1.25 MiB with every crate unoptimized. That fits the 2 MiB
//! stack of a tokio worker or blocking thread; a test runs it on a 2 MiB thread.

use serde::Deserialize;

/// Deeper JSON than this is refused: 512 levels hold a DOM about 250 elements deep, far deeper
/// than real pages.
pub const MAX_JSON_DEPTH: usize = 512;

/// Why a JSON text was not parsed.
#[derive(Debug, thiserror::Error)]
pub enum DeepJsonError {
    /// The text nests arrays and objects deeper than allowed ([`MAX_JSON_DEPTH`] unless a
    /// caller allows for an envelope around event JSON).
    #[error("json nested deeper than {limit} levels")]
    TooDeep {
        /// The depth found.
        depth: usize,
        /// The depth allowed.
        limit: usize,
    },
    /// The text is not JSON, has trailing characters, or does not have the expected shape.
    #[error(transparent)]
    Invalid(#[from] serde_json::Error),
}

/// The deepest nesting of arrays and objects in a JSON text; brackets inside strings do not
/// count. One pass, no recursion.
///
/// The parser tokenizes a valid prefix of the text the same way, and stops at the first
/// invalid byte, so it never nests deeper than this returns.
pub fn depth(text: &[u8]) -> usize {
    let mut current = 0usize;
    let mut deepest = 0usize;
    let mut index = 0;
    while index < text.len() {
        match text[index] {
            b'"' => {
                // Skip to the closing quote; a backslash escapes the byte after it.
                index += 1;
                while index < text.len() {
                    match text[index] {
                        b'"' => break,
                        b'\\' => index += 2,
                        _ => index += 1,
                    }
                }
            }
            b'[' | b'{' => {
                current += 1;
                deepest = deepest.max(current);
            }
            b']' | b'}' => current = current.saturating_sub(1),
            _ => {}
        }
        index += 1;
    }
    deepest
}

fn check_depth(text: &[u8], limit: usize) -> Result<(), DeepJsonError> {
    let found = depth(text);
    if found > limit {
        return Err(DeepJsonError::TooDeep { depth: found, limit });
    }
    Ok(())
}

fn parse<'a, R, T>(mut deserializer: serde_json::Deserializer<R>) -> Result<T, DeepJsonError>
where
    R: serde_json::de::Read<'a>,
    T: Deserialize<'a>,
{
    // The depth was checked, so the recursion is bounded by the caller's limit.
    deserializer.disable_recursion_limit();
    let value = T::deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// `serde_json::from_slice` for texts up to [`MAX_JSON_DEPTH`] levels deep.
pub fn from_slice_deep<'a, T: Deserialize<'a>>(text: &'a [u8]) -> Result<T, DeepJsonError> {
    from_slice_within(text, MAX_JSON_DEPTH)
}

/// `serde_json::from_str` for texts up to [`MAX_JSON_DEPTH`] levels deep.
pub fn from_str_deep<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, DeepJsonError> {
    check_depth(text.as_bytes(), MAX_JSON_DEPTH)?;
    parse(serde_json::Deserializer::from_str(text))
}

/// `serde_json::from_slice` for texts up to `limit` levels deep, for a format that wraps event
/// JSON in a few levels of its own: `limit` is [`MAX_JSON_DEPTH`] plus those levels. The stack
/// a parse takes grows with `limit`, so keep it close to [`MAX_JSON_DEPTH`].
pub fn from_slice_within<'a, T: Deserialize<'a>>(text: &'a [u8], limit: usize) -> Result<T, DeepJsonError> {
    check_depth(text, limit)?;
    parse(serde_json::Deserializer::from_slice(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;
    use serde_json::Value;

    /// An rrweb FullSnapshot `data` whose DOM is `dom_levels` elements deep, the innermost
    /// holding a button: `2 * dom_levels + 2` JSON levels.
    fn snapshot_data(dom_levels: usize) -> String {
        let mut node = r#"{"type":2,"id":1,"tagName":"button","attributes":{"id":"go"},"childNodes":[{"type":3,"id":2,"textContent":"Go"}]}"#.to_string();
        for id in 3..dom_levels + 2 {
            node = format!(r#"{{"type":2,"id":{id},"tagName":"div","attributes":{{}},"childNodes":[{node}]}}"#);
        }
        format!(r#"{{"node":{node},"initialOffset":{{"top":0,"left":0}}}}"#)
    }

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(depth(b"1"), 0);
        assert_eq!(depth(b"[]"), 1);
        assert_eq!(depth(br#"{"a":[{"b":[]}],"c":{}}"#), 4);
        assert_eq!(depth(br#"["[[[{{{", "\"[[[", "\\", []]"#), 2);
        assert_eq!(depth(br#"{"a":"x\\","b":["\"[",{"c":"\\\"{"}],"d":[[[]]]}"#), 4);
        assert_eq!(depth(br#"[["unterminated [[["#), 2);
        assert_eq!(depth(b"[\"\\"), 1);
        assert_eq!(depth(snapshot_data(200).as_bytes()), 402);
    }

    #[test]
    fn parses_deeper_than_serde_json_default_limit() {
        let text = snapshot_data(200);
        assert!(serde_json::from_str::<Value>(&text).is_err(), "serde_json alone stops at 128 levels");
        let value: Value = from_str_deep(&text).unwrap();
        assert_eq!(value["initialOffset"]["top"], 0);
        let from_bytes: Value = from_slice_deep(text.as_bytes()).unwrap();
        assert_eq!(from_bytes, value);
        let raw: &RawValue = from_str_deep(&text).unwrap();
        assert_eq!(raw.get(), text);
    }

    #[test]
    fn refuses_deeper_than_the_limit_with_a_reason() {
        let at_limit = format!("{}{}", "[".repeat(MAX_JSON_DEPTH), "]".repeat(MAX_JSON_DEPTH));
        assert!(from_str_deep::<Value>(&at_limit).is_ok());
        let over = format!("[{at_limit}]");
        match from_str_deep::<&RawValue>(&over) {
            Err(error @ DeepJsonError::TooDeep { depth: 513, limit: MAX_JSON_DEPTH }) => {
                assert_eq!(error.to_string(), "json nested deeper than 512 levels")
            }
            other => panic!("expected too deep, got {other:?}"),
        }
        assert!(matches!(from_slice_deep::<Value>(over.as_bytes()), Err(DeepJsonError::TooDeep { .. })));
        assert!(from_slice_within::<&RawValue>(over.as_bytes(), MAX_JSON_DEPTH + 1).is_ok());
    }

    #[test]
    fn refuses_trailing_characters_and_bad_json() {
        assert!(matches!(from_str_deep::<Value>("[1] x"), Err(DeepJsonError::Invalid(_))));
        assert!(matches!(from_str_deep::<Value>("[1]]"), Err(DeepJsonError::Invalid(_))));
        assert!(matches!(from_slice_deep::<Value>(b"{\"a\":"), Err(DeepJsonError::Invalid(_))));
        assert!(matches!(from_slice_deep::<Value>(b"[\"\xff\"]"), Err(DeepJsonError::Invalid(_))));
        assert_eq!(from_str_deep::<Vec<u8>>(" [1, 2] \n").unwrap(), vec![1, 2]);
    }

    /// The deepest text accepted parses, serializes and drops (each recursive in serde_json) on
    /// a thread with a tokio worker's stack.
    #[test]
    fn deepest_snapshot_fits_a_worker_thread_stack() {
        let deepest = snapshot_data((MAX_JSON_DEPTH - 2) / 2);
        assert_eq!(depth(deepest.as_bytes()), MAX_JSON_DEPTH);
        let worker = std::thread::Builder::new().stack_size(2 << 20).spawn(move || {
            let value: Value = from_str_deep(&deepest).unwrap();
            let written = value.to_string();
            let copy = value.clone();
            drop(value);
            drop(copy);
            written.len()
        });
        let written = worker.unwrap().join().expect("no stack overflow");
        assert!(written > 255 * 60);
    }
}
