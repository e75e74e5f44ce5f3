//! The checks of [`Warehouse::apply_retention`]: what each implementation must remove, what it
//! must keep, and that a dry run counts the same without removing anything.
//!
//! The sessions are placed where both semantics agree: ClickHouse drops whole months past the
//! longest retention, so the expired session of the long retention is years old, and a shorter
//! retention goes session by session on both.

use crate::{ChunkRow, EventKind, EventRow, NoteRow, ProjectCutoff, RetentionPlan, ShareRow, Warehouse};

const DAY: i64 = 86_400_000;

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    since.as_millis() as i64
}

/// A session ending at `end_ms` with one event, one chunk row, one note and one share link.
async fn write_session(warehouse: &dyn Warehouse, project_id: &str, session_id: &str, end_ms: i64) {
    let mut row = super::session(project_id, session_id, end_ms, 1.0);
    row.start_ms = end_ms - 60_000;
    warehouse.upsert_sessions(vec![row]).await.expect("upsert");
    let event = EventRow {
        project_id: project_id.into(),
        session_id: session_id.into(),
        window_id: "w1".into(),
        batch_seq: 0,
        event_index: 0,
        kind: EventKind::PageView,
        ts_ms: end_ms - 30_000,
        url: "https://example.test/".into(),
        name: String::new(),
        target: String::new(),
        props_json: "{}".into(),
    };
    warehouse.insert_events(vec![event]).await.expect("events");
    let chunk = ChunkRow {
        project_id: project_id.into(),
        session_id: session_id.into(),
        window_id: "w1".into(),
        first_seq: 0,
        last_seq: 0,
        blob_key: format!("{project_id}/{session_id}/w1-0"),
        first_ts_ms: end_ms - 60_000,
        last_ts_ms: end_ms,
        events: 1,
        bytes: 10,
        full_snapshot: true,
        created_at_ms: end_ms,
    };
    warehouse.insert_chunks(vec![chunk]).await.expect("chunks");
    let note = NoteRow {
        project_id: project_id.into(),
        session_id: session_id.into(),
        note_id: "n1".into(),
        offset_ms: 1_000,
        author: "ada".into(),
        text: "here".into(),
        created_at_ms: end_ms,
        deleted: false,
        version: 1,
    };
    warehouse.upsert_notes(vec![note]).await.expect("notes");
    let share = ShareRow {
        project_id: project_id.into(),
        share_id: format!("share-{session_id}"),
        session_id: session_id.into(),
        author: "ada".into(),
        created_at_ms: end_ms,
        expires_at_ms: end_ms + DAY,
        revoked: false,
        version: 1,
    };
    warehouse.upsert_shares(vec![share]).await.expect("shares");
}

/// Whether the session and every row naming it are there.
async fn whole(warehouse: &dyn Warehouse, project_id: &str, session_id: &str) -> [bool; 5] {
    [
        warehouse.get_session(Some(project_id), session_id).await.expect("get").is_some(),
        !warehouse.session_events(project_id, session_id).await.expect("events").is_empty(),
        !warehouse.session_chunks(project_id, session_id).await.expect("chunks").is_empty(),
        !warehouse.session_notes(project_id, session_id).await.expect("notes").is_empty(),
        !warehouse.session_shares(project_id, session_id).await.expect("shares").is_empty(),
    ]
}

/// Expired sessions go with their transcript, chunk rows, notes and share links, each
/// project by its own cut-off, and a dry run before counts the same and removes nothing.
pub async fn retention_removes_expired_sessions_with_their_rows(warehouse: &dyn Warehouse, unique: &str) {
    let (long, short) = (format!("{unique}-long"), format!("{unique}-short"));
    let now = now_ms();
    write_session(warehouse, &long, "old", now - 1_000 * DAY).await;
    write_session(warehouse, &long, "recent", now - 60 * DAY).await;
    write_session(warehouse, &short, "recent", now - 60 * DAY).await;
    write_session(warehouse, &short, "new", now - 3_600_000).await;
    let plan = RetentionPlan { dry_run: true, ..real_plan(&long, &short, now) };
    let expired = vec![(long.clone(), "old".to_string()), (short.clone(), "recent".to_string())];

    let dry = warehouse.apply_retention(&plan).await.expect("dry run");
    let mut counted = dry.sessions.clone();
    counted.sort();
    assert_eq!(counted, expired, "a dry run names the expired sessions");
    assert_eq!(whole(warehouse, &long, "old").await, [true; 5], "a dry run removes nothing");

    let real = warehouse.apply_retention(&real_plan(&long, &short, now)).await.expect("retention");
    let mut removed = real.sessions.clone();
    removed.sort();
    assert_eq!(removed, expired);
    for table in ["sessions", "events", "recording_chunks", "notes", "shares"] {
        assert_eq!(real.rows(table), 2, "two rows of {table} go");
        assert_eq!(dry.rows(table), real.rows(table), "the dry run counted the rows of {table}");
    }
    let mut blobs = real.chunk_blobs.clone();
    blobs.sort();
    assert_eq!(blobs, vec![format!("{long}/old/w1-0"), format!("{short}/recent/w1-0")], "the chunks to remove");
    assert_eq!(whole(warehouse, &long, "old").await, [false; 5], "an expired session goes with its rows");
    assert_eq!(whole(warehouse, &short, "recent").await, [false; 5], "a shorter retention goes by its own cut-off");
    assert_eq!(whole(warehouse, &long, "recent").await, [true; 5], "within the long retention");
    assert_eq!(whole(warehouse, &short, "new").await, [true; 5], "within the short retention");
    let again = warehouse.apply_retention(&real_plan(&long, &short, now)).await;
    assert!(again.expect("again").sessions.is_empty(), "a second run finds nothing");
}

/// The long project keeps a year, the short one 30 days.
fn real_plan(long: &str, short: &str, now: i64) -> RetentionPlan {
    RetentionPlan {
        cutoffs: vec![
            ProjectCutoff { project_id: long.into(), cutoff_ms: now - 365 * DAY },
            ProjectCutoff { project_id: short.into(), cutoff_ms: now - 30 * DAY },
        ],
        default_cutoff_ms: now - 365 * DAY,
        dry_run: false,
        batch_rows: 2,
    }
}
