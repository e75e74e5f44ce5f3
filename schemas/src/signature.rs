//! The similarity signature: MinHash over shingles of the page-path sequence and the action
//! sequence. The fraction of equal positions of two signatures estimates the Jaccard
//! similarity of their shingle sets.

/// Positions in a signature.
pub const SIGNATURE_LEN: usize = 64;

/// The shingles of a session: each page path, each pair of consecutive paths, and each run of
/// three consecutive actions.
pub fn shingles(paths: &[String], actions: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for path in paths {
        out.push(format!("p:{path}"));
    }
    for pair in paths.windows(2) {
        out.push(format!("pp:{}>{}", pair[0], pair[1]));
    }
    for triple in actions.windows(3) {
        out.push(format!("a:{}>{}>{}", triple[0], triple[1], triple[2]));
    }
    out.sort();
    out.dedup();
    out
}

fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn splitmix(mut value: u64) -> u64 {
    value = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    value ^ (value >> 31)
}

/// The MinHash signature of a shingle set; all `u32::MAX` for an empty set.
pub fn minhash(shingles: &[String]) -> Vec<u32> {
    let mut signature = vec![u32::MAX; SIGNATURE_LEN];
    for shingle in shingles {
        let base = fnv1a(shingle);
        for (position, slot) in signature.iter_mut().enumerate() {
            let hashed = (splitmix(base ^ splitmix(position as u64)) >> 32) as u32;
            *slot = (*slot).min(hashed);
        }
    }
    signature
}

/// The estimated Jaccard similarity of two signatures.
pub fn jaccard(left: &[u32], right: &[u32]) -> f64 {
    if left.is_empty() || left.len() != right.len() {
        return 0.0;
    }
    let equal = left.iter().zip(right).filter(|(a, b)| a == b && **a != u32::MAX).count();
    equal as f64 / left.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn identical_sessions_match_and_different_ones_do_not() {
        let actions = strings(&["page_view", "click", "input", "click", "page_view"]);
        let a = minhash(&shingles(&strings(&["/", "/two"]), &actions));
        let b = minhash(&shingles(&strings(&["/", "/two"]), &actions));
        let c = minhash(&shingles(
            &strings(&["/pricing", "/signup", "/done"]),
            &strings(&["page_view", "custom:x", "page_view"]),
        ));
        assert_eq!(jaccard(&a, &b), 1.0);
        assert!(jaccard(&a, &c) < 0.2);
        let partial = minhash(&shingles(&strings(&["/", "/three"]), &actions));
        let overlap = jaccard(&a, &partial);
        assert!(overlap > 0.2 && overlap < 0.95, "{overlap}");
        assert_eq!(jaccard(&minhash(&[]), &minhash(&[])), 0.0, "empty sessions are not similar");
    }
}
