use super::*;
use serde_json::json;

fn labels_of(tree: Value) -> NodeLabels {
    let mut labels = NodeLabels::default();
    labels.add_tree(&tree, None);
    labels
}

fn named(labels: &NodeLabels, id: i64) -> (String, String, &'static str) {
    let named = labels.name(id);
    (named.target, named.label, named.element)
}

#[test]
fn click_inside_a_button_names_the_button() {
    let labels = labels_of(json!({"type": 0, "id": 1, "childNodes": [
        {"type": 2, "id": 2, "tagName": "BUTTON", "attributes": {"id": "save"}, "childNodes": [
            {"type": 2, "id": 3, "tagName": "span", "attributes": {}, "childNodes": [
                {"type": 3, "id": 4, "textContent": "  Save   changes "}]}]},
        {"type": 2, "id": 5, "tagName": "input", "attributes": {"type": "password", "id": "password", "value": "********"}, "childNodes": []},
        {"type": 2, "id": 6, "tagName": "div", "attributes": {"class": "x"}, "childNodes": []}]}));
    assert_eq!(labels.target(4), "button#save \"Save changes\"");
    assert_eq!(labels.target(3), "button#save \"Save changes\"");
    assert_eq!(labels.target(5), "input[type=password]#password");
    assert_eq!(labels.target(6), "div");
    assert_eq!(labels.target(99), "node #99");
    assert_eq!(named(&labels, 4), ("button#save \"Save changes\"".into(), "Save changes".into(), "button"));
    assert_eq!(named(&labels, 5).1, "", "a value, masked or not, is never a label");
    assert_eq!(named(&labels, 99), ("node #99".into(), String::new(), ""));
}

#[test]
fn text_is_read_in_document_order() {
    let labels = labels_of(json!({"type": 2, "id": 1, "tagName": "a", "attributes": {}, "childNodes": [
        {"type": 3, "id": 2, "textContent": "one"},
        {"type": 2, "id": 3, "tagName": "b", "attributes": {}, "childNodes": [
            {"type": 3, "id": 4, "textContent": "two"}, {"type": 3, "id": 5, "textContent": "three"}]},
        {"type": 3, "id": 6, "textContent": "four"}]}));
    assert_eq!(labels.target(2), "a \"one two three four\"");
    assert_eq!(named(&labels, 2).2, "link");
}

#[test]
fn mutations_add_nodes() {
    let mut labels = NodeLabels::default();
    labels.add_mutations(&json!({"adds": [{"parentId": 1, "node": {"type": 2, "id": 7, "tagName": "a",
        "attributes": {"href": "/two"}, "childNodes": [{"type": 3, "id": 8, "textContent": "Page two"}]}}]}));
    assert_eq!(labels.target(8), "a \"Page two\"");
    assert_eq!(labels.name(8).label, "Page two");
}

/// The signup form of demo/index.html as rrweb serializes it: `<label for>` before the
/// fields, a checkbox inside its label, a select with its mask as value.
fn signup_form() -> Value {
    let label = |id: i64, target: &str, text: &str| {
        json!({"type": 2, "id": id, "tagName": "label", "attributes": {"for": target},
            "childNodes": [{"type": 3, "id": id + 1, "textContent": text}]})
    };
    json!({"type": 2, "id": 60, "tagName": "form", "attributes": {"id": "signup"}, "childNodes": [
        label(64, "name", "Full name"),
        {"type": 2, "id": 67, "tagName": "input", "attributes": {"id": "name", "name": "name", "type": "text", "placeholder": "Jane Doe"}, "childNodes": []},
        label(69, "password", "Password"),
        {"type": 2, "id": 72, "tagName": "input", "attributes": {"id": "password", "name": "password", "type": "password"}, "childNodes": []},
        {"type": 2, "id": 77, "tagName": "select", "attributes": {"id": "plan", "name": "plan", "value": "********"}, "childNodes": [
            {"type": 2, "id": 79, "tagName": "option", "attributes": {"value": "starter"}, "childNodes": [{"type": 3, "id": 80, "textContent": "Starter"}]}]},
        label(74, "plan", "Plan"),
        {"type": 2, "id": 92, "tagName": "textarea", "attributes": {"id": "notes", "name": "notes", "placeholder": "Leave at the back door"}, "childNodes": []},
        {"type": 2, "id": 94, "tagName": "label", "attributes": {"class": "inline"}, "childNodes": [
            {"type": 2, "id": 95, "tagName": "input", "attributes": {"id": "subscribe", "name": "subscribe", "type": "checkbox"}, "childNodes": []},
            {"type": 3, "id": 96, "textContent": " Send me the weekly newsletter"}]},
        {"type": 2, "id": 100, "tagName": "button", "attributes": {"id": "submit", "type": "submit"}, "childNodes": [{"type": 3, "id": 101, "textContent": "Create account"}]},
        {"type": 2, "id": 102, "tagName": "input", "attributes": {"type": "search", "aria-label": "Search the shop", "placeholder": "Search"}, "childNodes": []},
        {"type": 2, "id": 103, "tagName": "input", "attributes": {"type": "email", "name": "email"}, "childNodes": []},
        {"type": 2, "id": 104, "tagName": "input", "attributes": {"type": "submit", "value": "Send"}, "childNodes": []},
        {"type": 2, "id": 105, "tagName": "a", "attributes": {"href": "/x", "title": "Close"}, "childNodes": [
            {"type": 2, "id": 106, "tagName": "img", "attributes": {"alt": "close icon"}, "childNodes": []}]},
        {"type": 2, "id": 107, "tagName": "p", "attributes": {"class": "sensitive pb-mask"}, "childNodes": [{"type": 3, "id": 108, "textContent": "**** ****** ** ****"}]},
        {"type": 2, "id": 109, "tagName": "div", "attributes": {"contenteditable": "true", "aria-label": "Comment"}, "childNodes": []}]})
}

#[test]
fn a_fields_label_comes_from_its_label_element_then_its_own_attributes() {
    let labels = labels_of(signup_form());
    let cases: [(i64, &str, &str); 14] = [
        (67, "Full name", "field"),
        (72, "Password", "field"),
        (77, "Plan", "select"),
        (80, "Plan", "select"),
        (92, "Leave at the back door", "field"),
        (95, "Send me the weekly newsletter", "checkbox"),
        (96, "Send me the weekly newsletter", "label"),
        (65, "Full name", "label"),
        (101, "Create account", "button"),
        (102, "Search the shop", "field"),
        (103, "email", "field"),
        (104, "Send", "button"),
        (106, "Close", "link"),
        (109, "Comment", "field"),
    ];
    for (id, label, element) in cases {
        let named = labels.name(id);
        assert_eq!((named.label.as_str(), named.element), (label, element), "node {id}: {named:?}");
    }
    assert_eq!(labels.target(77), "select#plan", "the target stays the description");
    let masked = labels.name(108);
    assert_eq!((masked.label.as_str(), masked.element), ("", "text"), "masked text is no label");
}

#[test]
fn the_page_title_is_the_first_title_of_the_snapshot() {
    let mut labels = labels_of(json!({"type": 0, "id": 1, "childNodes": [
        {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
            {"type": 2, "id": 3, "tagName": "head", "attributes": {}, "childNodes": [
                {"type": 2, "id": 4, "tagName": "title", "attributes": {}, "childNodes": [
                    {"type": 3, "id": 5, "textContent": "Shipping &  returns · Acme Store"}]}]},
            {"type": 2, "id": 6, "tagName": "body", "attributes": {}, "childNodes": [
                {"type": 2, "id": 7, "tagName": "svg", "attributes": {}, "childNodes": [
                    {"type": 2, "id": 8, "tagName": "title", "attributes": {}, "childNodes": [
                        {"type": 3, "id": 9, "textContent": "an icon"}]}]}]}]}]}));
    assert_eq!(labels.page_title(), Some("Shipping & returns · Acme Store"));
    labels.clear();
    assert_eq!(labels.page_title(), None);
    let long = "word ".repeat(100);
    let labels = labels_of(json!({"type": 2, "id": 4, "tagName": "title", "attributes": {}, "childNodes": [
        {"type": 3, "id": 5, "textContent": long}]}));
    assert_eq!(labels.page_title().map(|title| title.chars().count()), Some(MAX_TITLE));
}

#[test]
fn long_labels_are_cut_at_a_character() {
    let text = "é".repeat(100);
    let labels = labels_of(json!({"type": 2, "id": 1, "tagName": "button", "attributes": {}, "childNodes": [
        {"type": 3, "id": 2, "textContent": text}]}));
    let named = labels.name(2);
    assert_eq!(named.label.chars().count(), MAX_LABEL);
    assert!(named.label.ends_with('…'));
    assert_eq!(named.target, format!("button \"{}…\"", "é".repeat(MAX_TEXT - 1)));
}
