//! The human title of a transcript event, from its kind, name, url, target and props:
//! `Clicked "Password" field`, `Clicked "Add an item"`, `Changed "Plan"`,
//! `Viewed "Checkout · Demo shop"`, `Identified as ada@example.com`, `Error: …`, or a custom
//! event's name. The sessionizer stores what a title needs in the props (`label`, `element`,
//! `page_title`, `user_id`); events stored before it did are named from their target's quoted
//! text, else the target itself. A value typed or chosen is never in the props, so never in a
//! title.

use playback_warehouse::EventKind;
use serde_json::Value;

fn text<'a>(props: &'a Value, key: &str) -> &'a str {
    props.get(key).and_then(Value::as_str).unwrap_or("")
}

/// What a title calls a kind of element, after its label; nothing for a button.
fn element_word(element: &str) -> &'static str {
    match element {
        "field" => " field",
        "checkbox" => " checkbox",
        "radio" => " radio button",
        "select" => " dropdown",
        "link" => " link",
        "tab" => " tab",
        "menuitem" => " menu item",
        "image" => " image",
        _ => "",
    }
}

/// The quoted text of a description such as `button#save "Save"`.
fn quoted_in(target: &str) -> Option<&str> {
    let start = target.find('"')? + 1;
    let end = target.rfind('"')?;
    (end > start).then(|| &target[start..end])
}

/// `"Password" field`, or the target when the element has no label.
fn element_phrase(target: &str, props: &Value) -> String {
    let label = text(props, "label");
    if !label.is_empty() {
        return format!("\"{label}\"{}", element_word(text(props, "element")));
    }
    match quoted_in(target) {
        Some(quoted) => format!("\"{quoted}\""),
        None if target.is_empty() => "an element".to_string(),
        None => target.to_string(),
    }
}

/// The path of a URL, with its query.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = rest.find('/').map_or("/", |index| &rest[index..]);
    path.split('#').next().unwrap_or(path)
}

/// The title of one transcript event.
pub fn title(kind: EventKind, name: &str, url: &str, target: &str, props: &Value) -> String {
    match kind {
        EventKind::PageView => {
            let page_title = text(props, "page_title");
            let shown = if page_title.is_empty() { path_of(url) } else { page_title };
            format!("Viewed \"{shown}\"")
        }
        EventKind::Click => format!("Clicked {}", element_phrase(target, props)),
        EventKind::Input => {
            let label = text(props, "label");
            if label.is_empty() {
                format!("Changed {}", element_phrase(target, props))
            } else {
                format!("Changed \"{label}\"")
            }
        }
        EventKind::RageClick => {
            let clicks = props.get("clicks").and_then(Value::as_u64).unwrap_or(3);
            format!("Rage-clicked {} ({clicks} clicks)", element_phrase(target, props))
        }
        EventKind::DeadClick => format!("Dead click on {}", element_phrase(target, props)),
        EventKind::Exception => format!("Error: {}", if name.is_empty() { "unknown error" } else { name }),
        EventKind::Custom => name.to_string(),
        EventKind::Identify => match text(props, "user_id") {
            "" => "Identified".to_string(),
            user => format!("Identified as {user}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn titles_read_as_words() {
        let field = json!({"label": "Password", "element": "field"});
        let cases: Vec<(EventKind, &str, &str, &str, Value, &str)> = vec![
            (EventKind::Click, "", "", "input[type=password]#password", field.clone(), "Clicked \"Password\" field"),
            (
                EventKind::Click,
                "",
                "",
                "button#add-item \"Add an item\"",
                json!({"label": "Add an item", "element": "button"}),
                "Clicked \"Add an item\"",
            ),
            (
                EventKind::Click,
                "",
                "",
                "a#to-page2 \"Shipping & returns\"",
                json!({"label": "Shipping & returns", "element": "link"}),
                "Clicked \"Shipping & returns\" link",
            ),
            (
                EventKind::Input,
                "",
                "",
                "select#plan",
                json!({"label": "Plan", "element": "select"}),
                "Changed \"Plan\"",
            ),
            (EventKind::Input, "", "", "input#q", json!({"label": "", "element": "field"}), "Changed input#q"),
            (
                EventKind::PageView,
                "",
                "https://shop.test/checkout?step=2#x",
                "",
                json!({"page_title": "Checkout · Demo shop"}),
                "Viewed \"Checkout · Demo shop\"",
            ),
            (
                EventKind::PageView,
                "",
                "https://shop.test/checkout?step=2#x",
                "",
                json!({}),
                "Viewed \"/checkout?step=2\"",
            ),
            (EventKind::Identify, "", "", "", json!({"user_id": "ada@example.com"}), "Identified as ada@example.com"),
            (EventKind::Identify, "", "", "", json!({}), "Identified"),
            (EventKind::Exception, "TypeError: x is undefined", "", "", json!({}), "Error: TypeError: x is undefined"),
            (EventKind::Custom, "signup", "", "", json!({"plan": "pro"}), "signup"),
            (
                EventKind::RageClick,
                "",
                "",
                "button",
                json!({"label": "Pay", "element": "button", "clicks": 3}),
                "Rage-clicked \"Pay\" (3 clicks)",
            ),
            (
                EventKind::DeadClick,
                "",
                "",
                "p",
                json!({"label": "Free shipping", "element": "text"}),
                "Dead click on \"Free shipping\"",
            ),
            // Stored before the props named the element: the target's quoted text, else the target.
            (EventKind::Click, "", "", "button#save \"Save\"", json!({}), "Clicked \"Save\""),
            (EventKind::Click, "", "", "div", json!({}), "Clicked div"),
            (EventKind::Click, "", "", "", json!({}), "Clicked an element"),
        ];
        for (kind, name, url, target, props, expected) in cases {
            assert_eq!(title(kind, name, url, target, &props), expected, "{kind} {target} {props}");
        }
    }
}
