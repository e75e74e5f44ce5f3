//! The keyring: data keys per session, kept wrapped in the blob store, cached for a while.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use playback_blobs::BlobStore;

use crate::cipher::{self, SessionKey};
use crate::{metrics, KeyError, MasterKeys};

/// The session id under which a project's asset key lives: `keys/{project}/_assets/{key_id}`.
/// Assets are shared by the sessions of a project, so no one session's deletion destroys them.
pub const ASSET_SESSION: &str = "_assets";

/// Striped locks so that one process creates at most one key per session at a time.
const CREATION_STRIPES: usize = 64;

struct Cached<T> {
    until: Instant,
    value: T,
}

/// A map whose entries expire, bounded in size.
struct Cache<K, T> {
    entries: HashMap<K, Cached<T>>,
    ttl: Duration,
    capacity: usize,
}

impl<K: std::hash::Hash + Eq + Clone, T: Clone> Cache<K, T> {
    fn new(ttl: Duration, capacity: usize) -> Self {
        Cache { entries: HashMap::new(), ttl, capacity: capacity.max(1) }
    }

    fn get(&mut self, key: &K) -> Option<T> {
        let now = Instant::now();
        match self.entries.get(key) {
            Some(cached) if cached.until > now => Some(cached.value.clone()),
            Some(_) => {
                self.entries.remove(key);
                None
            }
            None => None,
        }
    }

    fn insert(&mut self, key: K, value: T) {
        if self.ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        if self.entries.len() >= self.capacity {
            self.entries.retain(|_, cached| cached.until > now);
        }
        if self.entries.len() >= self.capacity {
            let oldest = self.entries.iter().min_by_key(|(_, cached)| cached.until).map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, Cached { until: now + self.ttl, value });
    }

    fn forget(&mut self, keep: impl Fn(&K) -> bool) {
        self.entries.retain(|key, _| keep(key));
    }
}

type SessionId = (String, String);
type KeyId = (String, String, String);

/// Data keys per session: got or created by [`Keyring::session_key`], opened by id with
/// [`Keyring::open`], destroyed with [`Keyring::destroy`].
pub struct Keyring {
    blobs: Arc<dyn BlobStore>,
    masters: MasterKeys,
    /// The key new data of a session is sealed under.
    current: Mutex<Cache<SessionId, SessionKey>>,
    /// Keys by id; `None` for a key that is gone (destroyed).
    opened: Mutex<Cache<KeyId, Option<SessionKey>>>,
    creating: Vec<tokio::sync::Mutex<()>>,
}

/// `keys/{project}/{session}/`: the prefix of every data key of a session.
pub fn session_prefix(project: &str, session: &str) -> String {
    format!("keys/{project}/{session}/")
}

impl Keyring {
    /// A keyring over the wrapped keys in `blobs`, with `masters`, caching keys for `ttl`, at
    /// most `capacity` of them.
    pub fn new(blobs: Arc<dyn BlobStore>, masters: MasterKeys, ttl: Duration, capacity: usize) -> Self {
        Keyring {
            blobs,
            masters,
            current: Mutex::new(Cache::new(ttl, capacity)),
            opened: Mutex::new(Cache::new(ttl, capacity)),
            creating: (0..CREATION_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }

    /// The master keys.
    pub fn masters(&self) -> &MasterKeys {
        &self.masters
    }

    fn cached_current(&self, id: &SessionId) -> Option<SessionKey> {
        self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(id)
    }

    fn remember(&self, project: &str, session: &str, key: &SessionKey) {
        let session_id = (project.to_string(), session.to_string());
        let key_id = (project.to_string(), session.to_string(), key.key_id().to_string());
        self.opened.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(key_id, Some(key.clone()));
        self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(session_id, key.clone());
    }

    /// The key new data of `session` is sealed under: one of its keys wrapped under the current
    /// master, or a new one.
    pub async fn session_key(&self, project: &str, session: &str) -> Result<SessionKey, KeyError> {
        let session_id = (project.to_string(), session.to_string());
        if let Some(key) = self.cached_current(&session_id) {
            return Ok(key);
        }
        let stripe = stripe(project, session);
        let _creating = self.creating[stripe].lock().await;
        if let Some(key) = self.cached_current(&session_id) {
            return Ok(key);
        }
        let prefix = session_prefix(project, session);
        let today = today();
        for blob_key in self.blobs.list(&prefix).await? {
            let key_id = &blob_key[prefix.len()..];
            // The asset key of a project lives for ever, so it changes daily: a copy's key is at
            // most a day older than the copy, and a bucket lifecycle that expires both by age
            // never leaves a copy without its key for more than a day.
            if session == ASSET_SESSION && key_day(key_id) != Some(today) {
                continue;
            }
            let Some(wrapped) = self.blobs.get(&blob_key).await? else { continue };
            if cipher::wrapped_master_id(&wrapped) != Some(self.masters.current_id()) {
                continue;
            }
            let key = self.unwrapped(project, &blob_key, key_id, &wrapped)?;
            self.remember(project, session, &key);
            return Ok(key);
        }
        let key_id = format!("{today}-{}", uuid::Uuid::new_v4().simple());
        let blob_key = format!("{prefix}{key_id}");
        let dek = cipher::random_key();
        let master_id = self.masters.current_id();
        let kek = self.masters.kek(master_id, project).expect("the current master key is configured");
        self.blobs.put(&blob_key, cipher::wrap(&kek, master_id, &blob_key, &dek)).await?;
        metrics::KEYS_CREATED.inc();
        let key = SessionKey::new(&key_id, &dek);
        self.remember(project, session, &key);
        Ok(key)
    }

    /// The asset key of `project`, shared by its sessions.
    pub async fn asset_key(&self, project: &str) -> Result<SessionKey, KeyError> {
        self.session_key(project, ASSET_SESSION).await
    }

    /// The key `key_id` of `session`, or `None` when it is gone: what it sealed is unreadable.
    pub async fn open(&self, project: &str, session: &str, key_id: &str) -> Result<Option<SessionKey>, KeyError> {
        let id = (project.to_string(), session.to_string(), key_id.to_string());
        if let Some(known) = self.opened.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&id) {
            return Ok(known);
        }
        let blob_key = format!("{}{key_id}", session_prefix(project, session));
        let valid_id = !key_id.is_empty() && playback_blobs::validate_key(&blob_key).is_ok();
        let found = match valid_id {
            true => self.blobs.get(&blob_key).await?,
            false => None,
        };
        let key = match found {
            Some(wrapped) => Some(self.unwrapped(project, &blob_key, key_id, &wrapped)?),
            None => None,
        };
        self.opened.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(id, key.clone());
        Ok(key)
    }

    fn unwrapped(&self, project: &str, blob_key: &str, key_id: &str, wrapped: &[u8]) -> Result<SessionKey, KeyError> {
        Ok(SessionKey::new(key_id, &self.unwrapped_bytes(project, blob_key, wrapped)?))
    }

    /// Destroys every data key of `session` (deletes the blobs under `keys/{project}/{session}/`)
    /// and forgets them in this process; returns how many there were. Other processes forget
    /// them within their cache's time to live.
    pub async fn destroy(&self, project: &str, session: &str) -> Result<usize, KeyError> {
        let stripe = stripe(project, session);
        let _creating = self.creating[stripe].lock().await;
        let prefix = session_prefix(project, session);
        let keys = self.blobs.list(&prefix).await?;
        for blob_key in &keys {
            self.blobs.delete(blob_key).await?;
        }
        self.forget(project, session);
        metrics::KEYS_DESTROYED.inc_by(keys.len() as u64);
        Ok(keys.len())
    }

    /// Forgets the cached data keys of `session` in this process, so that nothing here opens
    /// its data after its key blobs are gone (however they were deleted).
    pub fn forget(&self, project: &str, session: &str) {
        let of_session = |candidate_project: &str, candidate_session: &str| {
            candidate_project == project && candidate_session == session
        };
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .forget(|(candidate_project, candidate_session)| !of_session(candidate_project, candidate_session));
        self.opened
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .forget(|(candidate_project, candidate_session, _)| !of_session(candidate_project, candidate_session));
    }

    /// Re-wraps every data key of `project` that is not under the current master with the
    /// current master; returns how many were re-wrapped. After it, older masters may go.
    pub async fn rewrap(&self, project: &str) -> Result<usize, KeyError> {
        let master_id = self.masters.current_id();
        let kek = self.masters.kek(master_id, project).expect("the current master key is configured");
        let mut rewrapped = 0;
        for blob_key in self.blobs.list(&format!("keys/{project}/")).await? {
            let Some(wrapped) = self.blobs.get(&blob_key).await? else { continue };
            if cipher::wrapped_master_id(&wrapped) == Some(master_id) {
                continue;
            }
            let old = self.unwrapped_bytes(project, &blob_key, &wrapped)?;
            self.blobs.put(&blob_key, cipher::wrap(&kek, master_id, &blob_key, &old)).await?;
            rewrapped += 1;
        }
        Ok(rewrapped)
    }

    fn unwrapped_bytes(&self, project: &str, blob_key: &str, wrapped: &[u8]) -> Result<[u8; 32], KeyError> {
        let master_id = cipher::wrapped_master_id(wrapped)
            .ok_or_else(|| KeyError::Corrupt(format!("the data key {blob_key}").into()))?;
        let kek = self
            .masters
            .kek(master_id, project)
            .ok_or_else(|| KeyError::UnknownMaster { blob: blob_key.to_string(), master: master_id.to_string() })?;
        cipher::unwrap(&kek, blob_key, wrapped)
    }
}

/// Days since the Unix epoch, UTC.
fn today() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    since.as_secs() / 86_400
}

/// The day a key was created, from its id `{day}-{random}`.
fn key_day(key_id: &str) -> Option<u64> {
    key_id.split_once('-')?.0.parse().ok()
}

fn stripe(project: &str, session: &str) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in project.bytes().chain([b'/']).chain(session.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % CREATION_STRIPES as u64) as usize
}
