//! The one HTTP client setup: rustls with the same `ring` provider that sqlx uses.

use std::time::Duration;

/// Installs `ring` as the process's rustls provider (once; later calls are no-ops).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client with the given overall request timeout.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("amgi/", env!("CARGO_PKG_VERSION")))
        .build()
}
