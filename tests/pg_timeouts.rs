//! PostgreSQL statements are bounded: a store opened with a statement timeout cancels a
//! statement that runs past it, and the error reads as a plain refusal.

mod common;

use std::time::{Duration, Instant};

use amgi::store::postgres::PgStore;
use amgi::store::{Create, OpenOptions, StoreError};

use common::{Kind, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_the_timeout_is_cancelled() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let Kind::Postgres { schema, .. } = &db.kind else {
        unreachable!("a PostgreSQL test database")
    };
    let server =
        std::env::var("AMGI_TEST_DATABASE_URL").unwrap_or_else(|_| common::DEFAULT_PG_URL.into());
    let (server, _) = server
        .rsplit_once('/')
        .unwrap_or_else(|| panic!("no database in {server}"));
    let url = format!("{server}/amgi_test?options=-c%20search_path%3D{schema}");
    let options = OpenOptions {
        create: Create::Never,
        statement_timeout: Some(Duration::from_secs(1)),
        ..OpenOptions::new()
    };
    let store = PgStore::connect_url(&url, &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let slow = sqlx::query("SELECT pg_sleep(5)")
        .execute(store.pool())
        .await
        .map_err(StoreError::from);
    assert!(started.elapsed() < Duration::from_secs(4), "not cancelled");
    let text = slow.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("ran too long"), "{text}");
    store.pool().close().await;
    db.finish().await;
}
