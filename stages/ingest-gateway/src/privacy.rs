//! What a project forbids to store, removed from every batch before it reaches the log.
//!
//! Playback's recorder applies the same rules in the page (`recorder/src/privacy.ts`), and
//! both follow the shared vectors in `schemas/privacy/vectors.json`. The gateway applies them
//! again, so that a foreign rrweb recorder or an old recorder version cannot store what the
//! project forbids:
//! - **URL parameters** on the project's deny list (`scrub_params`): in every string of every
//!   event, the value of a query, fragment or matrix parameter whose name contains an entry
//!   becomes `redacted` (`?reset_token=abc` → `?reset_token=redacted`).
//! - **Text patterns**: e-mail addresses and long digit runs (cards, IBANs, phone numbers)
//!   unless `mask_text` is `none`, and the project's own `text_patterns`. Every non-whitespace
//!   character of a match becomes `*`. They apply to text (text nodes, typed values, attribute
//!   values such as `value`, `placeholder` or `title`, custom and plugin event payloads), not to
//!   CSS, SVG geometry, URLs or data URIs, whose digits are not personal data and whose
//!   masking would break the replay.
//! - **Form state** in snapshots: the `value` of `<input type=hidden>` and the `checked` state
//!   of radio buttons and checkboxes are removed.
//!
//! The `$identify` payload and the batch's `user` are what the site chose to say about its
//! user; only URL parameters are scrubbed there. Shared views leave them out altogether.

use std::borrow::Cow;

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The value a scrubbed URL parameter gets.
pub const REDACTED: &str = "redacted";

/// Parameter name parts scrubbed by default: a parameter is scrubbed when its name, decoded and
/// lowercased, contains one of them.
pub const DEFAULT_SCRUB_PARAMS: &[&str] = &[
    "token",
    "password",
    "passwd",
    "pwd",
    "secret",
    "email",
    "code",
    "reset",
    "auth",
    "session",
    "signature",
    "apikey",
    "api_key",
    "otp",
    "ssn",
    "card",
    "iban",
    "phone",
];

/// A query (`?`, `&`), matrix (`;`) or fragment (`#`) parameter with a value. Names and values
/// stop at quotes, angle brackets, backslashes and whitespace, so the same expression finds the
/// same parameters in a string and in its JSON text.
const URL_PARAM: &str = r#"([?&;#])([^=&#?;\s"'<>\\]+)=([^&#;?\s"'<>\\]+)"#;
/// An e-mail address.
const EMAIL: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}";
/// Nine digits or more, with up to two spaces, dashes or parentheses between them: card
/// numbers, IBANs, phone numbers. Dates and amounts stay readable.
const DIGITS: &str = r"\+?[0-9](?:[\s()\-]{0,2}[0-9]){8,}";

/// How much page text a project's recorders mask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskText {
    /// Only the project's own `text_patterns` (and elements marked sensitive, in the recorder).
    None,
    /// E-mail addresses, long digit runs, the project's patterns, and the whole text of
    /// elements marked sensitive.
    #[default]
    Sensitive,
    /// All page text, in the recorder; the gateway masks what `sensitive` masks.
    All,
}

/// A project's rules, compiled.
#[derive(Debug, Clone)]
pub struct PrivacyRules {
    url_param: Regex,
    params: Vec<String>,
    patterns: Vec<Regex>,
}

/// A `text_patterns` entry that is not a regular expression.
#[derive(Debug, thiserror::Error)]
#[error("text pattern {pattern:?} is not a regular expression: {source}")]
pub struct PatternError {
    pattern: String,
    #[source]
    source: regex::Error,
}

impl PrivacyRules {
    /// Compiles a project's rules: `params` are the deny list's name parts, `custom` the
    /// project's extra text patterns.
    pub fn new(mask_text: MaskText, params: &[String], custom: &[String]) -> Result<Self, PatternError> {
        let compile =
            |pattern: &str| Regex::new(pattern).map_err(|source| PatternError { pattern: pattern.to_string(), source });
        let mut patterns = Vec::new();
        if mask_text != MaskText::None {
            patterns.push(compile(EMAIL)?);
            patterns.push(compile(DIGITS)?);
        }
        for pattern in custom {
            patterns.push(compile(pattern)?);
        }
        let params = params.iter().map(|param| param.trim().to_lowercase()).filter(|param| !param.is_empty()).collect();
        Ok(PrivacyRules { url_param: compile(URL_PARAM)?, params, patterns })
    }

    /// `text` with the value of every denied URL parameter replaced by [`REDACTED`].
    pub fn scrub_url_params<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.params.is_empty() || !text.contains('=') {
            return Cow::Borrowed(text);
        }
        self.url_param.replace_all(text, |captures: &Captures<'_>| {
            let name = percent_decoded(&captures[2]).to_lowercase();
            if self.params.iter().any(|param| name.contains(param.as_str())) {
                format!("{}{}={REDACTED}", &captures[1], &captures[2])
            } else {
                captures[0].to_string()
            }
        })
    }

    /// `text` with every match of the text patterns masked, each non-whitespace character
    /// becoming `*`.
    pub fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut masked = Cow::Borrowed(text);
        for pattern in &self.patterns {
            if let Cow::Owned(replaced) = pattern.replace_all(&masked, |captures: &Captures<'_>| mask_all(&captures[0]))
            {
                masked = Cow::Owned(replaced);
            }
        }
        masked
    }

    /// Scrubs one rrweb event in place; true when anything changed.
    pub fn scrub_event(&self, event: &mut Value) -> bool {
        let identify = event.get("type").and_then(Value::as_u64) == Some(5)
            && event.pointer("/data/tag").and_then(Value::as_str) == Some("$identify");
        let text = if identify { Text::UrlsOnly } else { Text::Masked };
        self.walk(event, text)
    }

    fn walk(&self, value: &mut Value, text: Text) -> bool {
        // An explicit stack: a FullSnapshot nests two levels per DOM level.
        let mut stack: Vec<(&mut Value, Option<String>)> = vec![(value, None)];
        let mut changed = false;
        while let Some((value, key)) = stack.pop() {
            match value {
                Value::String(string) => changed |= self.scrub_string(string, key.as_deref(), text),
                Value::Array(items) => stack.extend(items.iter_mut().map(|item| (item, key.clone()))),
                Value::Object(fields) => {
                    changed |= clear_form_state(fields);
                    let is_style = fields.get("isStyle").and_then(Value::as_bool) == Some(true);
                    for (name, field) in fields.iter_mut() {
                        let name = name.to_ascii_lowercase();
                        let field_key = if is_style && name == "textcontent" { "_csstext".to_string() } else { name };
                        stack.push((field, Some(field_key)));
                    }
                }
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
        }
        changed
    }

    fn scrub_string(&self, string: &mut String, key: Option<&str>, text: Text) -> bool {
        // `replace_all` copies on any match, even one that is already scrubbed.
        let mut changed = false;
        if let Cow::Owned(scrubbed) = self.scrub_url_params(string) {
            changed |= scrubbed != *string;
            *string = scrubbed;
        }
        if text == Text::Masked && holds_text(key, string) {
            if let Cow::Owned(masked) = self.mask_text(string) {
                changed |= masked != *string;
                *string = masked;
            }
        }
        changed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    /// URL parameters and text patterns.
    Masked,
    /// URL parameters only.
    UrlsOnly,
}

/// Keys (lowercased) whose strings are markup, CSS, geometry or identifiers, not text.
const NOT_TEXT: &[&str] = &[
    "_csstext",
    "csstext",
    "rule",
    "style",
    "class",
    "id",
    "d",
    "points",
    "viewbox",
    "transform",
    "sizes",
    "coords",
    "base64",
    "tagname",
    "type",
    "rel",
    "lang",
    "dir",
    "for",
    "name",
    "role",
    "target",
    "method",
    "enctype",
    "autocomplete",
    "width",
    "height",
    "integrity",
    "nonce",
    "crossorigin",
    "media",
    "charset",
    "http-equiv",
    "tag",
];

/// Keys (lowercased) whose strings are URLs: only their parameters are scrubbed, except in
/// `mailto:` and `tel:` links, which are text.
const URLS: &[&str] = &[
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "poster",
    "data",
    "background",
    "xlink:href",
    "cite",
    "ping",
    "manifest",
    "referrer",
    "url",
    "fontsource",
];

fn holds_text(key: Option<&str>, value: &str) -> bool {
    if value.starts_with("data:") {
        return false;
    }
    let Some(key) = key else {
        return true;
    };
    if key.starts_with("rr_") || NOT_TEXT.contains(&key) {
        return false;
    }
    if URLS.contains(&key) {
        let scheme = value.get(..7).unwrap_or(value).to_ascii_lowercase();
        return scheme.starts_with("mailto:") || scheme.starts_with("tel:");
    }
    true
}

/// Removes the value of a hidden input and the checked state of a radio button or checkbox
/// from a serialized node (`{"tagName": "input", "attributes": {...}}`).
fn clear_form_state(node: &mut serde_json::Map<String, Value>) -> bool {
    let is_input = node.get("tagName").and_then(Value::as_str).is_some_and(|tag| tag.eq_ignore_ascii_case("input"));
    if !is_input {
        return false;
    }
    let Some(Value::Object(attributes)) = node.get_mut("attributes") else {
        return false;
    };
    let kind = attributes.get("type").and_then(Value::as_str).map(str::to_ascii_lowercase);
    let removed = match kind.as_deref() {
        Some("hidden") => attributes.remove("value"),
        Some("radio" | "checkbox") => attributes.remove("checked"),
        _ => None,
    };
    removed.is_some()
}

fn mask_all(text: &str) -> String {
    text.chars().map(|character| if character.is_whitespace() { character } else { '*' }).collect()
}

/// `%XX` escapes decoded; a name that does not decode to UTF-8 is kept as it is.
fn percent_decoded(name: &str) -> Cow<'_, str> {
    if !name.contains('%') {
        return Cow::Borrowed(name);
    }
    let bytes = name.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    match String::from_utf8(decoded) {
        Ok(text) => Cow::Owned(text),
        Err(_) => Cow::Borrowed(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Vectors {
        scrub_params: Vec<String>,
        replacement: String,
        urls: Vec<Vector>,
        text: Vec<Vector>,
        events: Vec<EventVector>,
    }

    #[derive(Deserialize)]
    struct EventVector {
        #[serde(rename = "in")]
        input: Value,
        out: Value,
    }

    #[derive(Deserialize)]
    struct Vector {
        #[serde(rename = "in")]
        input: String,
        out: String,
    }

    fn vectors() -> Vectors {
        serde_json::from_str(include_str!("../../../schemas/privacy/vectors.json")).unwrap()
    }

    fn defaults() -> PrivacyRules {
        let params: Vec<String> = DEFAULT_SCRUB_PARAMS.iter().map(|param| param.to_string()).collect();
        PrivacyRules::new(MaskText::Sensitive, &params, &[]).unwrap()
    }

    #[test]
    fn the_shared_vectors_hold() {
        let vectors = vectors();
        assert_eq!(vectors.scrub_params, DEFAULT_SCRUB_PARAMS, "the recorder and the gateway share one deny list");
        assert_eq!(vectors.replacement, REDACTED);
        let rules = defaults();
        for vector in &vectors.urls {
            assert_eq!(rules.scrub_url_params(&vector.input), vector.out, "url {:?}", vector.input);
        }
        for vector in &vectors.text {
            assert_eq!(rules.mask_text(&vector.input), vector.out, "text {:?}", vector.input);
        }
    }

    #[test]
    fn scrubbing_twice_changes_nothing_more() {
        let rules = defaults();
        for vector in vectors().urls.iter().chain(&vectors().text) {
            let once = rules.mask_text(&rules.scrub_url_params(&vector.input)).into_owned();
            let twice = rules.mask_text(&rules.scrub_url_params(&once)).into_owned();
            assert_eq!(once, twice, "{:?}", vector.input);
        }
    }

    /// The events hold a snapshot with CSS, SVG geometry, an asset URL, a `mailto:` link, a
    /// hidden input, a checkbox and a filled-in field; a mutation; a Meta event; an exception;
    /// and an `$identify`, which keeps its user.
    #[test]
    fn the_shared_event_vectors_hold() {
        let rules = defaults();
        for vector in vectors().events {
            let mut event = vector.input.clone();
            let changed = rules.scrub_event(&mut event);
            assert_eq!(event, vector.out, "event {}", vector.input);
            assert_eq!(changed, vector.input != vector.out, "event {}", vector.input);
            assert!(!rules.scrub_event(&mut event), "a scrubbed event stays as it is: {event}");
        }
    }

    #[test]
    fn a_project_chooses_its_patterns_and_parameters() {
        let none = PrivacyRules::new(MaskText::None, &[], &["ORD-[0-9]{6}".to_string()]).unwrap();
        assert_eq!(none.mask_text("ada@example.com ORD-123456"), "ada@example.com **********");
        assert_eq!(none.scrub_url_params("/?token=abc"), "/?token=abc", "an empty deny list scrubs nothing");
        let own = PrivacyRules::new(MaskText::Sensitive, &[" Plan ".to_string()], &[]).unwrap();
        assert_eq!(own.scrub_url_params("/?token=abc&PLAN=pro"), "/?token=abc&PLAN=redacted");
        let error = PrivacyRules::new(MaskText::Sensitive, &[], &["(".to_string()]).unwrap_err();
        assert!(error.to_string().starts_with("text pattern \"(\" is not a regular expression"), "{error}");
    }

    #[test]
    fn escaped_json_cannot_hide_a_parameter() {
        let rules = defaults();
        let text = r#"{"type":4,"timestamp":1,"data":{"href":"https://a.example/\u003freset\u005ftoken=abc"}}"#;
        let mut event: Value = serde_json::from_str(text).unwrap();
        assert!(rules.scrub_event(&mut event));
        assert_eq!(event["data"]["href"], "https://a.example/?reset_token=redacted");
    }
}
