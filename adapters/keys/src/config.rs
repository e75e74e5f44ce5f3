//! `[encryption]`: the master keys, which one is current, and the key cache.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::KeyError;

/// `[encryption]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EncryptionConfig {
    /// The master keys, each with an id (default: none; `playback up` then keeps one in
    /// `{data_dir}/master.key`, and a distributed stage refuses to start).
    pub keys: Vec<MasterKeyConfig>,
    /// The id of the master key new data keys are wrapped under (default: the only key, when
    /// there is one).
    pub current: String,
    /// How long a process keeps a data key it has read, in ms (default 30 000): a key destroyed
    /// elsewhere stops opening here within this time.
    pub cache_ttl_ms: u64,
    /// How many data keys a process keeps at most (default 10 000).
    pub cache_capacity: usize,
}

impl Default for EncryptionConfig {
    fn default() -> Self {
        EncryptionConfig { keys: Vec::new(), current: String::new(), cache_ttl_ms: 30_000, cache_capacity: 10_000 }
    }
}

/// One master key: 32 bytes, from a file (raw, or base64 text) or inline as base64.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MasterKeyConfig {
    /// The key's id, recorded in every data key wrapped under it: `[A-Za-z0-9._-]`, at most 64.
    pub id: String,
    /// A file holding the key: 32 bytes, or their base64.
    pub key_file: Option<PathBuf>,
    /// The key as base64 (for tests, or from the environment).
    pub key: Option<String>,
}

/// A master key: its id and 32 bytes.
#[derive(Clone)]
pub struct MasterKey {
    pub id: String,
    bytes: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("MasterKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A master key from its id and bytes.
    pub fn new(id: impl Into<String>, bytes: [u8; 32]) -> Result<Self, KeyError> {
        let id = id.into();
        let valid = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'));
        if !valid {
            return Err(KeyError::Config(format!("master key id {id:?} is not 1 to 64 of [A-Za-z0-9._-]").into()));
        }
        Ok(MasterKey { id, bytes })
    }

    /// `HKDF-SHA256(master, salt, info)`: 32 bytes.
    fn derive(&self, salt: &[u8], info: &[u8]) -> [u8; 32] {
        let hkdf = Hkdf::<Sha256>::new(Some(salt), &self.bytes);
        let mut out = [0u8; 32];
        hkdf.expand(info, &mut out).expect("32 bytes is a valid HKDF-SHA256 length");
        out
    }
}

/// The configured master keys, one of them current.
#[derive(Debug, Clone)]
pub struct MasterKeys {
    keys: Vec<MasterKey>,
    current: usize,
}

/// 32 bytes from a key file or an inline value: raw bytes, or base64 text.
fn key_bytes(bytes: &[u8], what: &str) -> Result<[u8; 32], KeyError> {
    if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
        return Ok(raw);
    }
    let text = std::str::from_utf8(bytes).map(str::trim).unwrap_or_default();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| KeyError::Config(format!("{what} is neither 32 bytes nor their base64").into()))?;
    decoded.try_into().map_err(|_| KeyError::Config(format!("{what} is not 32 bytes").into()))
}

impl MasterKeys {
    /// `keys`, with the one whose id is `current` current.
    pub fn new(keys: Vec<MasterKey>, current: &str) -> Result<Self, KeyError> {
        let position = keys.iter().position(|key| key.id == current);
        let Some(current) = position else {
            return Err(KeyError::Config(format!("current = {current:?} names no configured key").into()));
        };
        for (index, key) in keys.iter().enumerate() {
            if keys[..index].iter().any(|other| other.id == key.id) {
                return Err(KeyError::Config(format!("two keys have the id {:?}", key.id).into()));
            }
        }
        Ok(MasterKeys { keys, current })
    }

    /// The keys `config` names (files read now), or `None` when it names none.
    pub fn from_config(config: &EncryptionConfig) -> Result<Option<Self>, KeyError> {
        if config.keys.is_empty() {
            return Ok(None);
        }
        let mut keys = Vec::new();
        for entry in &config.keys {
            let what = format!("encryption key {:?}", entry.id);
            let bytes = match (&entry.key_file, &entry.key) {
                (Some(path), None) => {
                    let contents = std::fs::read(path).map_err(|error| {
                        KeyError::Config(format!("cannot read {what} from {}: {error}", path.display()).into())
                    })?;
                    key_bytes(&contents, &what)?
                }
                (None, Some(inline)) => key_bytes(inline.as_bytes(), &what)?,
                _ => return Err(KeyError::Config(format!("{what} needs exactly one of key_file and key").into())),
            };
            keys.push(MasterKey::new(entry.id.clone(), bytes)?);
        }
        let current = match (config.current.as_str(), keys.as_slice()) {
            ("", [only]) => only.id.clone(),
            ("", _) => return Err(KeyError::Config("several keys and no current: say which one is current".into())),
            (current, _) => current.to_string(),
        };
        MasterKeys::new(keys, &current).map(Some)
    }

    /// The key kept in the file at `path` under the id `local`, made (32 random bytes, readable
    /// by the owner only from the moment it exists) when the file is missing.
    pub fn local(path: &Path) -> Result<Self, KeyError> {
        let cannot = |doing: &str, error: std::io::Error| {
            KeyError::Config(format!("cannot {doing} {}: {error}", path.display()).into())
        };
        if !path.exists() {
            let parent = path.parent().unwrap_or(Path::new("."));
            let temporary = parent.join(format!(".master.key-{}", std::process::id()));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temporary).map_err(|error| cannot("create a key beside", error))?;
            file.write_all(&crate::cipher::random_key()).and_then(|()| file.sync_all()).map_err(|error| {
                let _ = std::fs::remove_file(&temporary);
                cannot("write", error)
            })?;
            // A link fails when the file appeared meanwhile: then the other process's key wins.
            let linked = std::fs::hard_link(&temporary, path);
            let _ = std::fs::remove_file(&temporary);
            match linked {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(cannot("keep the key in", error)),
            }
        }
        let contents = std::fs::read(path).map_err(|error| cannot("read", error))?;
        let key = MasterKey::new("local", key_bytes(&contents, &path.display().to_string())?)?;
        MasterKeys::new(vec![key], "local")
    }

    /// The current key's id.
    pub fn current_id(&self) -> &str {
        &self.keys[self.current].id
    }

    /// The project key of `project` under the master key `master_id`, if that key is configured.
    pub(crate) fn kek(&self, master_id: &str, project: &str) -> Option<[u8; 32]> {
        let master = self.keys.iter().find(|key| key.id == master_id)?;
        Some(master.derive(b"playback project key v1", project.as_bytes()))
    }

    /// The keys of an embedded database file called `name` (`log.db`), the current master's
    /// first, then the others': a file keyed under an older master is opened with it and rekeyed.
    pub fn database_keys(&self, name: &str) -> Vec<[u8; 32]> {
        let mut keys = vec![self.keys[self.current].derive(b"playback sqlite key v1", name.as_bytes())];
        for (index, key) in self.keys.iter().enumerate() {
            if index != self.current {
                keys.push(key.derive(b"playback sqlite key v1", name.as_bytes()));
            }
        }
        keys
    }
}
