//! The parameters of `GET /v1/sessions`, parsed from the query string. Saved filters store
//! such a query string and are checked with the same parser.

use playback_warehouse::{PropertyMatch, SessionFilter};

use crate::QueryError;

/// A listing request as the caller wrote it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListRequest {
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// `recent` or `score`.
    pub sort: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub filter: SessionFilter,
}

fn bad(name: &str, reason: &str) -> QueryError {
    QueryError::BadRequest(format!("{name}: {reason}"))
}

fn integer(name: &str, value: &str) -> Result<i64, QueryError> {
    value.trim().parse().map_err(|_| bad(name, "must be an integer"))
}

fn flag(name: &str, value: &str) -> Result<bool, QueryError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        _ => Err(bad(name, "must be true or false")),
    }
}

fn text(name: &str, value: &str) -> Result<String, QueryError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(bad(name, "must not be empty"));
    }
    if value.chars().count() > 2048 {
        return Err(bad(name, "is longer than 2048 characters"));
    }
    Ok(value.to_string())
}

fn property(name: &str, value: &str) -> Result<PropertyMatch, QueryError> {
    let (key, wanted) = value.split_once('=').ok_or_else(|| bad(name, "must be key=value"))?;
    Ok(PropertyMatch { key: text(name, key)?, value: wanted.trim().to_string() })
}

/// Parses a query string such as `sort=score&has_errors=true&user_prop=plan%3Dpro`.
/// `allow_paging` is false for saved filters, which keep no cursor.
pub fn parse(query: &str, allow_paging: bool) -> Result<ListRequest, QueryError> {
    let mut request = ListRequest::default();
    let mut event_prop = None;
    let mut url_match = None;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let (name, value) = (name.as_ref(), value.as_ref());
        if value.is_empty() {
            continue;
        }
        let filter = &mut request.filter;
        match name {
            "from" => request.from = Some(integer(name, value)?),
            "to" => request.to = Some(integer(name, value)?),
            "sort" => match value {
                "recent" | "score" => request.sort = Some(value.to_string()),
                _ => return Err(bad(name, &format!("{value:?} is not recent or score"))),
            },
            "limit" => request.limit = Some(value.parse().map_err(|_| bad(name, "must be a number"))?),
            "cursor" if allow_paging => request.cursor = Some(value.to_string()),
            "cursor" => return Err(bad(name, "is not kept in a saved filter")),
            "event" => filter.event = Some((text(name, value)?, None)),
            "event_prop" => event_prop = Some(property(name, value)?),
            "user_prop" => filter.user_props.push(property(name, value)?),
            "user" => filter.user = Some(text(name, value)?),
            "url" => filter.url = Some((text(name, value)?, false)),
            "url_match" => match value {
                "contains" => url_match = Some(false),
                "exact" => url_match = Some(true),
                _ => return Err(bad(name, &format!("{value:?} is not contains or exact"))),
            },
            "browser" => filter.browser = Some(text(name, value)?),
            "os" => filter.os = Some(text(name, value)?),
            "device_type" => filter.device_type = Some(text(name, value)?),
            "min_duration_ms" => filter.duration_ms.0 = Some(integer(name, value)?),
            "max_duration_ms" => filter.duration_ms.1 = Some(integer(name, value)?),
            "min_active_ms" => filter.active_ms.0 = Some(integer(name, value)?),
            "max_active_ms" => filter.active_ms.1 = Some(integer(name, value)?),
            "min_pages" => filter.page_views.0 = Some(integer(name, value)?),
            "max_pages" => filter.page_views.1 = Some(integer(name, value)?),
            "min_score" => {
                let score: f64 = value.trim().parse().map_err(|_| bad(name, "must be a number"))?;
                if !score.is_finite() {
                    return Err(bad(name, "must be a number"));
                }
                filter.min_score = Some(score);
            }
            "has_errors" => filter.has_errors = flag(name, value)?,
            "has_rage_clicks" => filter.has_rage_clicks = flag(name, value)?,
            "has_dead_clicks" => filter.has_dead_clicks = flag(name, value)?,
            _ => return Err(QueryError::BadRequest(format!("unknown parameter {name:?}"))),
        }
    }
    match (&mut request.filter.event, event_prop) {
        (Some((_, property)), Some(wanted)) => *property = Some(wanted),
        (None, Some(_)) => return Err(bad("event_prop", "needs event")),
        _ => {}
    }
    match (&mut request.filter.url, url_match) {
        (Some((_, exact)), Some(wanted)) => *exact = wanted,
        (None, Some(_)) => return Err(bad("url_match", "needs url")),
        _ => {}
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_filter() {
        let request = parse(
            "sort=score&limit=20&event=purchase&event_prop=plan%3Dpro&user_prop=plan%3Dpro&user_prop=seats%3D3\
             &user=ada%40example.com&url=%2Fcheckout&url_match=exact&browser=Chrome&os=Linux&device_type=desktop\
             &min_duration_ms=1000&max_duration_ms=9000&min_active_ms=10&max_active_ms=20&min_pages=2&max_pages=5\
             &min_score=12.5&has_errors=true&has_rage_clicks=1&has_dead_clicks=false",
            true,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        let filter = &request.filter;
        assert_eq!(request.sort.as_deref(), Some("score"));
        assert_eq!(request.limit, Some(20));
        let pro = PropertyMatch { key: "plan".into(), value: "pro".into() };
        assert_eq!(filter.event, Some(("purchase".into(), Some(pro.clone()))));
        assert_eq!(filter.user_props, vec![pro, PropertyMatch { key: "seats".into(), value: "3".into() }]);
        assert_eq!(filter.user.as_deref(), Some("ada@example.com"));
        assert_eq!(filter.url, Some(("/checkout".into(), true)));
        assert_eq!(
            (filter.duration_ms, filter.active_ms, filter.page_views),
            ((Some(1000), Some(9000)), (Some(10), Some(20)), (Some(2), Some(5)))
        );
        assert_eq!(filter.min_score, Some(12.5));
        assert!(filter.has_errors && filter.has_rage_clicks && !filter.has_dead_clicks);
    }

    #[test]
    fn bad_parameters_name_themselves() {
        for (query, expected) in [
            ("min_pages=two", "min_pages"),
            ("has_errors=maybe", "has_errors"),
            ("event_prop=a%3Db", "event_prop"),
            ("user_prop=nokey", "user_prop"),
            ("url_match=regex&url=x", "url_match"),
            ("sort=random", "sort"),
            ("min_score=NaN", "min_score"),
            ("colour=red", "colour"),
        ] {
            let error = parse(query, true).err().map(|error| error.to_string()).unwrap_or_default();
            assert!(error.contains(expected), "{query}: {error}");
        }
        assert!(parse("cursor=abc", false).is_err(), "a saved filter keeps no cursor");
    }
}
