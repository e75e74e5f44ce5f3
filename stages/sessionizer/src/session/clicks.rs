//! Clicks, rage clicks and dead clicks (docs/transcript.md has the definitions).
//!
//! - A click is an rrweb MouseInteraction `Click`. It is named by the element it hit (or the
//!   nearest interactive ancestor, `labels.rs`).
//! - A rage click is the `rage_click_count`-th click (3) on one element within
//!   `rage_click_window_ms` (1 s); it is written once per burst.
//! - A click is dead when its tab recorded something at least `dead_click_window_ms` (1 s)
//!   after it and nothing visible happened within that window (no DOM change, scroll,
//!   focus, input or page view). A click that the recording ends within the window of is
//!   not dead: nobody saw whether the page answered.

use playback_schemas::{ClickMark, SessionUpdate};
use playback_warehouse::{EventKind, EventRow};
use serde_json::Value;

use super::{push_capped, EventContext, Session, MAX_SEQUENCE};
use crate::labels::Named;
use crate::SessionizerConfig;

/// The props of a row about an element: its label and kind, for the title.
pub(super) fn element_props(label: &str, element: &str) -> serde_json::Map<String, Value> {
    let mut props = serde_json::Map::new();
    props.insert("label".into(), Value::from(label));
    props.insert("element".into(), Value::from(element));
    props
}

impl Session {
    /// What an event on `node` of this tab is about.
    pub(super) fn named(&self, context: &EventContext<'_>, node: i64) -> Named {
        match self.labels.get(&context.batch.window_id) {
            Some(labels) => labels.name(node),
            None => Named { target: format!("node #{node}"), ..Named::default() },
        }
    }

    pub(super) fn click(&mut self, data: &Value, context: &mut EventContext<'_>) {
        let node = data.get("id").and_then(Value::as_i64).unwrap_or(-1);
        let named = self.named(context, node);
        let config = context.config;
        let window = &mut self.state.windows[context.window];
        window.last_input_node = -1;
        let url = window.current_url.clone();
        let mark = ClickMark {
            ts_ms: context.ts,
            node_id: node,
            batch_seq: context.batch.seq,
            index: context.index,
            url: url.clone(),
            target: named.target.clone(),
            label: named.label.clone(),
            element: named.element.to_string(),
        };
        window
            .recent_clicks
            .retain(|click| context.ts - click.ts_ms <= config.rage_click_window_ms && click.node_id == node);
        window.recent_clicks.push(mark.clone());
        let rage = window.recent_clicks.len() == config.rage_click_count;
        window.pending_clicks.push(mark);
        self.state.update.clicks += 1;
        push_capped(&mut self.state.update.action_sequence, EventKind::Click.as_str().into(), MAX_SEQUENCE);
        let props = element_props(&named.label, named.element);
        context.push(EventKind::Click, &url, "", &named.target, Value::Object(props.clone()).to_string());
        if rage {
            self.state.update.rage_clicks += 1;
            let mut rage_props = props;
            rage_props.insert("clicks".into(), Value::from(config.rage_click_count));
            context.push(EventKind::RageClick, &url, "", &named.target, Value::Object(rage_props).to_string());
        }
    }

    /// Something visible happened: clicks just before it were not dead.
    pub(super) fn reaction(&mut self, context: &EventContext<'_>) {
        let window = &mut self.state.windows[context.window];
        window.last_reaction_ms = window.last_reaction_ms.max(context.ts);
        let reacted_after = context.ts - context.config.dead_click_window_ms;
        window.pending_clicks.retain(|click| click.ts_ms < reacted_after || click.ts_ms > context.ts);
    }

    /// Clicks with no reaction within the window are dead once the tab recorded an event past it.
    pub(super) fn expire_pending_clicks(
        &mut self,
        window: usize,
        now_ts: i64,
        config: &SessionizerConfig,
        rows: &mut Vec<EventRow>,
    ) {
        let pending = &mut self.state.windows[window].pending_clicks;
        if pending.iter().all(|click| now_ts - click.ts_ms <= config.dead_click_window_ms) {
            return;
        }
        let (dead, waiting): (Vec<ClickMark>, Vec<ClickMark>) =
            pending.drain(..).partition(|click| now_ts - click.ts_ms > config.dead_click_window_ms);
        *pending = waiting;
        let window_id = self.state.windows[window].window_id.clone();
        for click in dead {
            self.state.update.dead_clicks += 1;
            rows.push(dead_click_row(&self.state.update, &window_id, &click));
        }
    }

    /// Called when the session closes. Clicks still waiting had no event of their tab past
    /// their window, so the recording ended before anyone could see whether the page
    /// answered: they are not dead, and are forgotten.
    pub fn close(&mut self, now_ms: i64) {
        for window in &mut self.state.windows {
            window.pending_clicks.clear();
            window.recent_clicks.clear();
        }
        self.state.update.closed = true;
        self.state.update.version += 1;
        self.state.update.updated_at_ms = now_ms;
    }
}

fn dead_click_row(update: &SessionUpdate, window_id: &str, click: &ClickMark) -> EventRow {
    EventRow {
        project_id: update.project_id.clone(),
        session_id: update.session_id.clone(),
        window_id: window_id.to_string(),
        batch_seq: click.batch_seq,
        event_index: click.index,
        kind: EventKind::DeadClick,
        ts_ms: click.ts_ms,
        url: click.url.clone(),
        name: String::new(),
        target: click.target.clone(),
        props_json: Value::Object(element_props(&click.label, &click.element)).to_string(),
    }
}
