//! Backups of the embedded SQLite database: a consistent copy (`VACUUM INTO`) in `backups/`
//! under the data directory, made at most once a day by the app (in the background) or now
//! by `amgi backup`, thinned as Anki thins its own: the newest copy of each of the last 7
//! days, then of each of 4 weeks before, then of each of 6 months before.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike as _, Duration, NaiveDateTime, Utc};

use crate::store::SharedStore;

/// Copies kept per period.
pub const DAILY: usize = 7;
pub const WEEKLY: usize = 4;
pub const MONTHLY: usize = 6;

const PREFIX: &str = "amgi-";
const SUFFIX: &str = ".db";
const STAMP: &str = "%Y-%m-%d-%H%M%S";

/// One backup file and when it was made (from its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    pub path: PathBuf,
    pub made: DateTime<Utc>,
}

/// The backup directory of a data directory.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

/// The backups in `dir`, newest first (files of other names are left alone).
pub fn list(dir: &Path) -> Vec<Backup> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut backups: Vec<Backup> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
            let made = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?.and_utc();
            Some(Backup {
                path: e.path(),
                made,
            })
        })
        .collect();
    backups.sort_by_key(|b| std::cmp::Reverse(b.made));
    backups
}

/// Whether the app should make one: none in the last day.
pub fn due(backups: &[Backup], now: DateTime<Utc>) -> bool {
    backups
        .first()
        .is_none_or(|b| now - b.made >= Duration::days(1))
}

/// The backups to delete: beyond the newest of each of the last [`DAILY`] days, [`WEEKLY`]
/// weeks and [`MONTHLY`] months (each period counted only once a copy fills it).
pub fn thin(backups: &[Backup]) -> Vec<&Backup> {
    let mut days: Vec<(i32, u32)> = Vec::new();
    let mut weeks: Vec<(i32, u32)> = Vec::new();
    let mut months: Vec<(i32, u32)> = Vec::new();
    let mut doomed = Vec::new();
    for backup in backups {
        let t = backup.made;
        let day = (t.year(), t.ordinal());
        let week = (t.iso_week().year(), t.iso_week().week());
        let month = (t.year(), t.month());
        let keep = |slots: &mut Vec<(i32, u32)>, key: (i32, u32), limit: usize| {
            if slots.last() != Some(&key) && slots.len() < limit && !slots.contains(&key) {
                slots.push(key);
                true
            } else {
                false
            }
        };
        if days.contains(&day) || weeks.contains(&week) || months.contains(&month) {
            // A newer copy already stands for this day, week or month.
            doomed.push(backup);
        } else if !(keep(&mut days, day, DAILY)
            || keep(&mut weeks, week, WEEKLY)
            || keep(&mut months, month, MONTHLY))
        {
            doomed.push(backup);
        }
    }
    doomed
}

/// Makes a backup of `store` in `dir` now and thins the directory; the new file's path.
pub async fn make(store: &SharedStore, dir: &Path, now: DateTime<Utc>) -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(format!("{PREFIX}{}{SUFFIX}", now.format(STAMP)));
    let mut partial = path.clone().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    store
        .backup_into(&partial)
        .await
        .context("the backup failed")?;
    std::fs::rename(&partial, &path).with_context(|| format!("cannot write {}", path.display()))?;
    for old in thin(&list(dir)) {
        if let Err(e) = std::fs::remove_file(&old.path) {
            tracing::warn!(path = %old.path.display(), error = %e, "cannot remove an old backup");
        }
    }
    Ok(path)
}

/// The app's daily backup, run on a background task: never in the learner's way, a failure
/// only logged.
pub async fn daily(store: SharedStore, dir: PathBuf) {
    if store.backend() != crate::store::Backend::Sqlite {
        return;
    }
    let now = Utc::now();
    if !due(&list(&dir), now) {
        return;
    }
    match make(&store, &dir, now).await {
        Ok(path) => tracing::info!(path = %path.display(), "daily backup made"),
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "daily backup failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days_ago: i64, now: DateTime<Utc>) -> Backup {
        let made = now - Duration::days(days_ago);
        Backup {
            path: PathBuf::from(format!("{PREFIX}{}{SUFFIX}", made.format(STAMP))),
            made,
        }
    }

    #[test]
    fn a_year_of_daily_backups_thins_to_seven_four_and_six() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let backups: Vec<Backup> = (0..365).map(|d| at(d, now)).collect();
        let doomed = thin(&backups);
        let kept: Vec<i64> = backups
            .iter()
            .filter(|b| !doomed.contains(b))
            .map(|b| (now - b.made).num_days())
            .collect();
        assert_eq!(kept.len(), DAILY + WEEKLY + MONTHLY, "{kept:?}");
        assert_eq!(&kept[..DAILY], &[0, 1, 2, 3, 4, 5, 6]);
        // The weeklies and monthlies reach further and further back.
        assert!(kept.windows(2).all(|w| w[0] < w[1]), "{kept:?}");
        assert!(kept[DAILY + WEEKLY + MONTHLY - 1] > 150, "{kept:?}");
        // Two copies on one day: the older goes.
        let same_day = vec![
            at(0, now),
            Backup {
                made: now - Duration::hours(1),
                ..at(0, now)
            },
        ];
        assert_eq!(thin(&same_day).len(), 1);
    }

    #[test]
    fn one_a_day() {
        let now = Utc::now();
        assert!(due(&[], now));
        assert!(!due(&[at(0, now)], now + Duration::hours(23)));
        assert!(due(&[at(0, now)], now + Duration::hours(24)));
    }
}
