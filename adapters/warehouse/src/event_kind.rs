//! The kinds of transcript events, stored and served by their snake_case names.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// The kind of a transcript event. Its name (`page_view`, `rage_click`, ...) is what the
/// warehouses store and the query API serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    PageView,
    Click,
    Input,
    Exception,
    Custom,
    RageClick,
    DeadClick,
    /// The recorder's `identify(userId)`: props `{"user_id": …}`.
    Identify,
}

impl EventKind {
    /// Every kind, in display order.
    pub const ALL: [EventKind; 8] = [
        EventKind::PageView,
        EventKind::Click,
        EventKind::Input,
        EventKind::Exception,
        EventKind::Custom,
        EventKind::RageClick,
        EventKind::DeadClick,
        EventKind::Identify,
    ];

    /// The stored name, as serde writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::PageView => "page_view",
            EventKind::Click => "click",
            EventKind::Input => "input",
            EventKind::Exception => "exception",
            EventKind::Custom => "custom",
            EventKind::RageClick => "rage_click",
            EventKind::DeadClick => "dead_click",
            EventKind::Identify => "identify",
        }
    }

    /// The kind stored as `name`, if it is one.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for EventKind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for EventKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl ToSql for EventKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for EventKind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let name = value.as_str()?;
        EventKind::from_name(name).ok_or_else(|| FromSqlError::Other(format!("unknown event kind {name:?}").into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_name_is_the_serde_name() {
        for kind in EventKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.as_str()));
            assert_eq!(EventKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::from_name("scroll"), None);
    }
}
