//! Makes cargo rebuild `playback` when the files it carries change (src/ui.rs builds web/dist,
//! recorder/dist and demo/ into the binary), including files added or removed, and warns when
//! `npm run build` has not made them yet: the binary then builds without them, and answers 503
//! at `/` and `/recorder.js` saying so.

use std::path::Path;

fn main() {
    carry("../web/dist", "index.html", "the web UI");
    carry("../recorder/dist", "recorder.js", "the recorder bundle");
    carry("../demo", "index.html", "the demo site");
}

/// Watches `dir` and warns when `entry` is not in it.
fn carry(dir: &str, entry: &str, what: &str) {
    let path = Path::new(dir);
    if path.is_dir() {
        println!("cargo:rerun-if-changed={dir}");
    } else if let Some(parent) = path.parent() {
        // Cargo reruns a build script on every build while a watched path is missing, so watch
        // the parent, which changes when the directory appears.
        println!("cargo:rerun-if-changed={}", parent.display());
    }
    if !path.join(entry).is_file() {
        let shown = dir.trim_start_matches("../");
        println!(
            "cargo:warning={shown}/{entry} is missing, so this build of playback leaves out {what}: \
             run `npm run build` first, then build again"
        );
    }
}
