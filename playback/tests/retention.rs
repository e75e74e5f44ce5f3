//! `playback retention` over fourteen months of sessions, on the embedded stores and on
//! ClickHouse with S3: exactly the sessions within retention are left, every chunk row left
//! has its blob and no blob of a removed session is left, the embedded log shrinks, and a dry
//! run removes nothing while it counts what the real run then removes.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use playback::config::Backend;
use playback::retention::RetentionReport;
use playback::Config;
use playback_blobs::BlobStore;
use playback_log::embedded::SqliteLog;
use playback_log::{next_offsets, EventLog, Topic};
use playback_schemas::chunk::date_of;
use playback_warehouse::retention::{month_of, month_start_ms};
use playback_warehouse::{
    AssetRow, AssetStatus, ChunkRow, EventKind, EventRow, NoteRow, SessionAssetRow, SessionRow, ShareRow, Warehouse,
};

const DAY: i64 = 86_400_000;
/// Sessions per project, one every two weeks back from now: fourteen months.
const SESSIONS: i64 = 31;

/// One seeded session.
#[derive(Debug, Clone)]
struct Seeded {
    project_id: String,
    session_id: String,
    start_ms: i64,
    end_ms: i64,
}

/// `demo` keeps a year, `short` 90 days.
fn projects(config: &mut Config) {
    let mut short = config.projects[0].clone();
    short.id = "short".into();
    short.key = "pk_short".into();
    short.retention_days = 90;
    config.projects[0].retention_days = 365;
    config.projects.push(short);
    config.retention.log_max_age_hours = 0;
    config.retention.batch_rows = 7;
}

/// The embedded warehouse as the commands open it: SQLCipher under the data dir's master key.
async fn embedded_warehouse(config: &Config) -> playback_warehouse::embedded::SqliteWarehouse {
    let masters = playback::at_rest::master_keys(config).unwrap();
    let path = config.data_dir.join("warehouse.db");
    let warehouse =
        playback_warehouse::embedded::SqliteWarehouse::open_encrypted(&path, &masters.database_keys("warehouse.db"))
            .unwrap();
    warehouse.migrate().await.unwrap();
    warehouse
}

/// The embedded log as the commands open it.
fn embedded_log(config: &Config) -> SqliteLog {
    let masters = playback::at_rest::master_keys(config).unwrap();
    SqliteLog::open_encrypted(config.data_dir.join("log.db"), 2, &masters.database_keys("log.db")).unwrap()
}

fn hash_of(name: &str) -> String {
    let mut hash = String::new();
    for byte in name.bytes().cycle().take(32) {
        hash.push_str(&format!("{byte:02x}"));
    }
    hash
}

/// Writes each project's sessions with a transcript event, a chunk row and its blob, a note, a
/// share link, two asset URLs (one of its own, one every session of the project uses) with
/// their copies, and a session key; plus one chunk blob without a row, 400 days old.
async fn seed(warehouse: &dyn Warehouse, blobs: &dyn BlobStore, now: i64) -> Vec<Seeded> {
    let mut seeded = Vec::new();
    for project_id in ["demo", "short"] {
        let (mut sessions, mut events, mut chunks, mut notes, mut shares, mut assets, mut used) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let shared = format!("https://cdn.test/{project_id}-shared.css");
        assets.push(asset(project_id, &shared, now - 500 * DAY));
        blobs.put(&format!("assets/{project_id}/{}", hash_of(&shared)), b"css".to_vec()).await.unwrap();
        for index in 0..SESSIONS {
            let session_id = format!("{project_id}-{index:02}");
            let end_ms = now - index * 14 * DAY - 3_600_000;
            let start_ms = end_ms - 600_000;
            sessions.push(SessionRow {
                project_id: project_id.into(),
                session_id: session_id.clone(),
                version: 1,
                closed: true,
                start_ms,
                end_ms,
                user_traits_json: "{}".into(),
                urls_json: "[]".into(),
                event_names_json: "[]".into(),
                score_breakdown_json: "[]".into(),
                signature_json: "[]".into(),
                updated_at_ms: end_ms,
                ..SessionRow::default()
            });
            events.push(EventRow {
                project_id: project_id.into(),
                session_id: session_id.clone(),
                window_id: "w1".into(),
                batch_seq: 0,
                event_index: 0,
                kind: EventKind::PageView,
                ts_ms: start_ms + 1_000,
                url: "https://shop.test/".into(),
                name: String::new(),
                target: String::new(),
                props_json: "{}".into(),
            });
            let blob_key = format!("{project_id}/{}/{session_id}/w1-0000000000-0000000000", date_of(start_ms));
            blobs.put(&blob_key, b"chunk".to_vec()).await.unwrap();
            blobs.put(&format!("keys/{project_id}/{session_id}/k1"), b"key".to_vec()).await.unwrap();
            chunks.push(ChunkRow {
                project_id: project_id.into(),
                session_id: session_id.clone(),
                window_id: "w1".into(),
                first_seq: 0,
                last_seq: 0,
                blob_key,
                first_ts_ms: start_ms,
                last_ts_ms: end_ms,
                events: 1,
                bytes: 5,
                full_snapshot: true,
                created_at_ms: end_ms,
            });
            notes.push(NoteRow {
                project_id: project_id.into(),
                session_id: session_id.clone(),
                note_id: format!("n-{session_id}"),
                offset_ms: 1_000,
                author: "ada".into(),
                text: "look here".into(),
                created_at_ms: end_ms,
                deleted: false,
                version: 1,
            });
            shares.push(ShareRow {
                project_id: project_id.into(),
                share_id: format!("sh-{session_id}"),
                session_id: session_id.clone(),
                author: "ada".into(),
                created_at_ms: end_ms,
                expires_at_ms: end_ms + DAY,
                revoked: false,
                version: 1,
            });
            let own = format!("https://cdn.test/{session_id}.css");
            assets.push(asset(project_id, &own, start_ms));
            blobs.put(&format!("assets/{project_id}/{}", hash_of(&own)), b"css".to_vec()).await.unwrap();
            for url in [&own, &shared] {
                used.push(SessionAssetRow {
                    project_id: project_id.into(),
                    session_id: session_id.clone(),
                    url: url.clone(),
                    first_seen_ms: start_ms,
                });
            }
            seeded.push(Seeded { project_id: project_id.into(), session_id, start_ms, end_ms });
        }
        warehouse.upsert_sessions(sessions).await.unwrap();
        warehouse.insert_events(events).await.unwrap();
        warehouse.insert_chunks(chunks).await.unwrap();
        warehouse.upsert_notes(notes).await.unwrap();
        warehouse.upsert_shares(shares).await.unwrap();
        warehouse.upsert_assets(assets).await.unwrap();
        warehouse.insert_session_assets(used).await.unwrap();
        let orphan = format!("{project_id}/{}/orphan/w1-0000000000-0000000000", date_of(now - 400 * DAY));
        blobs.put(&orphan, b"chunk".to_vec()).await.unwrap();
    }
    seeded
}

fn asset(project_id: &str, url: &str, fetched_at_ms: i64) -> AssetRow {
    AssetRow {
        project_id: project_id.into(),
        url: url.into(),
        hash: hash_of(url),
        content_type: "text/css".into(),
        bytes: 3,
        fetched_at_ms,
        status: AssetStatus::Archived,
        error: String::new(),
        version: 1,
    }
}

/// The ids of the seeded sessions that the warehouse still has.
async fn left(warehouse: &dyn Warehouse, seeded: &[Seeded]) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for session in seeded {
        if warehouse.get_session(Some(&session.project_id), &session.session_id).await.unwrap().is_some() {
            ids.insert(session.session_id.clone());
        }
    }
    ids
}

/// Every chunk row left has its blob; a removed session has no chunk row, chunk blob, note,
/// share link or key left; the chunk blob without a row is gone.
async fn check_in_step(
    warehouse: &dyn Warehouse,
    blobs: &dyn BlobStore,
    seeded: &[Seeded],
    kept: &BTreeSet<String>,
    now: i64,
) {
    for session in seeded {
        let (project_id, session_id) = (session.project_id.as_str(), session.session_id.as_str());
        let chunks = warehouse.session_chunks(project_id, session_id).await.unwrap();
        let own_blobs = blobs.list(&format!("{project_id}/{}/{session_id}/", date_of(session.start_ms))).await.unwrap();
        let keys = blobs.list(&format!("keys/{project_id}/{session_id}/")).await.unwrap();
        if kept.contains(session_id) {
            assert_eq!(chunks.len(), 1, "{session_id} keeps its chunk row");
            assert!(
                blobs.get(&chunks[0].blob_key).await.unwrap().is_some(),
                "the chunk row of {session_id} has its blob"
            );
            assert_eq!(keys.len(), 1, "{session_id} keeps its key");
        } else {
            assert!(chunks.is_empty(), "{session_id} left chunk rows: {chunks:?}");
            assert!(own_blobs.is_empty(), "{session_id} left chunk blobs: {own_blobs:?}");
            assert!(keys.is_empty(), "{session_id} left its key");
            assert!(warehouse.session_notes(project_id, session_id).await.unwrap().is_empty());
            assert!(warehouse.session_shares(project_id, session_id).await.unwrap().is_empty());
            assert!(warehouse.session_events(project_id, session_id).await.unwrap().is_empty());
        }
    }
    for project_id in ["demo", "short"] {
        let orphan = blobs.list(&format!("{project_id}/{}/orphan/", date_of(now - 400 * DAY))).await.unwrap();
        assert!(orphan.is_empty(), "a chunk blob without a row goes by its date: {orphan:?}");
    }
}

/// The counts of a dry run equal those of the real run after it.
fn assert_same_counts(dry: &RetentionReport, real: &RetentionReport) {
    assert!(dry.dry_run && !real.dry_run);
    assert_eq!(dry.sessions(), real.sessions(), "sessions");
    let tables: BTreeSet<&str> = real.warehouse.tables.iter().map(|table| table.table.as_str()).collect();
    for table in tables {
        assert_eq!(dry.warehouse.rows(table), real.warehouse.rows(table), "rows of {table}");
    }
    assert_eq!(
        (dry.chunk_blobs, dry.swept_chunk_blobs, dry.asset_blobs, dry.key_blobs),
        (real.chunk_blobs, real.swept_chunk_blobs, real.asset_blobs, real.key_blobs),
        "blobs"
    );
    assert_eq!(dry.log.removed, real.log.removed, "log records");
}

/// Fills the embedded log of `config` with raw batches that every group has read.
async fn fill_log(config: &Config) -> u64 {
    let log = embedded_log(config);
    for index in 0..2_000 {
        let key = format!("demo/s{}", index % 50);
        log.publish(Topic::RawBatches, key.as_bytes(), vec![b'x'; 2_048]).await.unwrap();
    }
    for group in ["sessionizer", "archiver", "assets"] {
        let mut consumer = log.consumer(Topic::RawBatches, group).await.unwrap();
        loop {
            let records = consumer.poll(1_000, std::time::Duration::from_millis(200)).await.unwrap();
            if records.is_empty() {
                break;
            }
            consumer.commit(&next_offsets(&records)).await.unwrap();
        }
    }
    drop(log);
    file_bytes(config)
}

fn file_bytes(config: &Config) -> u64 {
    let size = |name: &str| std::fs::metadata(config.data_dir.join(name)).map(|meta| meta.len()).unwrap_or(0);
    size("log.db") + size("log.db-wal")
}

/// A dry run, then the real run, with the checks every store shares; returns the real report.
async fn run_twice(
    config: &Config,
    warehouse: &dyn Warehouse,
    blobs: &dyn BlobStore,
    seeded: &[Seeded],
    now: i64,
) -> RetentionReport {
    let everything: BTreeSet<String> = seeded.iter().map(|session| session.session_id.clone()).collect();
    let dry = playback::app::retention(config, true, now).await.unwrap();
    assert_eq!(left(warehouse, seeded).await, everything, "a dry run removes nothing");
    for session in seeded {
        let key = format!("keys/{}/{}/k1", session.project_id, session.session_id);
        assert!(blobs.get(&key).await.unwrap().is_some(), "a dry run removes no blob");
    }
    let real = playback::app::retention(config, false, now).await.unwrap();
    for line in real.lines() {
        eprintln!("{line}");
    }
    assert_same_counts(&dry, &real);
    real
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_on_the_embedded_stores_keeps_exactly_the_sessions_within_retention() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    projects(&mut config);
    let log_bytes = fill_log(&config).await;
    let warehouse = embedded_warehouse(&config).await;
    let blobs = playback_blobs::LocalDir::open(dir.path().join("blobs")).unwrap();
    let now = playback_schemas::now_ms() + 1_000;
    let seeded = seed(&warehouse, &blobs, now).await;

    let report = run_twice(&config, &warehouse, &blobs, &seeded, now).await;

    let cutoff = |project_id: &str| now - if project_id == "demo" { 365 } else { 90 } * DAY;
    let expected: BTreeSet<String> = seeded
        .iter()
        .filter(|session| session.end_ms >= cutoff(&session.project_id))
        .map(|session| session.session_id.clone())
        .collect();
    assert_eq!(left(&warehouse, &seeded).await, expected);
    assert_eq!(report.sessions() as usize, seeded.len() - expected.len());
    check_in_step(&warehouse, &blobs, &seeded, &expected, now).await;

    // A removed session's own asset copy goes; the copy every session uses stays.
    for session in &seeded {
        let own = format!(
            "assets/{}/{}",
            session.project_id,
            hash_of(&format!("https://cdn.test/{}.css", session.session_id))
        );
        let present = blobs.get(&own).await.unwrap().is_some();
        assert_eq!(present, expected.contains(&session.session_id), "the asset copy of {}", session.session_id);
    }
    for project_id in ["demo", "short"] {
        let shared = format!("assets/{project_id}/{}", hash_of(&format!("https://cdn.test/{project_id}-shared.css")));
        assert!(blobs.get(&shared).await.unwrap().is_some(), "a copy that kept sessions use stays");
    }

    let raw: u64 = report.log.removed.iter().filter(|(topic, _)| *topic == Topic::RawBatches).map(|(_, n)| *n).sum();
    assert_eq!(raw, 2_000 - 2, "every read record goes but the newest of each partition");
    assert!(file_bytes(&config) < log_bytes / 4, "the log file shrinks: {} bytes of {log_bytes}", file_bytes(&config));
    let reopened = embedded_log(&config);
    reopened.publish(Topic::RawBatches, b"demo/s0", b"after".to_vec()).await.unwrap();
    let mut consumer = reopened.consumer(Topic::RawBatches, "archiver").await.unwrap();
    let records = consumer.poll(10, std::time::Duration::from_secs(2)).await.unwrap();
    let values: Vec<&[u8]> = records.iter().map(|record| record.value.as_slice()).collect();
    assert_eq!(values, vec![b"after".as_slice()], "offsets go on after a trim: a group reads only the new record");
}

#[cfg(all(feature = "clickhouse", feature = "s3"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_on_clickhouse_and_s3_drops_whole_months_and_deletes_shorter_retentions() {
    use playback_runtime::testsuite;
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let Some(clickhouse) = testsuite::clickhouse(&format!("retention_{unique}")) else { return };
    let s3 = testsuite::s3(&format!("retention-{unique}/")).expect("the test stack has S3");
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    projects(&mut config);
    // Every process on servers needs a master key; this is any 32 bytes.
    config.encryption.keys = vec![playback::config::MasterKeyConfig {
        id: "test".into(),
        key_file: None,
        key: Some("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=".into()),
    }];
    config.warehouse.backend = Backend::Server;
    config.warehouse.clickhouse = clickhouse.clone();
    config.blobs.backend = Backend::Server;
    config.blobs.s3 = s3.clone();
    playback::app::migrate(config.clone()).await.unwrap();
    let warehouse = playback_warehouse::clickhouse::ClickHouseWarehouse::new(clickhouse.clone()).unwrap();
    let blobs = playback_blobs::s3::S3Store::new(s3).unwrap();
    let now = playback_schemas::now_ms();
    let seeded = seed(&warehouse, &blobs, now).await;

    let outcome = async move {
        run_twice(&config, &warehouse, &blobs, &seeded, now).await;
        // The longest retention keeps whole months: its sessions go with the month they started
        // in, once all of it is past. A shorter one goes session by session.
        let kept_month = month_start_ms(month_of(now - 365 * DAY));
        let expected: BTreeSet<String> = seeded
            .iter()
            .filter(|session| match session.project_id.as_str() {
                "demo" => session.start_ms >= kept_month,
                _ => session.end_ms >= now - 90 * DAY,
            })
            .map(|session| session.session_id.clone())
            .collect();
        assert_eq!(left(&warehouse, &seeded).await, expected);
        check_in_step(&warehouse, &blobs, &seeded, &expected, now).await;
    };
    let result = tokio::spawn(outcome).await;
    let server = clickhouse::Client::default()
        .with_url(&clickhouse.url)
        .with_user(&clickhouse.user)
        .with_password(&clickhouse.password);
    server
        .query("DROP DATABASE IF EXISTS ?")
        .bind(clickhouse::sql::Identifier(&clickhouse.database))
        .execute()
        .await
        .unwrap();
    if let Err(error) = result {
        std::panic::resume_unwind(error.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playback_up_runs_the_job_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    projects(&mut config);
    config.retention.first_run_after_s = 0;
    config.paths.demo_dir = Some("".into());
    let warehouse = embedded_warehouse(&config).await;
    let blobs = playback_blobs::LocalDir::open(dir.path().join("blobs")).unwrap();
    let now = playback_schemas::now_ms();
    let seeded = seed(&warehouse, &blobs, now).await;
    let expired = seeded.iter().find(|session| session.end_ms < now - 365 * DAY).unwrap().clone();

    let (_router, _stages) = playback::app::all_in_one(&config).await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while warehouse.get_session(Some(&expired.project_id), &expired.session_id).await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "playback up did not run the retention job");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let newest = &seeded[0];
    assert!(warehouse.get_session(Some(&newest.project_id), &newest.session_id).await.unwrap().is_some());
}
