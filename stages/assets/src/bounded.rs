//! A map that forgets its least recently used entries past a size: the stage's memory of
//! windows, of what it recorded and of what it fetched stays bounded however long it runs.

use std::collections::HashMap;
use std::hash::Hash;

/// At most `capacity` entries; past it, the least recently used tenth is forgotten.
#[derive(Debug)]
pub struct Bounded<K, V> {
    entries: HashMap<K, (u64, V)>,
    clock: u64,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    pub fn new(capacity: usize) -> Self {
        Bounded { entries: HashMap::new(), clock: 0, capacity: capacity.max(1) }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// The value of `key`, marked as used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(key).map(|(used, value)| {
            *used = clock;
            &*value
        })
    }

    /// Takes the value of `key` out.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.entries.remove(key).map(|(_, value)| value)
    }

    /// Sets the value of `key`, marked as used.
    pub fn insert(&mut self, key: K, value: V) {
        if !self.entries.contains_key(&key) {
            self.make_room();
        }
        self.clock += 1;
        self.entries.insert(key, (self.clock, value));
    }

    fn make_room(&mut self) {
        if self.entries.len() < self.capacity {
            return;
        }
        let mut ages: Vec<u64> = self.entries.values().map(|(used, _)| *used).collect();
        ages.sort_unstable();
        let forget = (self.capacity / 10).max(1);
        let cutoff = ages[forget.min(ages.len()) - 1];
        self.entries.retain(|_, (used, _)| *used > cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_least_recently_used_past_its_capacity() {
        let mut map = Bounded::new(10);
        for key in 0..10 {
            map.insert(key, key * 2);
        }
        assert_eq!(map.get(&0), Some(&0));
        map.insert(10, 20);
        assert_eq!(map.len(), 10);
        assert!(map.contains(&0), "used recently");
        assert!(!map.contains(&1), "the least recently used is forgotten");
        assert_eq!(map.remove(&0), Some(0));
        assert!(!map.contains(&0));
    }
}
