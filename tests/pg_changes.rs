//! Change notifications through the store: a write tells other processes (PostgreSQL
//! NOTIFY with the user and this process's origin), and a store's change listener reports
//! only another process's changes of its own user. SQLite has no listener.

mod common;

use amgi::store::postgres::{CHANGES_CHANNEL, change_origin};
use chrono::Utc;
use sqlx::Connection;
use sqlx::postgres::PgListener;

use common::fixtures::{card, question};
use common::{Kind, TestDb, user};

#[tokio::test]
async fn sqlite_has_no_change_listener() {
    let db = TestDb::sqlite().await;
    let me = user(db.store(), "me").await;
    let listener = db
        .store()
        .change_listener(me)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(listener.is_none());
}

#[tokio::test]
async fn a_write_notifies_and_the_listener_hears_only_other_processes() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let me = user(db.store(), "me").await;
    let other = user(db.store(), "other").await;
    let q = question(&db, me, "t", "q").await;
    let id = card(&db, me, q, "cue", "fact").await;
    let Kind::Postgres { admin, pg, .. } = &db.kind else {
        unreachable!()
    };

    // Every process on the database hears a write, with the writer's user and origin.
    let mut raw = PgListener::connect_with(pg.pool())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    raw.listen(CHANGES_CHANNEL)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    db.store()
        .approve_card(me, id, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let heard = raw.recv().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(heard.payload(), format!("{} {}", me.0, change_origin()));

    // The store's listener passes over this process's change and another user's, and
    // reports the foreign one queued after them (notifications arrive in order).
    let mut listener = db
        .store()
        .change_listener(me)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("PostgreSQL has a change listener"));
    db.store()
        .undo_last(me, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut foreign = sqlx::PgConnection::connect_with(admin)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for payload in [
        format!("{} another-device", other.0),
        format!("{} another-device", me.0),
    ] {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANGES_CHANNEL)
            .bind(payload)
            .execute(&mut foreign)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let origin = listener.recv().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(origin, "another-device");
    drop(listener);
    drop(raw);
    db.finish().await;
}
