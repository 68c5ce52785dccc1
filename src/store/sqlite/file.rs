//! The database file's identity: a file deleted or replaced under a running process is
//! noticed before the next write, and a marker beside it remembers that a database was
//! created there, so a later start does not silently begin again with an empty one.

use std::path::{Path, PathBuf};

use super::checkpoint::WalCheckpoint;
use super::spare::Spare;
use crate::store::{StoreError, StoreResult};

/// The file a store opened, with the identity (device, inode) it had then, the WAL
/// checkpoint its writes schedule and the connection kept for the next call.
#[derive(Debug)]
pub(crate) struct DbFile {
    path: PathBuf,
    identity: Option<(u64, u64)>,
    pub(crate) checkpoint: WalCheckpoint,
    pub(crate) spare: Spare,
}

impl DbFile {
    /// Records the identity `path` has now.
    pub(crate) fn opened(path: &Path) -> StoreResult<Self> {
        let identity = identity(path).map_err(|e| {
            StoreError::Invalid(format!(
                "cannot read the database file {}: {e}",
                path.display()
            ))
        })?;
        Ok(DbFile {
            path: path.to_path_buf(),
            identity,
            checkpoint: WalCheckpoint::default(),
            spare: Spare::default(),
        })
    }

    /// What every write does first: the file is checked, so a deleted database is not
    /// written through a stale handle, and the write's checkpoint is scheduled.
    pub(crate) fn before_write(&self, pool: &sqlx::SqlitePool) -> StoreResult<()> {
        self.check()?;
        self.checkpoint.after_write(pool);
        Ok(())
    }

    /// Fails when the path no longer names the file that was opened: writes would go to an
    /// unlinked file (lost at exit) or past another process's database.
    pub(crate) fn check(&self) -> StoreResult<()> {
        let Some(opened) = self.identity else {
            return Ok(());
        };
        match identity(&self.path) {
            Ok(Some(now)) if now == opened => Ok(()),
            Ok(_) => Err(self.gone("replaced by another file")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(self.gone("deleted")),
            Err(e) => Err(StoreError::Refused(format!(
                "cannot check the database file {}: {e}; stopped writing",
                self.path.display()
            ))),
        }
    }

    fn gone(&self, how: &str) -> StoreError {
        StoreError::Refused(format!(
            "the database file {} was {how} while amgi ran; stopped writing to it (start amgi again to see what the path holds now)",
            self.path.display()
        ))
    }
}

#[cfg(unix)]
fn identity(path: &Path) -> std::io::Result<Option<(u64, u64)>> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(path)?;
    Ok(Some((meta.dev(), meta.ino())))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> std::io::Result<Option<(u64, u64)>> {
    std::fs::metadata(path).map(|_| None)
}

/// The marker beside a database file: a hidden file (so `rm amgi.db*` leaves it), written when
/// a database is first opened at the path.
pub(crate) fn marker_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "amgi.db".to_owned());
    path.with_file_name(format!(".{name}.amgi-created"))
}

/// Writes the marker if it is missing. Best effort: a read-only directory still opens.
pub(crate) fn remember(path: &Path) {
    let marker = marker_path(path);
    if marker.exists() {
        return;
    }
    let text = format!(
        "amgi created a database at {} on {}.\nIf that file is missing, it was deleted or moved; \
         `amgi migrate` starts an empty one.\n",
        path.display(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    if let Err(e) = std::fs::write(&marker, text) {
        tracing::warn!(error = %e, marker = %marker.display(), "cannot write the database marker");
    }
}

/// Why a command that may not create a database refuses a missing file.
pub(crate) fn missing(path: &Path) -> StoreError {
    let marker = marker_path(path);
    if marker.exists() {
        let created = std::fs::metadata(&marker)
            .and_then(|m| m.modified())
            .map(|t| {
                chrono::DateTime::<chrono::Utc>::from(t)
                    .format(" on %Y-%m-%d %H:%M UTC")
                    .to_string()
            })
            .unwrap_or_default();
        StoreError::Refused(format!(
            "the database {} is gone: amgi created it there{created}, and it has since been deleted or moved; restore the file, or start anew with `amgi migrate` (empty) or `amgi demo` (demo questions)",
            path.display()
        ))
    } else {
        StoreError::Refused(format!(
            "no database at {} yet: `amgi demo` creates one with demo questions, `amgi migrate` an empty one",
            path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_or_replaced_file_is_noticed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.db");
        std::fs::write(&path, "x").unwrap_or_else(|e| panic!("{e}"));
        let file = DbFile::opened(&path).unwrap_or_else(|e| panic!("{e}"));
        // Held open, as the store's connections hold the database: its inode is not reused.
        let _held = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(file.check().is_ok());
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let err = file
            .check()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("was deleted while amgi ran"), "{err}");
        std::fs::write(dir.path().join("b.db"), "y").unwrap_or_else(|e| panic!("{e}"));
        std::fs::rename(dir.path().join("b.db"), &path).unwrap_or_else(|e| panic!("{e}"));
        let err = file
            .check()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("replaced by another file"), "{err}");
    }

    #[test]
    fn the_marker_tells_a_vanished_database_from_a_new_one() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("amgi.db");
        assert!(missing(&path).to_string().contains("no database at"));
        remember(&path);
        assert!(marker_path(&path).ends_with(".amgi.db.amgi-created"));
        let err = missing(&path).to_string();
        assert!(
            err.contains("is gone") && err.contains("amgi migrate"),
            "{err}"
        );
    }
}
