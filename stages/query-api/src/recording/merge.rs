//! The order in which a tab's batches are read: each batch once, in seq order, from chunks that
//! may overlap or hold seqs out of order, with only a few chunks in memory.
//!
//! A chunk row carries the lowest and highest seq of its batches. Chunks are read by first seq;
//! every chunk that holds seq `s` has a first seq at most `s`, so once the next chunk to read
//! starts at `f`, no chunk still to come holds a seq below `f`, and every batch below `f` that
//! is held can be written. What stays held is the tail of the chunks read so far: the chunk
//! being read and the batches of earlier chunks that lie beyond the next chunk's first seq
//! (late batches, such as seq 5 in a chunk `[0, 1, 5]` followed by `[2, 3, 4]`).

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

/// The batches of one tab held until their turn, keyed by seq.
#[derive(Debug)]
pub struct SeqMerge<T> {
    held: BTreeMap<i64, T>,
    /// Every batch below this seq has been released.
    released_below: i64,
    /// Copies of a batch found after the first: the archiver writes a batch again when it
    /// crashed before committing it.
    pub redundant_copies: u64,
}

impl<T> Default for SeqMerge<T> {
    fn default() -> Self {
        SeqMerge { held: BTreeMap::new(), released_below: i64::MIN, redundant_copies: 0 }
    }
}

impl<T> SeqMerge<T> {
    /// The held batches below `first_seq`, in seq order: call it before reading a chunk that
    /// starts at `first_seq`, with chunks read in first-seq order.
    pub fn release_before(&mut self, first_seq: i64) -> Vec<(i64, T)> {
        debug_assert!(first_seq >= self.released_below, "chunks are read in first-seq order");
        let later = self.held.split_off(&first_seq);
        let ready = std::mem::replace(&mut self.held, later);
        self.released_below = self.released_below.max(first_seq);
        ready.into_iter().collect()
    }

    /// Holds one batch of the chunk being read; a seq held already keeps its first copy.
    /// Refuses a seq below one released already: its chunk row said it starts later.
    pub fn hold(&mut self, seq: i64, batch: T) -> Result<(), i64> {
        if seq < self.released_below {
            return Err(seq);
        }
        match self.held.entry(seq) {
            Entry::Vacant(entry) => {
                entry.insert(batch);
            }
            Entry::Occupied(_) => self.redundant_copies += 1,
        }
        Ok(())
    }

    /// Every batch still held, in seq order: call it after the tab's last chunk.
    pub fn release_all(&mut self) -> Vec<(i64, T)> {
        self.released_below = i64::MAX;
        std::mem::take(&mut self.held).into_iter().collect()
    }

    /// How many batches are held now.
    pub fn held(&self) -> usize {
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Merges `chunks` (each a list of (seq, copy label)) the way the reader does, chunks sorted
    /// by first seq then last seq, and returns the batches in the order written, with the most
    /// batches held at once.
    fn merge(mut chunks: Vec<Vec<(i64, &'static str)>>) -> (Vec<(i64, &'static str)>, u64, usize) {
        chunks.sort_by_key(|chunk| {
            let seqs = chunk.iter().map(|(seq, _)| *seq);
            (seqs.clone().min().unwrap_or(0), seqs.max().unwrap_or(0))
        });
        let mut merge = SeqMerge::default();
        let mut written = Vec::new();
        let mut most_held = 0;
        for chunk in chunks {
            let first_seq = chunk.iter().map(|(seq, _)| *seq).min().unwrap_or(0);
            written.extend(merge.release_before(first_seq));
            for (seq, label) in chunk {
                assert_eq!(merge.hold(seq, label), Ok(()));
            }
            most_held = most_held.max(merge.held());
        }
        written.extend(merge.release_all());
        (written, merge.redundant_copies, most_held)
    }

    fn seqs(written: &[(i64, &str)]) -> Vec<i64> {
        written.iter().map(|(seq, _)| *seq).collect()
    }

    #[test]
    fn consecutive_chunks_are_written_in_order_holding_one_chunk() {
        let (written, redundant, most_held) =
            merge(vec![vec![(3, "3a"), (4, "4a"), (5, "5a")], vec![(0, "0a"), (1, "1a"), (2, "2a")]]);
        assert_eq!(seqs(&written), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(redundant, 0);
        assert_eq!(most_held, 3, "only the chunk being read is held");
    }

    #[test]
    fn a_late_batch_waits_for_the_chunk_that_fills_the_gap() {
        // Batches 2 to 4 arrived after 5: the archiver wrote [0, 1, 5], then [2, 3, 4].
        let (written, redundant, _) =
            merge(vec![vec![(0, "0a"), (1, "1a"), (5, "5a")], vec![(2, "2a"), (3, "3a"), (4, "4a")]]);
        assert_eq!(seqs(&written), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(redundant, 0);
    }

    #[test]
    fn overlapping_chunks_keep_each_batch_once_the_first_copy() {
        // A redelivery wrote batches 2 to 7 again, grouped differently, and batch 4 a third time.
        let (written, redundant, _) = merge(vec![
            vec![(0, "0a"), (1, "1a"), (2, "2a"), (3, "3a"), (4, "4a")],
            vec![(2, "2b"), (3, "3b"), (4, "4b"), (5, "5b")],
            vec![(4, "4c"), (5, "5c"), (6, "6c"), (7, "7c")],
        ]);
        assert_eq!(seqs(&written), vec![0, 1, 2, 3, 4, 5, 6, 7]);
        let labels: Vec<&str> = written.iter().map(|(_, label)| *label).collect();
        assert_eq!(labels, vec!["0a", "1a", "2a", "3a", "4a", "5b", "6c", "7c"]);
        assert_eq!(redundant, 5);
    }

    #[test]
    fn the_same_chunk_twice_and_a_chunk_inside_another() {
        let (written, redundant, _) = merge(vec![
            vec![(0, "0a"), (1, "1a"), (2, "2a"), (3, "3a")],
            vec![(1, "1b"), (2, "2b")],
            vec![(0, "0c"), (1, "1c"), (2, "2c"), (3, "3c")],
            vec![(4, "4d")],
        ]);
        assert_eq!(seqs(&written), vec![0, 1, 2, 3, 4]);
        assert_eq!(redundant, 6);
    }

    #[test]
    fn out_of_order_and_overlapping_together() {
        let (written, redundant, _) = merge(vec![
            vec![(0, "0a"), (1, "1a"), (9, "9a")],
            vec![(2, "2b"), (3, "3b"), (9, "9b")],
            vec![(4, "4c"), (5, "5c"), (6, "6c"), (7, "7c"), (8, "8c")],
            vec![(6, "6d"), (10, "10d")],
        ]);
        assert_eq!(seqs(&written), vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(written[9].1, "9a");
        assert_eq!(redundant, 2);
    }

    #[test]
    fn a_batch_below_what_was_released_is_refused() {
        let mut merge = SeqMerge::default();
        assert_eq!(merge.hold(4, "4a"), Ok(()));
        assert_eq!(merge.release_before(6).len(), 1);
        assert_eq!(merge.hold(5, "5b"), Err(5));
        assert_eq!(merge.hold(6, "6b"), Ok(()));
        assert_eq!(merge.release_all().len(), 1);
    }
}
