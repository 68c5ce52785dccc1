//! amgi: memo cards extracted from study questions, reviewed in the terminal.
//!
//! Layout (DESIGN §2): `domain` is pure logic; `store` is the one data API with a SQLite and
//! a PostgreSQL backend; `work` is background extraction (poller, queue worker, extractors);
//! `commands` and `setup` are the command-line edge.

pub mod allocator;
pub mod anki;
pub mod backup;
pub mod cli;
pub mod commands;
pub mod config;
pub mod domain;
pub mod http;
pub mod import;
pub mod logging;
pub mod paths;
pub mod setup;
pub mod store;
pub mod terminal_text;
pub mod tui;
pub mod work;
