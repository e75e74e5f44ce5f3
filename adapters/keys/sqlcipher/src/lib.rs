//! The embedded SQLite files (the log and the warehouse) encrypted with SQLCipher.
//!
//! [`open`] keys a connection with a raw 256-bit key (`PRAGMA key = "x'…'"`, no passphrase
//! stretching: the keys are derived from a master key already), right after opening it, before
//! anything reads the file. The keys are tried in order; a file keyed with a later one is rekeyed
//! to the first (master key rotation). A plaintext file from a version before encryption
//! (starting with `SQLite format 3`) is encrypted in place with `sqlcipher_export` first.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

/// The first 16 bytes of a plaintext SQLite file.
pub const PLAINTEXT_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A database key: 32 bytes.
pub type DatabaseKey = [u8; 32];

fn hex(key: &DatabaseKey) -> String {
    key.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn key_pragma(pragma: &str, schema: Option<&str>, key: &DatabaseKey) -> String {
    let schema = schema.map(|schema| format!("{schema}.")).unwrap_or_default();
    format!("PRAGMA {schema}{pragma} = \"x'{}'\";", hex(key))
}

/// Whether the file at `path` is a plaintext SQLite database.
pub fn is_plaintext(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut header = [0u8; 16];
    match std::fs::File::open(path) {
        Ok(mut file) => match file.read_exact(&mut header) {
            Ok(()) => Ok(&header == PLAINTEXT_HEADER),
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
            Err(error) => Err(error),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

fn other(message: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOTADB), Some(message))
}

/// Opens (or creates) the database at `path` keyed with `keys[0]`; with no keys, a plaintext
/// database as before.
pub fn open(path: &Path, keys: &[DatabaseKey]) -> rusqlite::Result<Connection> {
    let Some(first) = keys.first() else { return Connection::open(path) };
    if is_plaintext(path).map_err(|error| other(format!("cannot read {}: {error}", path.display())))? {
        encrypt_in_place(path, first)?;
    }
    for (index, key) in keys.iter().enumerate() {
        let connection = Connection::open(path)?;
        connection.execute_batch(&key_pragma("key", None, key))?;
        // A wrong key shows on the first read of the schema.
        if connection.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0)).is_err() {
            continue;
        }
        if index > 0 {
            connection.execute_batch(&key_pragma("rekey", None, first))?;
        }
        return Ok(connection);
    }
    Err(other(format!(
        "{} is encrypted with none of the configured master keys: configure the key it was made with",
        path.display()
    )))
}

/// Encrypts the plaintext database at `path` under `key`: exported into a new file, which then
/// replaces it, write-ahead log included.
pub fn encrypt_in_place(path: &Path, key: &DatabaseKey) -> rusqlite::Result<()> {
    let encrypted = sibling(path, ".encrypting");
    let _ = std::fs::remove_file(&encrypted);
    {
        let plain = Connection::open(path)?;
        plain.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        let user_version: i64 = plain.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        plain.execute(
            &format!("ATTACH DATABASE ?1 AS encrypted KEY \"x'{}'\"", hex(key)),
            [encrypted.to_string_lossy()],
        )?;
        plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        plain.execute_batch(&format!("PRAGMA encrypted.user_version = {user_version}; DETACH DATABASE encrypted;"))?;
    }
    let io = |error: std::io::Error| other(format!("cannot replace {}: {error}", path.display()));
    std::fs::rename(&encrypted, path).map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        match std::fs::remove_file(sibling(path, suffix)) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io(error)),
        }
    }
    Ok(())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const KEY: DatabaseKey = [7; 32];
    const OTHER: DatabaseKey = [9; 32];

    fn header(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap()[..16].to_vec()
    }

    #[test]
    fn an_encrypted_file_has_no_plaintext_header_and_opens_with_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        {
            let connection = open(&path, &[KEY]).unwrap();
            connection
                .execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('hello');")
                .unwrap();
        }
        assert_ne!(header(&path), PLAINTEXT_HEADER);
        assert!(!std::fs::read(&path).unwrap().windows(5).any(|window| window == b"hello"));
        assert!(open(&path, &[OTHER]).is_err());
        let value: String = open(&path, &[KEY]).unwrap().query_row("SELECT v FROM t", [], |row| row.get(0)).unwrap();
        assert_eq!(value, "hello");
    }

    #[test]
    fn a_plaintext_file_is_encrypted_in_place_with_its_rows_and_user_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        {
            let connection = Connection::open(&path).unwrap();
            connection
                .execute_batch("PRAGMA journal_mode=WAL; PRAGMA user_version = 3; CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept');")
                .unwrap();
        }
        assert_eq!(header(&path), PLAINTEXT_HEADER);
        let connection = open(&path, &[KEY]).unwrap();
        let value: String = connection.query_row("SELECT v FROM t", [], |row| row.get(0)).unwrap();
        let user_version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!((value.as_str(), user_version), ("kept", 3));
        assert_ne!(header(&path), PLAINTEXT_HEADER);
    }

    #[test]
    fn a_file_keyed_with_an_older_key_is_rekeyed_to_the_current_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        open(&path, &[OTHER]).unwrap().execute_batch("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('old');").unwrap();
        open(&path, &[KEY, OTHER]).unwrap();
        let value: String = open(&path, &[KEY]).unwrap().query_row("SELECT v FROM t", [], |row| row.get(0)).unwrap();
        assert_eq!(value, "old");
    }
}
