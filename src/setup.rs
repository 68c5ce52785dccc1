//! Turns flags, environment and the config file into what a command needs: paths, config,
//! where the database is, and (once opened) the store and the user.

use std::time::Duration;

use anyhow::Context as _;

use crate::cli::GlobalArgs;
use crate::config::Config;
use crate::paths::Paths;
use crate::store::prelude::*;
use crate::store::{self, Create, Location, OpenOptions, UserId};

/// Settings resolved from flags > environment > config file > defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub paths: Paths,
    pub config: Config,
    pub location: Location,
    pub user_name: String,
}

impl Settings {
    pub fn resolve(args: &GlobalArgs) -> anyhow::Result<Self> {
        let paths = Paths::resolve(args.data_dir.as_deref())?;
        let config_file = args
            .config
            .clone()
            .unwrap_or_else(|| paths.config_file.clone());
        if args.config.is_some() && !config_file.exists() {
            anyhow::bail!("config file {} does not exist", config_file.display());
        }
        let config = Config::load(&config_file)?;
        let paths = Paths {
            config_file,
            ..paths
        };
        let url = args
            .database_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .or_else(|| Some(config.database_url.clone()).filter(|u| !u.trim().is_empty()));
        let location = match url {
            Some(url) => Location::parse(&url)?,
            None => Location::SqliteFile(paths.database_file()),
        };
        let user_name = args.user.clone().unwrap_or_else(|| config.user.clone());
        crate::config::check_user_name(&user_name)
            .map_err(|e| anyhow::anyhow!("{e} (--user, AMGI_USER or `user` in the config file)"))?;
        Ok(Self {
            paths,
            config,
            location,
            user_name,
        })
    }

    /// Opens the existing database (running migrations) and resolves the user. A missing
    /// database is refused: only `amgi demo` and `amgi migrate` create one.
    pub async fn open(&self) -> anyhow::Result<(SharedStore, UserId)> {
        self.open_with(Create::Never).await
    }

    /// Opens the database, creating it when missing (`amgi demo`, `amgi migrate`).
    pub async fn open_or_create(&self) -> anyhow::Result<(SharedStore, UserId)> {
        self.open_with(Create::IfMissing).await
    }

    async fn open_with(&self, create: Create) -> anyhow::Result<(SharedStore, UserId)> {
        let options = OpenOptions {
            publish: self.config.publish.enabled,
            create,
            connect_timeout: Duration::from_secs(self.config.database_connect_timeout_secs),
            statement_timeout: Some(Duration::from_secs(
                self.config.database_statement_timeout_secs,
            ))
            .filter(|limit| !limit.is_zero()),
        };
        let store = store::open_with(&self.location, &options)
            .await
            .with_context(|| format!("cannot open database {}", self.location.describe()))?;
        let user = store
            .ensure_user(&self.user_name)
            .await
            .with_context(|| format!("cannot set up user {:?}", self.user_name))?;
        Ok((store, user))
    }
}
