//! What the retention job asks of a warehouse and what it hears back: per project, the time
//! before which its sessions go, and per table, what went (or, in a dry run, would go).

/// The retention of every project, as cut-off times.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RetentionPlan {
    /// Per configured project, the time before which its sessions expire (ms since the epoch).
    pub cutoffs: Vec<ProjectCutoff>,
    /// The cut-off of a project that is not configured (any more): the earliest of `cutoffs`.
    pub default_cutoff_ms: i64,
    /// Count what would go, remove nothing.
    pub dry_run: bool,
    /// About how many rows one transaction removes on SQLite, so that ingest never waits long.
    pub batch_rows: usize,
}

/// One project's cut-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectCutoff {
    pub project_id: String,
    /// A session whose end is before this expires.
    pub cutoff_ms: i64,
}

impl RetentionPlan {
    /// The cut-off of `project_id`.
    pub fn cutoff(&self, project_id: &str) -> i64 {
        match self.cutoffs.iter().find(|cutoff| cutoff.project_id == project_id) {
            Some(cutoff) => cutoff.cutoff_ms,
            None => self.default_cutoff_ms,
        }
    }

    /// The earliest cut-off of all: the one of the longest retention.
    pub fn earliest_cutoff_ms(&self) -> i64 {
        let mut earliest = self.default_cutoff_ms;
        for cutoff in &self.cutoffs {
            earliest = earliest.min(cutoff.cutoff_ms);
        }
        earliest
    }
}

/// What one table lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRemoval {
    pub table: String,
    pub rows: u64,
    /// How: `deleted`, `partitions 202401, 202402 dropped`, `mutation`.
    pub how: String,
}

/// What [`crate::Warehouse::apply_retention`] removed, or would remove in a dry run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RetentionOutcome {
    /// Per table, in the order they were handled.
    pub tables: Vec<TableRemoval>,
    /// The removed sessions, as `(project, session)`.
    pub sessions: Vec<(String, String)>,
    /// The blob keys of the removed chunk rows: the blob store removes them after the rows.
    pub chunk_blobs: Vec<String>,
    /// The asset copies (`assets/{project}/{hash}`) that no remaining asset row names.
    pub asset_blobs: Vec<String>,
    /// Per project seen, the earliest time whose rows the warehouse keeps: a chunk blob dated
    /// well before it (a day, for clock skew) has no row any more.
    pub kept_from: Vec<(String, i64)>,
}

impl RetentionOutcome {
    /// Adds `rows` removed from `table`, merged with an earlier entry of the same table and way.
    pub fn add(&mut self, table: &str, rows: u64, how: &str) {
        match self.tables.iter_mut().find(|entry| entry.table == table && entry.how == how) {
            Some(entry) => entry.rows += rows,
            None => self.tables.push(TableRemoval { table: table.into(), rows, how: how.into() }),
        }
    }

    /// The rows removed from `table`, every way together.
    pub fn rows(&self, table: &str) -> u64 {
        self.tables.iter().filter(|entry| entry.table == table).map(|entry| entry.rows).sum()
    }
}

/// The first millisecond of the UTC month `yyyymm`.
pub fn month_start_ms(yyyymm: u32) -> i64 {
    let (year, month) = (i64::from(yyyymm / 100), i64::from(yyyymm % 100));
    // Days from civil, after Howard Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400_000
}

/// The month after `yyyymm`.
pub fn next_month(yyyymm: u32) -> u32 {
    if yyyymm % 100 == 12 {
        (yyyymm / 100 + 1) * 100 + 1
    } else {
        yyyymm + 1
    }
}

/// The UTC month (`yyyymm`) of `ms`.
pub fn month_of(ms: i64) -> u32 {
    let date = playback_date(ms);
    date.0 * 100 + date.1
}

/// `(year, month)` of `ms`, UTC.
fn playback_date(ms: i64) -> (u32, u32) {
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as u32, month as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_start_where_the_calendar_says() {
        assert_eq!(month_start_ms(197001), 0);
        assert_eq!(month_start_ms(202603), 1_772_323_200_000, "2026-03-01T00:00:00Z");
        assert_eq!(month_of(1_772_323_199_999), 202602);
        assert_eq!(month_of(1_772_323_200_000), 202603);
        assert_eq!(next_month(202612), 202701);
        assert_eq!(next_month(202611), 202612);
        assert_eq!(month_start_ms(next_month(202402)) - month_start_ms(202402), 29 * 86_400_000);
    }
}
