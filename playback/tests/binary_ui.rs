//! The binary carries its UI: `playback up`, started from an empty directory outside the
//! repository with a fresh data dir, serves the web UI at `/` (and at the UI's own routes), the
//! recorder bundle at `/recorder.js` and the demo site at `/demo/`, each the file that the
//! repository held when the binary was built.
//!
//! A binary built before `npm run build` (a fresh clone) carries no web/dist and no
//! recorder/dist, and answers 503 there, saying how to build them; this test then checks that
//! answer instead, unless `PLAYBACK_REQUIRE_UI=1` (which `make test` sets, after building the
//! UI) makes it fail.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `playback up`, stopped when dropped.
struct Running {
    child: Child,
    address: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the built binary in `dir` with nothing of this environment, and waits for its address.
fn start_in(dir: &Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_playback"))
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .current_dir(dir)
        .env_clear()
        .env("PLAYBACK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", env!("CARGO_BIN_EXE_playback")));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = match lines.next() {
            Some(Ok(line)) => line,
            _ => panic!("playback up exited before it printed its address: {:?}", child.wait()),
        };
        if let Some(url) = line.strip_prefix("playback listening on http://") {
            break url.trim().to_owned();
        }
    };
    // Keep reading, so that the process never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Running { child, address }
}

/// An answer: status, content type and body.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

/// `GET path` over HTTP/1.1, the connection closed after the answer.
fn get(address: &str, path: &str) -> Answer {
    let mut stream = TcpStream::connect(address).unwrap_or_else(|error| panic!("connect {address}: {error}"));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap_or_else(|error| panic!("{error}"));
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap_or_else(|error| panic!("{error}"));
    let split = raw.windows(4).position(|window| window == b"\r\n\r\n").unwrap_or_else(|| panic!("no header end"));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let mut head_lines = head.lines();
    let status_line = head_lines.next().unwrap_or_default();
    let status = status_line.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let mut content_type = String::new();
    for line in head_lines {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-type") {
                content_type = value.trim().to_owned();
            }
            if name.eq_ignore_ascii_case("transfer-encoding") {
                panic!("{path}: a chunked answer; this client reads content-length bodies only");
            }
        }
    }
    Answer { status, content_type, body }
}

/// A file of the repository, as the build read it.
fn repository_file(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn playback_up_serves_its_ui_recorder_and_demo_from_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let repository = std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    let outside = std::fs::canonicalize(dir.path()).unwrap_or_else(|error| panic!("{error}"));
    assert!(!outside.starts_with(repository.unwrap_or_default()), "{} is inside the repository", outside.display());
    assert_eq!(std::fs::read_dir(&outside).map(Iterator::count).ok(), Some(0), "the directory starts empty");
    let running = start_in(&outside);

    let demo = get(&running.address, "/demo/");
    assert_eq!((demo.status, demo.content_type.as_str()), (200, "text/html"));
    assert_eq!(demo.body, repository_file("demo/index.html"));
    let page = get(&running.address, "/demo/page2.html");
    assert_eq!((page.status, page.body), (200, repository_file("demo/page2.html")));

    let built_in = playback::ui::web_ui_built_in() && playback::ui::recorder_built_in();
    if !built_in {
        assert!(
            std::env::var("PLAYBACK_REQUIRE_UI").as_deref() != Ok("1"),
            "web/dist or recorder/dist was missing when playback was built: run `npm run build` first"
        );
        let page = get(&running.address, "/");
        assert_eq!((page.status, page.content_type.as_str()), (503, "text/html; charset=utf-8"));
        assert!(String::from_utf8_lossy(&page.body).contains("npm run build"));
        let recorder = get(&running.address, "/recorder.js");
        assert_eq!(recorder.status, 503);
        assert!(String::from_utf8_lossy(&recorder.body).contains("npm run build"));
        eprintln!("the UI was not built into this binary; checked its 503 answers (npm run build, then test again)");
        return;
    }

    let index = repository_file("web/dist/index.html");
    let ui = get(&running.address, "/");
    assert_eq!((ui.status, ui.content_type.as_str()), (200, "text/html"));
    assert_eq!(ui.body, index);
    let route = get(&running.address, "/sessions/0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5f");
    assert_eq!((route.status, route.body), (200, index), "the UI's own routes get index.html");
    let script = get(&running.address, "/app.js");
    assert_eq!((script.status, script.content_type.as_str()), (200, "text/javascript"));
    assert_eq!(script.body, repository_file("web/dist/app.js"));
    let api = get(&running.address, "/v1/no-such-route");
    assert_eq!((api.status, api.content_type.as_str()), (404, "application/json"), "API paths are not the UI");

    let recorder = get(&running.address, "/recorder.js");
    assert_eq!((recorder.status, recorder.content_type.as_str()), (200, "application/javascript; charset=utf-8"));
    assert_eq!(recorder.body, repository_file("recorder/dist/recorder.js"));
    let map = get(&running.address, "/recorder.js.map");
    assert_eq!((map.status, map.body), (200, repository_file("recorder/dist/recorder.js.map")));

    let entries: Vec<_> = std::fs::read_dir(&outside)
        .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(entries, vec![std::ffi::OsString::from("data")], "it writes nothing but its data dir");
}
