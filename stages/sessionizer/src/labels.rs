//! Human descriptions of DOM nodes, such as `button "Save"`, for transcript targets.
//!
//! Built from the serialized nodes of FullSnapshot and Mutation events. A window's map lives
//! in memory only: after a restart, targets of nodes seen before it fall back to their tag.

use std::collections::HashMap;

use serde_json::Value;

const MAX_NODES: usize = 50_000;
const MAX_TEXT: usize = 40;
const MAX_ANCESTOR_HOPS: usize = 6;

#[derive(Debug, Clone)]
struct Node {
    parent: Option<i64>,
    /// Lowercase tag for elements; `None` for text and other nodes.
    tag: Option<String>,
    describe: String,
    interactive: bool,
}

/// Node descriptions of one window.
#[derive(Debug, Default)]
pub struct NodeLabels {
    nodes: HashMap<i64, Node>,
}

/// The text nodes under `node`, in document order, words joined by single spaces, until
/// `MAX_TEXT` bytes. Iterative: a snapshot's subtree can be hundreds of levels deep.
fn text_of(node: &Value, out: &mut String) {
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        if out.len() >= MAX_TEXT {
            return;
        }
        if current.get("type").and_then(Value::as_u64) == Some(3) {
            if let Some(text) = current.get("textContent").and_then(Value::as_str) {
                for word in text.split_whitespace() {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(word);
                    if out.len() >= MAX_TEXT {
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
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT {
        return text.to_string();
    }
    let short: String = text.chars().take(MAX_TEXT - 1).collect();
    format!("{short}…")
}

fn describe(node: &Value, tag: &str) -> (String, bool) {
    let attributes = node.get("attributes");
    let attribute = |name: &str| attributes.and_then(|a| a.get(name)).and_then(Value::as_str).unwrap_or("");
    let role = attribute("role");
    let interactive = matches!(tag, "a" | "button" | "input" | "select" | "textarea" | "label" | "summary" | "option")
        || matches!(role, "button" | "link" | "tab" | "menuitem" | "checkbox")
        || !attribute("onclick").is_empty();
    let mut text = String::new();
    if matches!(tag, "a" | "button" | "label" | "summary" | "option" | "h1" | "h2" | "h3" | "li") || role == "button" {
        text_of(node, &mut text);
    }
    let aria = attribute("aria-label");
    let id = attribute("id");
    let mut description = tag.to_string();
    if tag == "input" {
        let kind = attribute("type");
        if !kind.is_empty() {
            description.push_str(&format!("[type={kind}]"));
        }
    }
    if !id.is_empty() && id.len() <= 40 {
        description.push('#');
        description.push_str(id);
    }
    let name = if !aria.is_empty() { aria.to_string() } else { text };
    if !name.is_empty() {
        description.push_str(&format!(" \"{}\"", truncate(&name)));
    }
    (description, interactive)
}

impl NodeLabels {
    /// Records a serialized node and its subtree, under `parent`.
    pub fn add_tree(&mut self, node: &Value, parent: Option<i64>) {
        let mut stack = vec![(node, parent)];
        while let Some((current, parent_id)) = stack.pop() {
            if self.nodes.len() >= MAX_NODES {
                return;
            }
            let Some(id) = current.get("id").and_then(Value::as_i64) else { continue };
            let tag = current.get("tagName").and_then(Value::as_str).map(str::to_ascii_lowercase);
            let (describe, interactive) = match &tag {
                Some(tag) => describe(current, tag),
                None => (String::new(), false),
            };
            self.nodes.insert(id, Node { parent: parent_id, tag, describe, interactive });
            if let Some(children) = current.get("childNodes").and_then(Value::as_array) {
                for child in children {
                    stack.push((child, Some(id)));
                }
            }
        }
    }

    /// Forgets every node: a FullSnapshot rebuilds the page.
    pub fn clear(&mut self) {
        self.nodes.clear();
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

    /// The description of the clicked node: its nearest interactive ancestor when there is
    /// one close by, else the node itself, else `#id`.
    pub fn target(&self, id: i64) -> String {
        let mut current = Some(id);
        for _ in 0..MAX_ANCESTOR_HOPS {
            let Some(node) = current.and_then(|node_id| self.nodes.get(&node_id)) else { break };
            if node.interactive {
                return node.describe.clone();
            }
            current = node.parent;
        }
        match self.nodes.get(&id) {
            Some(node) if node.tag.is_some() => node.describe.clone(),
            Some(node) => node
                .parent
                .and_then(|parent| self.nodes.get(&parent))
                .map(|parent| parent.describe.clone())
                .unwrap_or_else(|| format!("node #{id}")),
            None => format!("node #{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn click_inside_a_button_names_the_button() {
        let tree = json!({"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "BUTTON", "attributes": {"id": "save"}, "childNodes": [
                {"type": 2, "id": 3, "tagName": "span", "attributes": {}, "childNodes": [
                    {"type": 3, "id": 4, "textContent": "  Save   changes "}]}]},
            {"type": 2, "id": 5, "tagName": "input", "attributes": {"type": "password", "id": "password", "value": "********"}, "childNodes": []},
            {"type": 2, "id": 6, "tagName": "div", "attributes": {"class": "x"}, "childNodes": []}]});
        let mut labels = NodeLabels::default();
        labels.add_tree(&tree, None);
        assert_eq!(labels.target(4), "button#save \"Save changes\"");
        assert_eq!(labels.target(3), "button#save \"Save changes\"");
        assert_eq!(labels.target(5), "input[type=password]#password");
        assert_eq!(labels.target(6), "div");
        assert_eq!(labels.target(99), "node #99");
    }

    #[test]
    fn text_is_read_in_document_order() {
        let tree = json!({"type": 2, "id": 1, "tagName": "a", "attributes": {}, "childNodes": [
            {"type": 3, "id": 2, "textContent": "one"},
            {"type": 2, "id": 3, "tagName": "b", "attributes": {}, "childNodes": [
                {"type": 3, "id": 4, "textContent": "two"}, {"type": 3, "id": 5, "textContent": "three"}]},
            {"type": 3, "id": 6, "textContent": "four"}]});
        let mut labels = NodeLabels::default();
        labels.add_tree(&tree, None);
        assert_eq!(labels.target(2), "a \"one two three four\"");
    }

    #[test]
    fn mutations_add_nodes() {
        let mut labels = NodeLabels::default();
        labels.add_mutations(&json!({"adds": [{"parentId": 1, "node": {"type": 2, "id": 7, "tagName": "a",
            "attributes": {"href": "/two"}, "childNodes": [{"type": 3, "id": 8, "textContent": "Page two"}]}}]}));
        assert_eq!(labels.target(8), "a \"Page two\"");
    }
}
