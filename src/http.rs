//! The one HTTP client setup: rustls with the same `ring` provider that sqlx uses.

use std::time::Duration;

/// Installs `ring` as the process's rustls provider (once; later calls are no-ops).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Redirects followed, at most: an endpoint is one URL, and a loop must end quickly.
pub const MAX_REDIRECTS: usize = 3;

/// A client with the given overall request timeout, following a few redirects at most.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("amgi/", env!("CARGO_PKG_VERSION")))
        .build()
}
