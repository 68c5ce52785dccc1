//! Where amgi keeps its files: the only user of `directories`.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

/// The data, config and log locations in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config_file: PathBuf,
}

impl Paths {
    /// The platform directories, or everything under `data_dir` when one is given
    /// (`--data-dir` / `AMGI_DATA_DIR`: tests and portable installs).
    pub fn resolve(data_dir: Option<&Path>) -> Result<Self, PathsError> {
        if let Some(dir) = data_dir {
            return Ok(Self {
                data_dir: dir.to_path_buf(),
                config_file: dir.join("config.toml"),
            });
        }
        let dirs = ProjectDirs::from("", "", "amgi").ok_or(PathsError::NoHome)?;
        Ok(Self {
            data_dir: dirs.data_dir().to_path_buf(),
            config_file: dirs.config_dir().join("config.toml"),
        })
    }

    /// The default embedded database.
    pub fn database_file(&self) -> PathBuf {
        self.data_dir.join("amgi.db")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error("no home directory found: set AMGI_DATA_DIR or pass --data-dir")]
    NoHome,
}
