//! The checks of [`Warehouse::delete_sessions`]: every row of the named sessions goes, with
//! its count, and nothing else does.

use std::time::Duration;

use super::session;
use crate::{
    ChunkRow, DeleteOptions, EventKind, EventRow, NoteRow, SessionAssetRow, SessionDeletion, ShareRow, Warehouse,
};

/// The rows of one session: two versions of the session of `user`, three events, two chunks,
/// a note written twice, a share link revoked, and one asset URL.
async fn write_session(warehouse: &dyn Warehouse, project: &str, session_id: &str, user: &str) {
    let mut row = session(project, session_id, 1_800_000_000_000, 1.0);
    row.user_id = user.into();
    warehouse.upsert_sessions(vec![row.clone()]).await.expect("upsert");
    row.version = 2;
    warehouse.upsert_sessions(vec![row]).await.expect("upsert");
    let events: Vec<EventRow> = (0..3)
        .map(|index| EventRow {
            project_id: project.into(),
            session_id: session_id.into(),
            window_id: "w1".into(),
            batch_seq: 0,
            event_index: index,
            kind: EventKind::Click,
            ts_ms: 1_800_000_000_000 + i64::from(index),
            url: "https://example.test/".into(),
            name: String::new(),
            target: format!("button \"{session_id}\""),
            props_json: "{}".into(),
        })
        .collect();
    warehouse.insert_events(events.clone()).await.expect("events");
    warehouse.insert_events(events).await.expect("events again");
    let chunks: Vec<ChunkRow> = (0..2)
        .map(|seq| ChunkRow {
            project_id: project.into(),
            session_id: session_id.into(),
            window_id: "w1".into(),
            first_seq: seq,
            last_seq: seq,
            blob_key: format!("{project}/2027-01-15/{session_id}/w1-{seq}-{seq}"),
            first_ts_ms: 1_800_000_000_000,
            last_ts_ms: 1_800_000_000_000,
            events: 3,
            bytes: 100,
            full_snapshot: seq == 0,
            created_at_ms: 1,
        })
        .collect();
    warehouse.insert_chunks(chunks).await.expect("chunks");
    let mut note = NoteRow {
        project_id: project.into(),
        session_id: session_id.into(),
        note_id: format!("{session_id}-n1"),
        offset_ms: 10,
        author: "ada".into(),
        text: format!("note on {session_id}"),
        created_at_ms: 1,
        deleted: false,
        version: 1,
    };
    warehouse.upsert_notes(vec![note.clone()]).await.expect("note");
    note.deleted = true;
    note.version = 2;
    warehouse.upsert_notes(vec![note]).await.expect("note deleted");
    let mut share = ShareRow {
        project_id: project.into(),
        share_id: format!("{session_id}-share"),
        session_id: session_id.into(),
        author: "ada".into(),
        created_at_ms: 1,
        expires_at_ms: 4_000_000_000_000,
        revoked: false,
        version: 1,
    };
    warehouse.upsert_shares(vec![share.clone()]).await.expect("share");
    share.revoked = true;
    share.version = 2;
    warehouse.upsert_shares(vec![share]).await.expect("share revoked");
    let asset = SessionAssetRow {
        project_id: project.into(),
        session_id: session_id.into(),
        url: "https://example.test/site.css".into(),
        first_seen_ms: 1,
    };
    warehouse.insert_session_assets(vec![asset]).await.expect("session asset");
}

/// Deleting sessions removes each of their rows, counted once per identity, and leaves the
/// other sessions of the project whole; a dry run only counts, and a second deletion finds
/// nothing.
pub async fn sessions_are_deleted_with_every_row(warehouse: &dyn Warehouse, unique: &str) {
    let project = format!("{unique}-deletion");
    write_session(warehouse, &project, "gone-1", "u-gone").await;
    write_session(warehouse, &project, "gone-2", "u-gone").await;
    write_session(warehouse, &project, "kept", "u-kept").await;
    let ids = vec!["gone-1".to_string(), "gone-2".to_string()];
    let expected =
        SessionDeletion { sessions: 2, events: 6, chunks: 4, notes: 2, shares: 2, session_assets: 2, in_progress: 0 };

    let dry = DeleteOptions { dry_run: true, wait: Duration::ZERO };
    let counted = warehouse.delete_sessions(&project, &ids, dry).await.expect("dry run");
    assert_eq!(counted, expected, "a dry run counts");
    assert!(warehouse.get_session(Some(&project), "gone-1").await.expect("get").is_some(), "a dry run removes nothing");

    let options = DeleteOptions { dry_run: false, wait: Duration::from_secs(60) };
    let removed = warehouse.delete_sessions(&project, &ids, options).await.expect("delete");
    assert_eq!(removed, expected, "the deletion counts what it removed, and waited for it");

    for session_id in &ids {
        assert_eq!(warehouse.get_session(Some(&project), session_id).await.expect("get"), None);
        assert_eq!(warehouse.get_session(None, session_id).await.expect("get"), None);
        assert!(warehouse.session_events(&project, session_id).await.expect("events").is_empty());
        assert!(warehouse.session_chunks(&project, session_id).await.expect("chunks").is_empty());
        assert!(warehouse.session_notes(&project, session_id).await.expect("notes").is_empty());
        assert!(warehouse.session_shares(&project, session_id).await.expect("shares").is_empty());
        assert!(warehouse.session_assets(&project, session_id).await.expect("assets").is_empty());
        let share = warehouse.share(&project, &format!("{session_id}-share")).await.expect("share");
        assert_eq!(share, None, "the share link is gone, not only revoked");
    }
    assert!(warehouse.user_sessions(&project, "u-gone").await.expect("user").is_empty(), "the user card is gone");
    assert!(warehouse.session_marks(&project, &ids).await.expect("marks").is_empty());

    assert!(warehouse.get_session(Some(&project), "kept").await.expect("get").is_some());
    assert_eq!(warehouse.session_events(&project, "kept").await.expect("events").len(), 3);
    assert_eq!(warehouse.session_chunks(&project, "kept").await.expect("chunks").len(), 2);
    assert_eq!(warehouse.session_shares(&project, "kept").await.expect("shares").len(), 1);
    assert_eq!(warehouse.session_assets(&project, "kept").await.expect("assets").len(), 1);
    assert_eq!(warehouse.user_sessions(&project, "u-kept").await.expect("user").len(), 1);

    let again = warehouse.delete_sessions(&project, &ids, options).await.expect("delete again");
    assert_eq!(again, SessionDeletion::default(), "nothing is left to delete");
    assert!(!again.found_any());
    let other_project = format!("{unique}-deletion-other");
    write_session(warehouse, &other_project, "gone-1", "u-gone").await;
    let elsewhere = warehouse.delete_sessions(&project, &ids, options).await.expect("delete in another project");
    assert!(!elsewhere.found_any(), "a deletion reads only its project");
    assert!(warehouse.get_session(Some(&other_project), "gone-1").await.expect("get").is_some());
}
