//! What a clicked or changed DOM node is, for the transcript: a description such as
//! `button#save "Save"` (the event's `target`), a human label such as `Save` or `Password`,
//! and the kind of element (`button`, `field`, `link`, `checkbox`, …); and the page's title.
//!
//! Built from the serialized nodes of FullSnapshot and Mutation events. A window's map lives
//! in memory only: after a restart, nodes seen before it have no label and fall back to
//! `node #id`.
//!
//! A node's label is, in order: the text of its `<label for=id>` or of the `<label>` around
//! it, its own text, `aria-label`, `placeholder`, `name`, `title` (or an image's `alt`). An
//! input's value is never read, and text that the recorder masked (all `*`) is no label.

use std::collections::HashMap;

use serde_json::Value;

const MAX_NODES: usize = 50_000;
/// The longest text kept in a description.
const MAX_TEXT: usize = 40;
/// The longest label.
const MAX_LABEL: usize = 60;
const MAX_TITLE: usize = 200;
const MAX_ANCESTOR_HOPS: usize = 6;

#[derive(Debug, Clone)]
struct Node {
    parent: Option<i64>,
    /// Lowercase tag for elements; `None` for text and other nodes.
    tag: Option<String>,
    describe: String,
    interactive: bool,
    element: &'static str,
    /// The label from the node's own text and attributes; empty when it has none.
    own_label: String,
    /// The `id` attribute of a form control, for `<label for>`.
    html_id: Option<String>,
}

/// A node as the transcript names it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Named {
    /// A description of the element, such as `input[type=password]#password`.
    pub target: String,
    /// The human label, such as `Password`; empty when the element has none.
    pub label: String,
    /// `button`, `link`, `field`, `checkbox`, `radio`, `select`, `label`, `option`, `tab`,
    /// `menuitem`, `text`, `image`, or empty.
    pub element: &'static str,
}

/// Node descriptions of one window.
#[derive(Debug, Default)]
pub struct NodeLabels {
    nodes: HashMap<i64, Node>,
    /// `<label for=…>` nodes by the id they name.
    labels_for: HashMap<String, i64>,
    /// The text of the page's first `<title>`.
    title: Option<String>,
}

/// The text nodes under `node`, in document order, words joined by single spaces, until
/// `max` bytes. Text masked by the recorder (words of `*`) is left out. Iterative: a
/// snapshot's subtree can be hundreds of levels deep.
fn text_of(node: &Value, max: usize) -> String {
    let mut out = String::new();
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        if out.len() >= max {
            break;
        }
        if current.get("type").and_then(Value::as_u64) == Some(3) {
            if let Some(text) = current.get("textContent").and_then(Value::as_str) {
                for word in text.split_whitespace().filter(|word| !is_masked(word)) {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(word);
                    if out.len() >= max {
                        break;
                    }
                }
            }
            continue;
        }
        if let Some(children) = current.get("childNodes").and_then(Value::as_array) {
            // Reversed, so that the first child is taken next.
            for child in children.iter().rev() {
                stack.push(child);
            }
        }
    }
    out
}

/// Text the recorder masked: nothing but `*`.
fn is_masked(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c == '*')
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let short: String = text.chars().take(max - 1).collect();
    format!("{short}…")
}

/// The kind of element, as titles name it.
fn element_kind(tag: &str, role: &str, input_type: &str, editable: bool) -> &'static str {
    match (tag, role) {
        (_, "button") => "button",
        (_, "link") => "link",
        (_, "checkbox" | "switch") => "checkbox",
        (_, "radio") => "radio",
        (_, "combobox" | "listbox") => "select",
        (_, "textbox" | "searchbox") => "field",
        (_, "tab") => "tab",
        (_, "menuitem") => "menuitem",
        ("a", _) => "link",
        ("button" | "summary", _) => "button",
        ("select", _) => "select",
        ("textarea", _) => "field",
        ("label", _) => "label",
        ("option", _) => "option",
        ("img" | "svg" | "picture", _) => "image",
        ("input", _) => match input_type {
            "checkbox" => "checkbox",
            "radio" => "radio",
            "submit" | "button" | "reset" | "image" => "button",
            _ => "field",
        },
        _ if editable => "field",
        (
            "p" | "span" | "strong" | "em" | "b" | "i" | "small" | "li" | "td" | "th" | "dt" | "dd" | "code"
            | "figcaption" | "legend" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6",
            _,
        ) => "text",
        _ => "",
    }
}

/// Tags whose text names them.
fn text_names(tag: &str, element: &str) -> bool {
    matches!(element, "button" | "link" | "label" | "option" | "tab" | "menuitem" | "text" | "checkbox" | "radio")
        && !matches!(tag, "input" | "select" | "textarea")
}

/// The description, interactivity, element kind and own label of an element.
fn describe(node: &Value, tag: &str) -> (String, bool, &'static str, String) {
    let attributes = node.get("attributes");
    let attribute = |name: &str| attributes.and_then(|a| a.get(name)).and_then(Value::as_str).unwrap_or("");
    let role = attribute("role");
    let input_type = attribute("type").to_ascii_lowercase();
    let editable = attributes.and_then(|a| a.get("contenteditable")).is_some_and(|value| value != "false");
    let element = element_kind(tag, role, &input_type, editable);
    let interactive = matches!(tag, "a" | "button" | "input" | "select" | "textarea" | "label" | "summary" | "option")
        || matches!(role, "button" | "link" | "tab" | "menuitem" | "checkbox" | "switch" | "radio" | "textbox")
        || editable
        || !attribute("onclick").is_empty();
    let text = if text_names(tag, element) { text_of(node, MAX_LABEL + 1) } else { String::new() };
    let button_value =
        if tag == "input" && element == "button" { attribute("value").to_string() } else { String::new() };
    let aria = attribute("aria-label");
    let id = attribute("id");
    let mut description = tag.to_string();
    if tag == "input" && !input_type.is_empty() {
        description.push_str(&format!("[type={input_type}]"));
    }
    if !id.is_empty() && id.len() <= 40 {
        description.push('#');
        description.push_str(id);
    }
    // The description names only what it always named, so targets stay as they were.
    let described_text =
        matches!(tag, "a" | "button" | "label" | "summary" | "option" | "h1" | "h2" | "h3" | "li") || role == "button";
    let described_by = match (aria.is_empty(), described_text) {
        (false, _) => aria.to_string(),
        (true, true) => text.clone(),
        (true, false) => String::new(),
    };
    if !described_by.is_empty() {
        description.push_str(&format!(" \"{}\"", truncate(&described_by, MAX_TEXT)));
    }
    let candidates = [
        text.as_str(),
        button_value.as_str(),
        aria,
        attribute("placeholder"),
        attribute("name"),
        attribute("title"),
        attribute("alt"),
    ];
    let own_label = candidates
        .iter()
        .map(|candidate| candidate.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|candidate| !candidate.is_empty() && !is_masked(candidate))
        .map(|label| truncate(&label, MAX_LABEL))
        .unwrap_or_default();
    (description, interactive, element, own_label)
}

impl NodeLabels {
    /// Records a serialized node and its subtree, under `parent`, in document order.
    pub fn add_tree(&mut self, node: &Value, parent: Option<i64>) {
        let mut stack = vec![(node, parent)];
        while let Some((current, parent_id)) = stack.pop() {
            if self.nodes.len() >= MAX_NODES {
                return;
            }
            let Some(id) = current.get("id").and_then(Value::as_i64) else { continue };
            let tag = current.get("tagName").and_then(Value::as_str).map(str::to_ascii_lowercase);
            let mut record = Node {
                parent: parent_id,
                tag: None,
                describe: String::new(),
                interactive: false,
                element: "",
                own_label: String::new(),
                html_id: None,
            };
            if let Some(tag) = &tag {
                self.note_special(current, tag, id);
                let (describe, interactive, element, own_label) = describe(current, tag);
                let html_id = current.get("attributes").and_then(|a| a.get("id")).and_then(Value::as_str);
                record = Node {
                    describe,
                    interactive,
                    element,
                    own_label,
                    html_id: html_id
                        .filter(|_| matches!(tag.as_str(), "input" | "select" | "textarea"))
                        .map(str::to_string),
                    ..record
                };
            }
            record.tag = tag;
            self.nodes.insert(id, record);
            if let Some(children) = current.get("childNodes").and_then(Value::as_array) {
                for child in children.iter().rev() {
                    stack.push((child, Some(id)));
                }
            }
        }
    }

    /// Remembers `<label for>` and the page's first `<title>`.
    fn note_special(&mut self, node: &Value, tag: &str, id: i64) {
        match tag {
            "label" => {
                let target = node.get("attributes").and_then(|a| a.get("for")).and_then(Value::as_str);
                if let Some(target) = target.filter(|target| !target.is_empty()) {
                    self.labels_for.insert(target.to_string(), id);
                }
            }
            "title" if self.title.is_none() => {
                let text = text_of(node, MAX_TITLE + 1);
                self.title = Some(truncate(&text, MAX_TITLE));
            }
            _ => {}
        }
    }

    /// Forgets every node: a FullSnapshot rebuilds the page.
    pub fn clear(&mut self) {
        self.nodes.clear();
        self.labels_for.clear();
        self.title = None;
    }

    /// Applies the `adds` of a Mutation event.
    pub fn add_mutations(&mut self, data: &Value) {
        if let Some(adds) = data.get("adds").and_then(Value::as_array) {
            for add in adds {
                if let Some(node) = add.get("node") {
                    self.add_tree(node, add.get("parentId").and_then(Value::as_i64));
                }
            }
        }
    }

    /// The text of the page's `<title>` in the last snapshot, if it had one.
    pub fn page_title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The node an event on `id` is about: its nearest interactive ancestor when there is one
    /// close by, else the element itself (a text node's parent).
    fn resolve(&self, id: i64) -> Option<(i64, &Node)> {
        let mut current = Some(id);
        for _ in 0..MAX_ANCESTOR_HOPS {
            let Some((node_id, node)) =
                current.and_then(|node_id| self.nodes.get(&node_id).map(|node| (node_id, node)))
            else {
                break;
            };
            if node.interactive {
                return Some(self.select_of_option(node_id, node));
            }
            current = node.parent;
        }
        let node = self.nodes.get(&id)?;
        if node.tag.is_some() {
            return Some((id, node));
        }
        let parent = node.parent?;
        self.nodes.get(&parent).map(|node| (parent, node))
    }

    /// The `<select>` of an option (inside an `<optgroup>` or not): an option's text is the
    /// value chosen, which the recorder masks, so an event on it is named by its select.
    fn select_of_option<'a>(&'a self, node_id: i64, node: &'a Node) -> (i64, &'a Node) {
        if node.tag.as_deref() != Some("option") {
            return (node_id, node);
        }
        let mut current = node.parent;
        for _ in 0..2 {
            let Some((ancestor_id, ancestor)) =
                current.and_then(|ancestor_id| self.nodes.get(&ancestor_id).map(|ancestor| (ancestor_id, ancestor)))
            else {
                break;
            };
            if ancestor.tag.as_deref() == Some("select") {
                return (ancestor_id, ancestor);
            }
            current = ancestor.parent;
        }
        (node_id, node)
    }

    /// The label of a form control from its `<label for>` or the `<label>` around it.
    fn label_element_text(&self, node_id: i64, node: &Node) -> Option<String> {
        if !matches!(node.tag.as_deref(), Some("input" | "select" | "textarea")) {
            return None;
        }
        let by_for = node.html_id.as_ref().and_then(|html_id| self.labels_for.get(html_id));
        if let Some(label) = by_for.and_then(|label_id| self.nodes.get(label_id)) {
            if !label.own_label.is_empty() {
                return Some(label.own_label.clone());
            }
        }
        let mut current = node.parent;
        for _ in 0..MAX_ANCESTOR_HOPS {
            let ancestor = current.and_then(|ancestor_id| self.nodes.get(&ancestor_id))?;
            if ancestor.tag.as_deref() == Some("label") && !ancestor.own_label.is_empty() {
                return Some(ancestor.own_label.clone());
            }
            current = ancestor.parent;
        }
        debug_assert!(self.nodes.contains_key(&node_id));
        None
    }

    /// What an event on node `id` is about: see [`Named`].
    pub fn name(&self, id: i64) -> Named {
        let Some((node_id, node)) = self.resolve(id) else {
            return Named { target: format!("node #{id}"), ..Named::default() };
        };
        let label = self.label_element_text(node_id, node).unwrap_or_else(|| node.own_label.clone());
        Named { target: node.describe.clone(), label, element: node.element }
    }

    /// The description of the node an event on `id` is about.
    #[cfg(test)]
    pub fn target(&self, id: i64) -> String {
        self.name(id).target
    }
}

#[cfg(test)]
mod tests;
