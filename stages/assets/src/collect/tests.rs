//! The collector on rrweb 2.x event shapes: snapshot nodes, mutations, rule events, Meta.

use serde_json::{json, Value};

use super::*;

fn urls(events: Value, window: &mut Window) -> Vec<(String, AssetKind)> {
    let events = events.as_array().cloned().unwrap_or_default();
    collect(&events, window).into_iter().collect()
}

fn other(url: &str) -> (String, AssetKind) {
    (url.to_string(), AssetKind::Other)
}

fn sheet(url: &str) -> (String, AssetKind) {
    (url.to_string(), AssetKind::Stylesheet)
}

fn meta(href: &str) -> Value {
    json!({"type": 4, "data": {"href": href, "width": 1280, "height": 800}, "timestamp": 1})
}

fn snapshot(head: Value, body: Value) -> Value {
    json!({"type": 2, "timestamp": 2, "data": {"initialOffset": {"left": 0, "top": 0}, "node": {
    "type": 0, "id": 1, "childNodes": [
        {"type": 1, "name": "html", "publicId": "", "systemId": "", "id": 2},
        {"type": 2, "tagName": "html", "attributes": {"lang": "en"}, "id": 3, "childNodes": [
            {"type": 2, "tagName": "head", "attributes": {}, "id": 4, "childNodes": head},
            {"type": 2, "tagName": "body", "attributes": {}, "id": 5, "childNodes": body}
        ]}
    ]}}})
}

fn mutation(data: Value) -> Value {
    let mut data = data;
    data["source"] = json!(0);
    for key in ["adds", "removes", "texts", "attributes"] {
        if data.get(key).is_none() {
            data[key] = json!([]);
        }
    }
    json!({"type": 3, "timestamp": 3, "data": data})
}

#[test]
fn snapshot_elements_resolve_against_the_meta_href() {
    let head = json!([
        {"type": 2, "tagName": "link", "attributes": {"rel": "stylesheet", "href": "/css/site.css"}, "childNodes": [], "id": 10},
        {"type": 2, "tagName": "link", "attributes": {"rel": "shortcut icon", "href": "favicon.ico"}, "childNodes": [], "id": 11},
        {"type": 2, "tagName": "link", "attributes": {"rel": "preload", "as": "font", "href": "https://cdn.example.com/a.woff2", "crossorigin": ""}, "childNodes": [], "id": 12},
        {"type": 2, "tagName": "link", "attributes": {"rel": "preload", "as": "script", "href": "/app.js"}, "childNodes": [], "id": 13},
        {"type": 2, "tagName": "link", "attributes": {"rel": "canonical", "href": "/page"}, "childNodes": [], "id": 14},
        {"type": 2, "tagName": "link", "attributes": {"rel": "stylesheet", "href": "https://cdn.example.com/inlined.css",
            "_cssText": ".hero { background-image: url(\"https://cdn.example.com/hero.jpg\"); }"}, "childNodes": [], "id": 15}
    ]);
    let body = json!([
        {"type": 2, "tagName": "img", "attributes": {"src": "img/logo.png#top", "alt": "logo",
            "srcset": "img/logo@2x.png 2x, https://cdn.example.com/logo,3x.png 3x"}, "childNodes": [], "id": 20},
        {"type": 2, "tagName": "picture", "attributes": {}, "id": 21, "childNodes": [
            {"type": 2, "tagName": "source", "attributes": {"srcset": "/a.webp 480w, /b.webp 800w", "type": "image/webp"}, "childNodes": [], "id": 22},
            {"type": 2, "tagName": "source", "attributes": {"src": "/movie.mp4", "type": "video/mp4"}, "childNodes": [], "id": 23}
        ]},
        {"type": 2, "tagName": "video", "attributes": {"poster": "poster.jpg", "src": "/movie.mp4"}, "childNodes": [], "id": 24},
        {"type": 2, "tagName": "input", "attributes": {"type": "image", "src": "go.png"}, "childNodes": [], "id": 25},
        {"type": 2, "tagName": "input", "attributes": {"type": "text", "src": "nope.png"}, "childNodes": [], "id": 26},
        {"type": 2, "tagName": "a", "attributes": {"href": "/elsewhere.png"}, "childNodes": [], "id": 27},
        {"type": 2, "tagName": "svg", "attributes": {}, "isSVG": true, "id": 28, "childNodes": [
            {"type": 2, "tagName": "image", "attributes": {"xlink:href": "/pic.svg"}, "isSVG": true, "childNodes": [], "id": 29},
            {"type": 2, "tagName": "use", "attributes": {"href": "#local-icon"}, "isSVG": true, "childNodes": [], "id": 30},
            {"type": 2, "tagName": "use", "attributes": {"xlink:href": "/sprite.svg#cart"}, "isSVG": true, "childNodes": [], "id": 31}
        ]},
        {"type": 2, "tagName": "div", "attributes": {"style": "background: url('tile.png'); mask: url(data:image/svg+xml;base64,AA)"}, "childNodes": [], "id": 32},
        {"type": 2, "tagName": "img", "attributes": {"src": "data:image/png;base64,AAAA"}, "childNodes": [], "id": 33},
        {"type": 2, "tagName": "img", "attributes": {"src": "blob:https://shop.example/1234"}, "childNodes": [], "id": 34}
    ]);
    let mut window = Window::default();
    let found = urls(json!([meta("https://shop.example/products/list?page=2"), snapshot(head, body)]), &mut window);
    assert_eq!(
        found,
        vec![
            other("https://cdn.example.com/a.woff2"),
            other("https://cdn.example.com/hero.jpg"),
            other("https://cdn.example.com/logo,3x.png"),
            other("https://shop.example/a.webp"),
            other("https://shop.example/b.webp"),
            sheet("https://shop.example/css/site.css"),
            other("https://shop.example/pic.svg"),
            other("https://shop.example/products/favicon.ico"),
            other("https://shop.example/products/go.png"),
            other("https://shop.example/products/img/logo.png"),
            other("https://shop.example/products/img/logo@2x.png"),
            other("https://shop.example/products/poster.jpg"),
            other("https://shop.example/products/tile.png"),
            other("https://shop.example/sprite.svg"),
        ]
    );
}

#[test]
fn a_base_element_overrides_the_meta_href_until_the_next_page() {
    let head = json!([
        {"type": 2, "tagName": "link", "attributes": {"rel": "icon", "href": "icon.png"}, "childNodes": [], "id": 10},
        {"type": 2, "tagName": "base", "attributes": {"target": "_top", "href": " "}, "childNodes": [], "id": 12},
        {"type": 2, "tagName": "base", "attributes": {"href": "/static/"}, "childNodes": [], "id": 11}
    ]);
    let mut window = Window::default();
    let found = urls(json!([meta("https://shop.example/a/b"), snapshot(head, json!([]))]), &mut window);
    assert_eq!(found, vec![other("https://shop.example/static/icon.png")]);
    let image = json!({"type": 2, "tagName": "img", "attributes": {"src": "x.png"}, "childNodes": [], "id": 40});
    let found = urls(json!([mutation(json!({"adds": [{"parentId": 5, "nextId": null, "node": image}]}))]), &mut window);
    assert_eq!(found, vec![other("https://shop.example/static/x.png")]);
    let found = urls(json!([meta("https://shop.example/c/d"), snapshot(json!([]), json!([image]))]), &mut window);
    assert_eq!(found, vec![other("https://shop.example/c/x.png")]);
}

#[test]
fn style_text_nodes_in_snapshots_and_mutations() {
    let head = json!([
        {"type": 2, "tagName": "style", "attributes": {}, "id": 10, "childNodes": [
            {"type": 3, "textContent": "@import url(\"https://shop.example/print.css\");\nbody { background: url(https://shop.example/bg.png) }", "isStyle": true, "id": 11}
        ]},
        {"type": 2, "tagName": "style", "attributes": {}, "id": 12, "childNodes": [
            {"type": 3, "textContent": ".a { background: url(/plain.png) }", "id": 13}
        ]}
    ]);
    let body = json!([{"type": 2, "tagName": "p", "attributes": {}, "id": 20, "childNodes": [
        {"type": 3, "textContent": "see url(/not-css.png)", "id": 21}
    ]}]);
    let mut window = Window::default();
    let found = urls(json!([meta("https://shop.example/"), snapshot(head, body)]), &mut window);
    assert_eq!(
        found,
        vec![
            other("https://shop.example/bg.png"),
            other("https://shop.example/plain.png"),
            sheet("https://shop.example/print.css")
        ]
    );
    // A text change of a style node counts; of a paragraph's text, it does not.
    let changes = mutation(json!({"texts": [
        {"id": 13, "value": ".a { background: url(/changed.png) }"},
        {"id": 21, "value": "url(/still-not-css.png)"}
    ]}));
    assert_eq!(urls(json!([changes]), &mut window), vec![other("https://shop.example/changed.png")]);
    // A style element added by a mutation, then its text node under it.
    let added = mutation(json!({"adds": [
        {"parentId": 4, "nextId": null, "node": {"type": 2, "tagName": "style", "attributes": {}, "childNodes": [], "id": 50}},
        {"parentId": 50, "nextId": null, "node": {"type": 3, "textContent": "i { background: url(added.png) }", "id": 51}}
    ]}));
    assert_eq!(urls(json!([added]), &mut window), vec![other("https://shop.example/added.png")]);
    let changes = mutation(json!({"texts": [{"id": 51, "value": "i { background: url(again.png) }"}]}));
    assert_eq!(urls(json!([changes]), &mut window), vec![other("https://shop.example/again.png")]);
    // rrweb may list a child before its parent: the style's text still counts.
    let added = mutation(json!({"adds": [
        {"parentId": 60, "nextId": null, "node": {"type": 3, "textContent": "i { background: url(child-first.png) }", "id": 61}},
        {"parentId": 4, "nextId": null, "node": {"type": 2, "tagName": "style", "attributes": {}, "childNodes": [], "id": 60}}
    ]}));
    assert_eq!(urls(json!([added]), &mut window), vec![other("https://shop.example/child-first.png")]);
}

#[test]
fn attribute_mutations_follow_the_element_and_style_diffs() {
    let body = json!([
        {"type": 2, "tagName": "img", "attributes": {"src": "/a.png"}, "childNodes": [], "id": 20},
        {"type": 2, "tagName": "link", "attributes": {"rel": "preconnect", "href": "https://cdn.example.com"}, "childNodes": [], "id": 21},
        {"type": 2, "tagName": "a", "attributes": {"href": "/x"}, "childNodes": [], "id": 22}
    ]);
    let mut window = Window::default();
    urls(json!([meta("https://shop.example/"), snapshot(json!([]), body)]), &mut window);
    let changes = mutation(json!({"attributes": [
        {"id": 20, "attributes": {"srcset": "/a-480.png 480w, /a-960.png 960w", "alt": "a"}},
        {"id": 21, "attributes": {"rel": "stylesheet", "href": "/late.css"}},
        {"id": 22, "attributes": {"href": "/y.png"}},
        {"id": 22, "attributes": {"style": {"background-image": "url(\"/diff.png\")", "color": "red",
            "mask-image": ["url(/important.png)", "important"], "border-image": false}}},
        {"id": 99, "attributes": {"style": "background: url(/unknown-element.png)", "src": "/ignored.png"}}
    ]}));
    assert_eq!(
        urls(json!([changes]), &mut window),
        vec![
            other("https://shop.example/a-480.png"),
            other("https://shop.example/a-960.png"),
            other("https://shop.example/diff.png"),
            other("https://shop.example/important.png"),
            sheet("https://shop.example/late.css"),
            other("https://shop.example/unknown-element.png"),
        ]
    );
    // Removing `rel` turns the link into nothing that counts.
    let changes = mutation(json!({"attributes": [{"id": 21, "attributes": {"rel": null, "href": "/later.css"}}]}));
    assert!(urls(json!([changes]), &mut window).is_empty());
    // Only the attributes a mutation sets count: a new `rel` alone names no URL, and a `<base>`
    // whose href changes does not move the base (the player reads neither).
    let changes = mutation(json!({"attributes": [{"id": 21, "attributes": {"rel": "icon"}}]}));
    assert!(urls(json!([changes]), &mut window).is_empty());
    let changes = mutation(json!({"attributes": [{"id": 21, "attributes": {"href": "/now-an-icon.png"}}]}));
    assert_eq!(urls(json!([changes]), &mut window), vec![other("https://shop.example/now-an-icon.png")]);
}

#[test]
fn rule_declaration_and_adopted_sheet_events() {
    let mut window = Window::default();
    let events = json!([
        meta("https://shop.example/app/"),
        {"type": 3, "timestamp": 5, "data": {"source": 8, "id": 10, "adds": [
            {"rule": ".x { background: url(rule.png) }", "index": 0},
            {"rule": "@import url(\"imported.css\");", "index": [0, 1]}
        ], "removes": [{"index": 2}]}},
        {"type": 3, "timestamp": 5, "data": {"source": 8, "styleId": 2, "replaceSync": ".r { background: url(replaced.png) }"}},
        {"type": 3, "timestamp": 6, "data": {"source": 13, "id": 10, "index": [0],
            "set": {"property": "background-image", "value": "url(\"/declared.png\")", "priority": ""}}},
        {"type": 3, "timestamp": 7, "data": {"source": 13, "id": 10, "index": [0], "remove": {"property": "color"}}},
        {"type": 3, "timestamp": 8, "data": {"source": 15, "id": 1, "styleIds": [1], "styles": [
            {"styleId": 1, "rules": [{"rule": ":host { background: url(https://cdn.example.com/adopted.svg#i) }", "index": 0}]}
        ]}}
    ]);
    assert_eq!(
        urls(events, &mut window),
        vec![
            other("https://cdn.example.com/adopted.svg"),
            sheet("https://shop.example/app/imported.css"),
            other("https://shop.example/app/replaced.png"),
            other("https://shop.example/app/rule.png"),
            other("https://shop.example/declared.png"),
        ]
    );
}

#[test]
fn relative_urls_need_a_base_and_exclusions_never_count() {
    let mut window = Window::default();
    let body = json!([
        {"type": 2, "tagName": "img", "attributes": {"src": "relative.png"}, "childNodes": [], "id": 20},
        {"type": 2, "tagName": "img", "attributes": {"src": "https://cdn.example.com/abs.png"}, "childNodes": [], "id": 21}
    ]);
    assert_eq!(urls(json!([snapshot(json!([]), body)]), &mut window), vec![other("https://cdn.example.com/abs.png")]);
    let mut window = Window::at("https://shop.example/");
    let body = json!([
        {"type": 2, "tagName": "img", "attributes": {"src": "#frag"}, "childNodes": [], "id": 20},
        {"type": 2, "tagName": "img", "attributes": {"src": "javascript:alert(1)"}, "childNodes": [], "id": 21},
        {"type": 2, "tagName": "img", "attributes": {"src": "about:blank"}, "childNodes": [], "id": 22},
        {"type": 2, "tagName": "img", "attributes": {"src": "  "}, "childNodes": [], "id": 23},
        {"type": 2, "tagName": "img", "attributes": {"src": "ftp://files.example/x.png"}, "childNodes": [], "id": 24},
        {"type": 2, "tagName": "div", "attributes": {"style": "background: url(#svg-filter)"}, "childNodes": [], "id": 25},
        {"type": 2, "tagName": "img", "attributes": {"src": "  HTTPS://CDN.Example.com:443/a b.png  "}, "childNodes": [], "id": 26}
    ]);
    assert_eq!(urls(json!([snapshot(json!([]), body)]), &mut window), vec![other("https://cdn.example.com/a%20b.png")]);
}

#[test]
fn srcset_candidates_with_descriptors() {
    assert_eq!(
        srcset_urls(" a.png 1x,b.png 2x , data:image/png;base64,AA== 3x,c.png,, d.png (x, y) 4x, e.png"),
        vec!["a.png", "b.png", "data:image/png;base64,AA==", "c.png", "d.png", "e.png"]
    );
    assert!(srcset_urls("  ,  ").is_empty());
}

/// A real recording of the demo pages (Playback's recorder in Chromium, a visit to `/demo/`
/// then `page2.html`): rrweb inlined the stylesheet link as `_cssText` without URLs and the
/// icon is `data:,`, so it uses no asset URL.
#[test]
fn a_real_recording_of_the_demo_page() {
    let text = include_str!("../../../../e2e/fixtures/demo-session-batches.json");
    let recording: Value = serde_json::from_str(text).unwrap();
    let mut window = Window::default();
    let mut found = Collected::new();
    let mut events_seen = 0;
    for batch in recording["batches"].as_array().unwrap() {
        let events = batch["events"].as_array().unwrap();
        events_seen += events.len();
        found.extend(collect(events, &mut window));
    }
    assert!(events_seen > 10);
    assert_eq!(window.base().map(Url::as_str), Some("http://127.0.0.1:44685/demo/page2.html"));
    assert!(text.contains("\"_cssText\""), "the fixture inlines its stylesheet");
    assert_eq!(found, Collected::new());
}
