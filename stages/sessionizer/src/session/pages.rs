//! Page views, and the recorder's custom events: `$pageview`, `$exception`, `$identify` and
//! the site's own (docs/transcript.md).

use playback_schemas::rrweb::tags;
use playback_warehouse::EventKind;
use serde_json::Value;

use super::{clip_json, path_of, push_capped, EventContext, Session, MAX_EVENT_NAMES, MAX_SEQUENCE, MAX_URLS};

impl Session {
    /// A page view of `href` (a Meta event, or the recorder's `$pageview` with the page's
    /// title); the same URL again in a row is the same page view, which gets the title if it
    /// had none.
    pub(super) fn page_view(&mut self, href: &str, title: &str, context: &mut EventContext<'_>) {
        if href.is_empty() {
            return;
        }
        let window = &mut self.state.windows[context.window];
        window.last_input_node = -1;
        if window.current_url == href {
            context.title_page_view(title);
            return;
        }
        window.current_url = href.to_string();
        self.reaction(context);
        let state = &mut self.state;
        let update = &mut state.update;
        update.page_views += 1;
        if !update.urls.iter().any(|url| url == href) {
            push_capped(&mut update.urls, href.to_string(), MAX_URLS);
        }
        push_capped(&mut update.path_sequence, path_of(href), MAX_SEQUENCE);
        push_capped(&mut update.action_sequence, EventKind::PageView.as_str().into(), MAX_SEQUENCE);
        if context.ts < state.entry_ts_ms || update.entry_url.is_empty() {
            state.entry_ts_ms = context.ts;
            update.entry_url = href.to_string();
        }
        if context.ts >= state.exit_ts_ms || update.exit_url.is_empty() {
            state.exit_ts_ms = context.ts;
            update.exit_url = href.to_string();
        }
        let props = serde_json::json!({ "page_title": title }).to_string();
        context.push(EventKind::PageView, href, "", "", props);
    }

    pub(super) fn custom(&mut self, data: &Value, context: &mut EventContext<'_>) {
        let tag = data.get("tag").and_then(Value::as_str).unwrap_or("");
        let payload = data.get("payload");
        match tag {
            tags::PAGE_VIEW => {
                let text = |key: &str| payload.and_then(|payload| payload.get(key)).and_then(Value::as_str);
                let title: String = text("title").unwrap_or("").chars().take(200).collect();
                self.page_view(text("href").unwrap_or(""), &title, context);
            }
            tags::EXCEPTION => {
                let message =
                    payload.and_then(|payload| payload.get("message")).and_then(Value::as_str).unwrap_or("error");
                let message: String = message.chars().take(300).collect();
                self.state.update.errors += 1;
                push_capped(&mut self.state.update.action_sequence, EventKind::Exception.as_str().into(), MAX_SEQUENCE);
                let url = self.state.windows[context.window].current_url.clone();
                context.push(EventKind::Exception, &url, &message, "", clip_json(payload));
            }
            tags::IDENTIFY => {
                let text = |key: &str| payload.and_then(|payload| payload.get(key)).and_then(Value::as_str);
                let user_id = text("user_id").or_else(|| text("id")).unwrap_or("");
                if user_id.is_empty() {
                    return;
                }
                let user_id: String = user_id.chars().take(512).collect();
                let url = self.state.windows[context.window].current_url.clone();
                let props = serde_json::json!({ "user_id": user_id }).to_string();
                context.push(EventKind::Identify, &url, "", "", props);
            }
            "" => {}
            name => {
                let name: String = name.chars().take(200).collect();
                let update = &mut self.state.update;
                update.custom_events += 1;
                if !update.event_names.contains(&name) {
                    push_capped(&mut update.event_names, name.clone(), MAX_EVENT_NAMES);
                }
                push_capped(&mut update.action_sequence, format!("custom:{name}"), MAX_SEQUENCE);
                let url = self.state.windows[context.window].current_url.clone();
                context.push(EventKind::Custom, &url, &name, "", clip_json(payload));
            }
        }
    }
}
