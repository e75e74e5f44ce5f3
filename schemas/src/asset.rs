//! Where archived assets live in blob storage: content-addressed, per project.

/// The blob key of the copy of an asset: `assets/{project}/{hash}`, where `hash` is the
/// lowercase hex SHA-256 of the stored bytes.
pub fn asset_blob_key(project_id: &str, hash: &str) -> String {
    format!("assets/{project_id}/{hash}")
}

/// Whether `hash` is a SHA-256 in lowercase hex, the only form that names a copy.
pub fn is_asset_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lowercase_sha256_hex_names_a_copy() {
        assert!(is_asset_hash(&"ab".repeat(32)));
        assert!(!is_asset_hash(&"AB".repeat(32)), "uppercase");
        assert!(!is_asset_hash(&"ab".repeat(31)), "short");
        assert!(!is_asset_hash(&format!("{}..", "a".repeat(62))), "a path");
        assert_eq!(asset_blob_key("demo", "00ff"), "assets/demo/00ff");
    }
}
