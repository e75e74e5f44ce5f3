//! Share-link tokens: `<payload>.<signature>`, both base64url without padding. The payload is
//! JSON naming the share, its project, its session and its expiry; the signature is
//! HMAC-SHA256 of the payload's base64 text under the signing key.
//!
//! Asset grants are signed with the same key in the same form, under their own domain (the MAC
//! covers `asset-grant.` before the payload), so that one kind of token never verifies as the
//! other.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a share token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareClaims {
    #[serde(rename = "s")]
    pub share_id: String,
    #[serde(rename = "p")]
    pub project_id: String,
    #[serde(rename = "i")]
    pub session_id: String,
    /// Expiry, ms since the epoch.
    #[serde(rename = "e")]
    pub expires_at_ms: i64,
}

/// What an asset grant says: its holder may read the archived assets of one session until it
/// expires. The query API hands one out with a session's asset listing, so that the replay,
/// which loads assets as plain browser requests without the bearer token, can load them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetGrant {
    #[serde(rename = "p")]
    pub project_id: String,
    #[serde(rename = "i")]
    pub session_id: String,
    /// Expiry, ms since the epoch.
    #[serde(rename = "e")]
    pub expires_at_ms: i64,
}

/// The MAC domain of asset grants.
const ASSET_GRANT_DOMAIN: &[u8] = b"asset-grant.";

/// Signs and verifies share tokens with one key.
#[derive(Clone)]
pub struct ShareSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for ShareSigner {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ShareSigner(..)")
    }
}

/// The shortest signing key accepted.
pub const MIN_KEY_BYTES: usize = 32;

impl ShareSigner {
    /// A signer with `key`, which must have at least [`MIN_KEY_BYTES`] bytes.
    pub fn new(key: &[u8]) -> Result<Self, String> {
        if key.len() < MIN_KEY_BYTES {
            return Err(format!("the share signing key needs at least {MIN_KEY_BYTES} bytes"));
        }
        Ok(ShareSigner { key: key.to_vec() })
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("HMAC takes any key"))
    }

    /// The token of `claims`.
    pub fn sign(&self, claims: &ShareClaims) -> String {
        self.sign_in(b"", claims)
    }

    /// The claims of `token` when its signature verifies (in constant time); `None` otherwise.
    /// Expiry is the caller's to check.
    pub fn verify(&self, token: &str) -> Option<ShareClaims> {
        self.verify_in(b"", token)
    }

    /// The token of an asset grant.
    pub fn sign_grant(&self, grant: &AssetGrant) -> String {
        self.sign_in(ASSET_GRANT_DOMAIN, grant)
    }

    /// The asset grant of `token` when its signature verifies; expiry is the caller's to check.
    pub fn verify_grant(&self, token: &str) -> Option<AssetGrant> {
        self.verify_in(ASSET_GRANT_DOMAIN, token)
    }

    fn sign_in<T: Serialize>(&self, domain: &[u8], claims: &T) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let mut mac = self.mac();
        mac.update(domain);
        mac.update(payload.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    fn verify_in<T: serde::de::DeserializeOwned>(&self, domain: &[u8], token: &str) -> Option<T> {
        let (payload, signature) = token.split_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = self.mac();
        mac.update(domain);
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature).ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> ShareClaims {
        ShareClaims { share_id: "sh".into(), project_id: "demo".into(), session_id: "s1".into(), expires_at_ms: 42 }
    }

    #[test]
    fn a_signed_token_verifies_and_a_changed_one_does_not() {
        let signer = ShareSigner::new(&[7u8; 32]).unwrap_or_else(|error| panic!("{error}"));
        let token = signer.sign(&claims());
        assert_eq!(signer.verify(&token), Some(claims()));

        let (payload, signature) = token.split_once('.').unwrap_or_default();
        let mut forged = claims();
        forged.session_id = "another".into();
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap_or_default());
        assert_eq!(signer.verify(&format!("{forged_payload}.{signature}")), None, "a changed payload");
        assert_eq!(signer.verify(&format!("{payload}.{}", &signature[1..])), None, "a cut signature");
        assert_eq!(signer.verify(payload), None, "no signature");
        let other = ShareSigner::new(&[8u8; 32]).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(other.verify(&token), None, "another key");
    }

    #[test]
    fn a_grant_is_not_a_share_token_and_a_share_token_is_not_a_grant() {
        let signer = ShareSigner::new(&[7u8; 32]).unwrap_or_else(|error| panic!("{error}"));
        let grant = AssetGrant { project_id: "demo".into(), session_id: "s1".into(), expires_at_ms: 42 };
        let token = signer.sign_grant(&grant);
        assert_eq!(signer.verify_grant(&token), Some(grant.clone()));
        assert_eq!(signer.verify(&token), None, "a grant does not open a share");
        assert_eq!(signer.verify_grant(&signer.sign(&claims())), None, "a share token is not a grant");
        let (payload, _) = token.split_once('.').unwrap_or_default();
        let share_signature = {
            let mut mac = signer.mac();
            mac.update(payload.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        };
        assert_eq!(signer.verify_grant(&format!("{payload}.{share_signature}")), None, "the domain is signed");
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(ShareSigner::new(&[1u8; 31]).is_err());
    }
}
