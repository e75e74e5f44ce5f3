//! Which offsets a stage may commit: per owned partition, everything read, capped below the
//! first record whose effects are not durable yet, and only past what is already committed.

use std::collections::HashMap;

/// What a stage says is durable after it processed records or ticked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Commit {
    /// Nothing new is durable.
    Nothing,
    /// The effects of every record read so far are durable.
    All,
    /// Every record read so far is durable except, per listed partition, those from the given
    /// offset on (a held batch, a buffer not yet written).
    Below(Vec<(i32, i64)>),
}

/// Per partition: the offset after the last record read, and the last committed offset.
#[derive(Debug, Default)]
pub struct Offsets {
    read: HashMap<i32, i64>,
    committed: HashMap<i32, i64>,
}

impl Offsets {
    /// Notes that the record at `offset` of `partition` was read.
    pub fn read(&mut self, partition: i32, offset: i64) {
        let next = self.read.entry(partition).or_insert(offset + 1);
        *next = (*next).max(offset + 1);
    }

    /// Forgets partitions not in `owned`: their next owner commits them.
    pub fn retain(&mut self, owned: &[i32]) {
        self.read.retain(|partition, _| owned.contains(partition));
        self.committed.retain(|partition, _| owned.contains(partition));
    }

    /// The offsets `commit` allows beyond those already committed, in partition order.
    pub fn to_commit(&self, commit: &Commit) -> Vec<(i32, i64)> {
        let limits: &[(i32, i64)] = match commit {
            Commit::Nothing => return Vec::new(),
            Commit::All => &[],
            Commit::Below(limits) => limits,
        };
        let mut safe = self.read.clone();
        for (partition, limit) in limits {
            if let Some(entry) = safe.get_mut(partition) {
                *entry = (*entry).min(*limit);
            }
        }
        let mut offsets: Vec<(i32, i64)> = safe
            .into_iter()
            .filter(|(partition, offset)| self.committed.get(partition).is_none_or(|done| offset > done))
            .collect();
        offsets.sort_unstable();
        offsets
    }

    /// Notes that `offsets` were committed.
    pub fn committed(&mut self, offsets: &[(i32, i64)]) {
        self.committed.extend(offsets.iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_stop_below_the_oldest_pending_record_of_each_partition() {
        // Partition 0 read up to 100 with pending records from 40 and 70; partition 1 read to 50
        // with nothing pending; partition 2 read to 9 and already committed there.
        let mut offsets = Offsets::default();
        for (partition, offset) in [(0, 99), (1, 49), (2, 8)] {
            offsets.read(partition, offset);
        }
        offsets.committed(&[(2, 9), (1, 20)]);
        assert_eq!(offsets.to_commit(&Commit::Below(vec![(0, 70), (0, 40)])), vec![(0, 40), (1, 50)]);
        offsets.committed(&[(0, 40), (1, 50)]);
        // Once the record at 40 is durable, the commit moves up to the next one.
        assert_eq!(offsets.to_commit(&Commit::Below(vec![(0, 70)])), vec![(0, 70)]);
        // Never backwards: a pending record older than the commit does not produce one.
        assert!(offsets.to_commit(&Commit::Below(vec![(0, 30)])).is_empty());
        assert!(offsets.to_commit(&Commit::Nothing).is_empty());
        assert_eq!(offsets.to_commit(&Commit::All), vec![(0, 100)]);
    }

    #[test]
    fn revoked_partitions_are_forgotten() {
        let mut offsets = Offsets::default();
        for partition in [0, 1, 3] {
            offsets.read(partition, 9);
        }
        offsets.committed(&[(0, 5), (1, 5), (3, 5)]);
        offsets.retain(&[1, 2]);
        assert_eq!(offsets.to_commit(&Commit::All), vec![(1, 10)]);
    }
}
