//! The sealed format and AES-256-GCM under one data key.

use std::sync::Arc;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

use crate::KeyError;

/// The first bytes of every sealed value: neither an Avro single-object value (`C3 01`) nor a
/// zstd frame (`28 B5 2F FD`) nor JSON starts so.
pub const MAGIC: [u8; 4] = *b"PBS\x01";

const NONCE_LEN: usize = 12;

/// A data key, ready to seal and open. Cheap to clone.
#[derive(Clone)]
pub struct SessionKey {
    key_id: Arc<str>,
    cipher: Arc<Aes256Gcm>,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("SessionKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl SessionKey {
    pub(crate) fn new(key_id: &str, bytes: &[u8; 32]) -> Self {
        SessionKey { key_id: Arc::from(key_id), cipher: Arc::new(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(bytes))) }
    }

    /// The key's id: the last segment of its blob key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// `plaintext` sealed under this key with a fresh random nonce, bound to `aad` (where the
    /// value lives).
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let id = self.key_id.as_bytes();
        debug_assert!(id.len() <= usize::from(u8::MAX));
        let mut sealed = Vec::with_capacity(MAGIC.len() + 1 + id.len() + NONCE_LEN + plaintext.len() + 16);
        sealed.extend_from_slice(&MAGIC);
        sealed.push(id.len() as u8);
        sealed.extend_from_slice(id);
        sealed.extend_from_slice(&nonce);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad })
            .expect("AES-GCM encrypts any message under 64 GiB");
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// The plaintext of `sealed`, which must have been sealed by this key with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        let Some((key_id, rest)) = split_sealed(sealed) else {
            return Err(KeyError::Corrupt("a sealed value".into()));
        };
        if key_id != &*self.key_id || rest.len() < NONCE_LEN {
            return Err(KeyError::Corrupt("a sealed value".into()));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad })
            .map_err(|_| KeyError::Corrupt("a sealed value".into()))
    }
}

/// The id of the key `bytes` were sealed under, or `None` when `bytes` are not sealed.
pub fn sealed_key_id(bytes: &[u8]) -> Option<&str> {
    split_sealed(bytes).map(|(key_id, _)| key_id)
}

fn split_sealed(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let rest = bytes.strip_prefix(&MAGIC)?;
    let (&length, rest) = rest.split_first()?;
    let length = usize::from(length);
    if rest.len() < length {
        return None;
    }
    let (id, rest) = rest.split_at(length);
    Some((std::str::from_utf8(id).ok()?, rest))
}

/// Wraps a data key under a project key: `master id length | master id | nonce | ciphertext`,
/// bound to the blob key it is stored under.
pub(crate) fn wrap(kek: &[u8; 32], master_id: &str, blob_key: &str, dek: &[u8; 32]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(kek));
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let id = master_id.as_bytes();
    let mut wrapped = Vec::with_capacity(1 + id.len() + NONCE_LEN + 48);
    wrapped.push(id.len() as u8);
    wrapped.extend_from_slice(id);
    wrapped.extend_from_slice(&nonce);
    let ciphertext = cipher
        .encrypt(&nonce, Payload { msg: dek, aad: blob_key.as_bytes() })
        .expect("AES-GCM encrypts any message under 64 GiB");
    wrapped.extend_from_slice(&ciphertext);
    wrapped
}

/// The id of the master key a wrapped data key names.
pub(crate) fn wrapped_master_id(wrapped: &[u8]) -> Option<&str> {
    let (&length, rest) = wrapped.split_first()?;
    std::str::from_utf8(rest.get(..usize::from(length))?).ok()
}

/// The data key in `wrapped`, which was stored under `blob_key`.
pub(crate) fn unwrap(kek: &[u8; 32], blob_key: &str, wrapped: &[u8]) -> Result<[u8; 32], KeyError> {
    let corrupt = || KeyError::Corrupt(format!("the data key {blob_key}").into());
    let (&length, rest) = wrapped.split_first().ok_or_else(corrupt)?;
    let rest = rest.get(usize::from(length)..).ok_or_else(corrupt)?;
    if rest.len() < NONCE_LEN {
        return Err(corrupt());
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(kek));
    let plain = cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: blob_key.as_bytes() })
        .map_err(|_| corrupt())?;
    plain.try_into().map_err(|_| corrupt())
}

/// 32 random bytes from the operating system.
pub(crate) fn random_key() -> [u8; 32] {
    Aes256Gcm::generate_key(&mut OsRng).into()
}
