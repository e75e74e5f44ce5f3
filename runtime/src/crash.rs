//! Crash points for fault tests. With `PLAYBACK_CRASH_AT=<point>[:<n>]` in its environment, a
//! process aborts (as abruptly as a SIGKILL: no destructor, flush or commit runs) the `n`-th time
//! (1 by default) it reaches the named point. Without the variable a crash point costs one load of
//! an initialized `OnceLock`.
//!
//! The points sit where a crash is most likely to lose or duplicate data: before and after each
//! write to a sink, and before and after each offset commit. docs/guarantees.md lists them and the
//! fault test that crashes the stages at each one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The environment variable that arms a crash point.
pub const CRASH_AT_VAR: &str = "PLAYBACK_CRASH_AT";

struct Armed {
    point: String,
    hit: u64,
    hits: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED.get_or_init(|| std::env::var(CRASH_AT_VAR).ok().and_then(|spec| parse(&spec))).as_ref()
}

/// `point` or `point:n`, n ≥ 1.
fn parse(spec: &str) -> Option<Armed> {
    let spec = spec.trim();
    if spec.is_empty() {
        return None;
    }
    let (point, hit) = match spec.rsplit_once(':') {
        Some((point, n)) => (point, n.parse::<u64>().ok().filter(|n| *n >= 1)?),
        None => (spec, 1),
    };
    Some(Armed { point: point.to_string(), hit, hits: AtomicU64::new(0) })
}

/// Aborts the process when `point` is the armed crash point and this is its `n`-th hit.
pub fn point(point: &str) {
    let Some(armed) = armed() else { return };
    if armed.point != point {
        return;
    }
    let hit = armed.hits.fetch_add(1, Ordering::SeqCst) + 1;
    if hit == armed.hit {
        // The line lets a test tell this crash from an unexpected one; one write keeps it whole.
        let line = format!("playback: crash point {point} reached (hit {hit}): aborting\n");
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_and_without_a_count() {
        let armed = parse("archiver.after_put").unwrap();
        assert_eq!((armed.point.as_str(), armed.hit), ("archiver.after_put", 1));
        let armed = parse("scorer.before_commit:7").unwrap();
        assert_eq!((armed.point.as_str(), armed.hit), ("scorer.before_commit", 7));
        assert!(parse("").is_none());
        assert!(parse("scorer.before_commit:0").is_none());
        assert!(parse("scorer.before_commit:x").is_none());
    }

    #[test]
    fn an_unarmed_point_returns() {
        // The test process has no PLAYBACK_CRASH_AT, so this must not abort.
        point("archiver.after_put");
    }
}
