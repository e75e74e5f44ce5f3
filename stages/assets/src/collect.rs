//! Which URLs of a recording define its appearance: stylesheets, fonts, images, posters, icons.
//!
//! [`collect`] reads a batch's rrweb events (FullSnapshot nodes, Mutation adds, attributes and
//! texts, StyleSheetRule, StyleDeclaration and AdoptedStyleSheet rules, Meta hrefs) and returns
//! the resolved URLs with their [`AssetKind`]. The player rewrites exactly the same set, so the
//! rules here follow the shared asset contract to the letter:
//! - `link` `href` for `rel` stylesheet / icon / apple-touch-icon / mask-icon, or `rel=preload`
//!   with `as` style / font / image, unless the link carries rrweb's inlined `_cssText`, whose
//!   URLs count instead;
//! - `img` `src` and `srcset`, `source` `srcset` (and `src` with an `image/*` type),
//!   `input[type=image]` `src`, `video` `poster`, SVG `image` / `use` `href` and `xlink:href`;
//! - `url()` and `@import` in `style` attributes (strings or rrweb's style-diff objects),
//!   `_cssText`, style text nodes and the CSS of rule events (StyleSheetRule adds and its
//!   `replace` / `replaceSync` sheet text, StyleDeclaration values, AdoptedStyleSheet rules).
//!
//! An attribute mutation counts only the URL attributes it sets, read with what the element is
//! by then (its `rel`, `as`, `type`, inlined CSS); a `<base href>` moves the base when a snapshot
//! or an added node carries it.
//!
//! Only `http:` and `https:` URLs count; each is resolved against the window's base (its latest
//! Meta `href`, overridden by a `<base href>` of the snapshot) and keyed without its fragment.
//! The state that a later batch needs (the base, and the elements whose attributes decide what
//! a mutation means) is kept per window in a [`Window`], bounded in size.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value};
use url::Url;

use crate::css::{self, RefKind};

/// What a URL is used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssetKind {
    /// A stylesheet (`link rel=stylesheet`, `@import`): its own imports and `url()`s are fetched.
    Stylesheet,
    /// A font, an image, a poster, an icon.
    Other,
}

/// The asset URLs of a batch, by resolved URL; a URL used both ways is a stylesheet.
pub type Collected = BTreeMap<String, AssetKind>;

/// Elements tracked per window at most; past it, attribute mutations of new elements are read
/// as if their tag were unknown (only `style` counts).
const MAX_TRACKED_NODES: usize = 100_000;

/// Tags whose attributes decide which of their URLs count.
const TRACKED_TAGS: [&str; 8] = ["link", "img", "source", "input", "video", "image", "use", "style"];

/// The attributes that say what an element's URL attributes are: kept for later mutations.
const FACTS: [&str; 3] = ["rel", "as", "type"];

/// An element whose attributes matter for later mutations.
#[derive(Debug, Clone, Default)]
struct Tracked {
    tag: String,
    /// Its string attributes, `_cssText` and `style` left out (only [`FACTS`] once tracked).
    attributes: BTreeMap<String, String>,
    inlined_css: bool,
}

impl Tracked {
    /// What is kept of it between events.
    fn facts(&self) -> Tracked {
        let attributes = self
            .attributes
            .iter()
            .filter(|(name, _)| FACTS.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        Tracked { tag: self.tag.clone(), attributes, inlined_css: self.inlined_css }
    }
}

/// What is known about one window (tab) between batches.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// The document's URL, from the latest Meta event.
    meta_href: Option<Url>,
    /// A `<base href>` of the current document, resolved against `meta_href`.
    base_href: Option<Url>,
    nodes: HashMap<i64, Tracked>,
    /// Text nodes inside `<style>` elements.
    style_texts: HashSet<i64>,
}

impl Window {
    /// A window whose document is at `base` (for tests and for a base known from elsewhere).
    pub fn at(base: &str) -> Window {
        Window { meta_href: Url::parse(base).ok(), ..Window::default() }
    }

    /// The base URL relative references resolve against now.
    pub fn base(&self) -> Option<&Url> {
        self.base_href.as_ref().or(self.meta_href.as_ref())
    }

    fn track(&mut self, id: i64, tracked: Tracked) {
        if self.nodes.len() < MAX_TRACKED_NODES || self.nodes.contains_key(&id) {
            self.nodes.insert(id, tracked);
        }
    }
}

/// The asset URLs of `events` (one batch, in order) for a window in state `window`, which the
/// Meta, snapshot and mutation events update.
pub fn collect(events: &[Value], window: &mut Window) -> Collected {
    let mut found = Collected::new();
    for event in events {
        let data = event.get("data");
        match (event.get("type").and_then(Value::as_u64), data) {
            (Some(4), Some(data)) => {
                let href = data.get("href").and_then(Value::as_str);
                window.meta_href = href.and_then(|href| Url::parse(href).ok());
                window.base_href = None;
            }
            (Some(2), Some(data)) => {
                window.nodes.clear();
                window.style_texts.clear();
                window.base_href = None;
                if let Some(node) = data.get("node") {
                    if let Some(href) = first_base_href(node) {
                        window.base_href = resolve_url(window.meta_href.as_ref(), &href);
                    }
                    walk(node, None, window, &mut found);
                }
            }
            (Some(3), Some(data)) => incremental(data, window, &mut found),
            _ => {}
        }
    }
    found
}

fn incremental(data: &Value, window: &mut Window, found: &mut Collected) {
    match data.get("source").and_then(Value::as_u64) {
        Some(0) => mutation(data, window, found),
        Some(8) => {
            for add in array(data, "adds") {
                css_text(add.get("rule"), window, found);
            }
            css_text(data.get("replace"), window, found);
            css_text(data.get("replaceSync"), window, found);
        }
        Some(13) => {
            if let Some(set) = data.get("set") {
                css_text(set.get("value"), window, found);
            }
        }
        Some(15) => {
            for style in array(data, "styles") {
                for rule in array(style, "rules") {
                    css_text(rule.get("rule"), window, found);
                }
            }
        }
        _ => {}
    }
}

fn mutation(data: &Value, window: &mut Window, found: &mut Collected) {
    for removed in array(data, "removes") {
        if let Some(id) = removed.get("id").and_then(Value::as_i64) {
            window.nodes.remove(&id);
            window.style_texts.remove(&id);
        }
    }
    // rrweb may list a child before its parent: added elements are known before any is read.
    for add in array(data, "adds") {
        let Some(node) = add.get("node") else {
            continue;
        };
        if let (Some(2), Some(id)) = (node.get("type").and_then(Value::as_u64), node.get("id").and_then(Value::as_i64))
        {
            let element = element(node);
            if TRACKED_TAGS.contains(&element.tag.as_str()) {
                window.track(id, element.facts());
            }
        }
    }
    for add in array(data, "adds") {
        let parent_tag = add
            .get("parentId")
            .and_then(Value::as_i64)
            .and_then(|parent| window.nodes.get(&parent))
            .map(|parent| parent.tag.clone());
        if let Some(node) = add.get("node") {
            if let Some(href) = first_base_href(node) {
                window.base_href = resolve_url(window.meta_href.as_ref(), &href);
            }
            walk(node, parent_tag.as_deref(), window, found);
        }
    }
    for text in array(data, "texts") {
        let is_style = text.get("id").and_then(Value::as_i64).is_some_and(|id| window.style_texts.contains(&id));
        if is_style {
            css_text(text.get("value"), window, found);
        }
    }
    for change in array(data, "attributes") {
        let Some(attributes) = change.get("attributes").and_then(Value::as_object) else {
            continue;
        };
        if let Some(style) = attributes.get("style") {
            style_attribute(style, window, found);
        }
        css_text(attributes.get("_cssText"), window, found);
        let Some(id) = change.get("id").and_then(Value::as_i64) else {
            continue;
        };
        let Some(mut tracked) = window.nodes.get(&id).cloned() else {
            continue;
        };
        // What the element is (its rel, as, type, inlined CSS) after the change; only the URLs
        // of the attributes the mutation sets count, as the player rewrites only those.
        let mut changed = BTreeMap::new();
        for (name, value) in attributes {
            match (name.as_str(), value) {
                ("style", _) => {}
                ("_cssText", value) => tracked.inlined_css = value.is_string(),
                (_, Value::String(text)) => {
                    if FACTS.contains(&name.as_str()) {
                        tracked.attributes.insert(name.clone(), text.clone());
                    }
                    changed.insert(name.clone(), text.clone());
                }
                (_, _) => {
                    tracked.attributes.remove(name);
                }
            }
        }
        let mut view = tracked.clone();
        view.attributes.extend(changed);
        element_urls(&view, window, found);
        window.track(id, tracked);
    }
}

/// The `href` of the first `<base>` element with one in `node`'s tree, in document order.
fn first_base_href(node: &Value) -> Option<String> {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if node.get("type").and_then(Value::as_u64) == Some(2)
            && node.get("tagName").and_then(Value::as_str).is_some_and(|tag| tag.eq_ignore_ascii_case("base"))
        {
            let href = node.get("attributes").and_then(|attributes| attributes.get("href")).and_then(Value::as_str);
            if let Some(href) = href.filter(|href| !href.trim().is_empty()) {
                return Some(href.to_string());
            }
        }
        for child in array(node, "childNodes").iter().rev() {
            stack.push(child);
        }
    }
    None
}

/// Visits a serialised node and its children (in document order), collecting their URLs and
/// tracking the elements later mutations refer to.
fn walk(node: &Value, parent_tag: Option<&str>, window: &mut Window, found: &mut Collected) {
    let mut stack: Vec<(&Value, Option<String>)> = vec![(node, parent_tag.map(str::to_string))];
    while let Some((node, parent_tag)) = stack.pop() {
        let id = node.get("id").and_then(Value::as_i64);
        let mut tag = None;
        match node.get("type").and_then(Value::as_u64) {
            Some(2) => {
                let element = element(node);
                if let Some(style) = node.get("attributes").and_then(|attributes| attributes.get("style")) {
                    style_attribute(style, window, found);
                }
                let inlined = node.get("attributes").and_then(|attributes| attributes.get("_cssText"));
                css_text(inlined, window, found);
                element_urls(&element, window, found);
                if let Some(id) = id {
                    if TRACKED_TAGS.contains(&element.tag.as_str()) {
                        window.track(id, element.facts());
                    }
                }
                tag = Some(element.tag);
            }
            Some(3) => {
                let is_style = node.get("isStyle").and_then(Value::as_bool) == Some(true)
                    || parent_tag.as_deref() == Some("style");
                if is_style {
                    css_text(node.get("textContent"), window, found);
                    if let Some(id) = id {
                        window.style_texts.insert(id);
                    }
                }
            }
            _ => {}
        }
        for child in array(node, "childNodes").iter().rev() {
            stack.push((child, tag.clone()));
        }
    }
}

/// The tag (lowercase) and string attributes of a serialised element.
fn element(node: &Value) -> Tracked {
    let tag = node.get("tagName").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let mut tracked = Tracked { tag, ..Tracked::default() };
    if let Some(attributes) = node.get("attributes").and_then(Value::as_object) {
        for (name, value) in attributes {
            match (name.as_str(), value) {
                ("style", _) => {}
                ("_cssText", value) => tracked.inlined_css = value.is_string(),
                (_, Value::String(text)) => {
                    tracked.attributes.insert(name.clone(), text.clone());
                }
                _ => {}
            }
        }
    }
    tracked
}

/// The URLs an element's own attributes name, by its tag.
fn element_urls(element: &Tracked, window: &Window, found: &mut Collected) {
    let attribute = |name: &str| element.attributes.get(name).map(String::as_str);
    let base = window.base();
    match element.tag.as_str() {
        "link" if !element.inlined_css => {
            let rel = attribute("rel").unwrap_or_default().to_ascii_lowercase();
            let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
            let as_value = attribute("as").unwrap_or_default().trim().to_ascii_lowercase();
            let stylesheet = rels.contains(&"stylesheet") || (rels.contains(&"preload") && as_value == "style");
            let other = rels.iter().any(|rel| matches!(*rel, "icon" | "apple-touch-icon" | "mask-icon"))
                || (rels.contains(&"preload") && matches!(as_value.as_str(), "font" | "image"));
            if stylesheet || other {
                let kind = if stylesheet { AssetKind::Stylesheet } else { AssetKind::Other };
                add(found, base, attribute("href"), kind);
            }
        }
        "img" => {
            add(found, base, attribute("src"), AssetKind::Other);
            srcset(found, base, attribute("srcset"));
        }
        "source" => {
            srcset(found, base, attribute("srcset"));
            if attribute("type").is_some_and(|kind| kind.trim().to_ascii_lowercase().starts_with("image/")) {
                add(found, base, attribute("src"), AssetKind::Other);
            }
        }
        "input" if attribute("type").is_some_and(|kind| kind.trim().eq_ignore_ascii_case("image")) => {
            add(found, base, attribute("src"), AssetKind::Other);
        }
        "video" => add(found, base, attribute("poster"), AssetKind::Other),
        "image" => {
            add(found, base, attribute("href"), AssetKind::Other);
            add(found, base, attribute("xlink:href"), AssetKind::Other);
        }
        "use" => {
            for name in ["href", "xlink:href"] {
                if attribute(name).is_some_and(|value| !value.trim().starts_with('#')) {
                    add(found, base, attribute(name), AssetKind::Other);
                }
            }
        }
        _ => {}
    }
}

/// A `style` attribute: CSS text, or rrweb's style-diff object of property -> value,
/// [value, priority] or `false` (removed).
fn style_attribute(style: &Value, window: &Window, found: &mut Collected) {
    match style {
        Value::String(_) => css_text(Some(style), window, found),
        Value::Object(properties) => style_diff(properties, window, found),
        _ => {}
    }
}

fn style_diff(properties: &Map<String, Value>, window: &Window, found: &mut Collected) {
    for value in properties.values() {
        match value {
            Value::String(_) => css_text(Some(value), window, found),
            Value::Array(parts) => css_text(parts.first(), window, found),
            _ => {}
        }
    }
}

/// The references of a CSS text value (when it is a string), resolved against the base.
fn css_text(text: Option<&Value>, window: &Window, found: &mut Collected) {
    let Some(text) = text.and_then(Value::as_str) else {
        return;
    };
    for reference in css::scan(text.as_bytes()) {
        let kind = match reference.kind {
            RefKind::Import => AssetKind::Stylesheet,
            RefKind::Url => AssetKind::Other,
        };
        add(found, window.base(), Some(&reference.value), kind);
    }
}

/// The candidates' URLs of a `srcset` (HTML's parsing algorithm: a URL, then descriptors up
/// to a comma outside parentheses; a URL ending in commas has no descriptors).
fn srcset(found: &mut Collected, base: Option<&Url>, value: Option<&str>) {
    for candidate in srcset_urls(value.unwrap_or_default()) {
        add(found, base, Some(candidate), AssetKind::Other);
    }
}

/// The URLs of the candidates of a `srcset` value.
pub fn srcset_urls(value: &str) -> Vec<&str> {
    let bytes = value.as_bytes();
    let mut urls = Vec::new();
    let mut at = 0;
    loop {
        while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b',') {
            at += 1;
        }
        if at >= bytes.len() {
            return urls;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let mut end = at;
        let trailing_commas = end > start && bytes[end - 1] == b',';
        while end > start && bytes[end - 1] == b',' {
            end -= 1;
        }
        if end > start {
            urls.push(&value[start..end]);
        }
        if trailing_commas {
            continue;
        }
        let mut depth = 0;
        while at < bytes.len() {
            match bytes[at] {
                b'(' => depth += 1,
                b')' if depth > 0 => depth -= 1,
                b',' if depth == 0 => break,
                _ => {}
            }
            at += 1;
        }
    }
}

fn add(found: &mut Collected, base: Option<&Url>, raw: Option<&str>, kind: AssetKind) {
    let Some(url) = raw.and_then(|raw| resolve(base, raw)) else {
        return;
    };
    let entry = found.entry(url).or_insert(kind);
    *entry = (*entry).min(kind);
}

/// `raw` resolved against `base` with the WHATWG URL parser, fragment removed, when it is an
/// `http:` or `https:` URL: the key of an asset.
pub fn resolve(base: Option<&Url>, raw: &str) -> Option<String> {
    resolve_url(base, raw).map(String::from)
}

fn resolve_url(base: Option<&Url>, raw: &str) -> Option<Url> {
    let raw = raw.trim_matches(|character: char| character.is_ascii_whitespace());
    if raw.is_empty() || raw.starts_with('#') {
        return None;
    }
    let mut url = match base {
        Some(base) => base.join(raw).ok()?,
        None => Url::parse(raw).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

#[cfg(test)]
mod tests;
