//! One module per subcommand that is not the app itself.

pub mod app;
pub mod data;
pub mod doctor;
pub mod jobs;
pub mod publish;
pub mod worker;
