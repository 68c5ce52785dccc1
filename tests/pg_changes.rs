//! PostgreSQL: a change made through one connection pool is heard by a listener elsewhere.

mod common;

use std::time::Duration;

use amgi::work::changes;
use chrono::Utc;
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

use common::fixtures::{card, question};
use common::{Kind, TestDb, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_hears_an_approval() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let me = user(db.store(), "me").await;
    let other = user(db.store(), "other").await;
    let q = question(&db, me, "t", "q").await;
    let id = card(&db, me, q, "cue", "fact").await;
    let Kind::Postgres { admin, schema, .. } = &db.kind else {
        unreachable!()
    };
    let url = format!(
        "postgres://{}@{}:{}/{}?options=-c%20search_path%3D{schema}",
        admin.get_username(),
        admin.get_host(),
        admin.get_port(),
        admin.get_database().unwrap_or("postgres")
    );
    let (tx, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let (tx_other, mut heard_other) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(changes::listen(
        url.clone(),
        me,
        None,
        move || {
            let _ = tx.send(());
        },
        cancel.clone(),
    ));
    tokio::spawn(changes::listen(
        url.clone(),
        other,
        None,
        move || {
            let _ = tx_other.send(());
        },
        cancel.clone(),
    ));
    // The listener connects asynchronously: approve until it has heard one (bounded).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut approved = false;
    loop {
        if !approved {
            db.store()
                .approve_card(me, id, Utc::now())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            approved = true;
        } else {
            db.store()
                .undo_last(me, Utc::now())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            approved = false;
        }
        match tokio::time::timeout(Duration::from_millis(500), heard.recv()).await {
            Ok(Some(())) => break,
            _ if tokio::time::Instant::now() > deadline => panic!("no notification heard"),
            _ => {}
        }
    }
    assert!(
        heard_other.try_recv().is_err(),
        "another user's listener hears nothing"
    );

    // A listener that ignores this process's changes hears only another origin's.
    let (tx_own, mut heard_own) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(changes::listen(
        url.clone(),
        me,
        Some(amgi::store::postgres::change_origin()),
        move || {
            let _ = tx_own.send(());
        },
        cancel.clone(),
    ));
    let Kind::Postgres { admin, .. } = &db.kind else {
        unreachable!()
    };
    let mut foreign = sqlx::PgConnection::connect_with(admin)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Until it is listening, nothing reaches it; then this process's change and a foreign
    // one are queued in that order, and hearing the foreign one means the first was passed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    for n in 0.. {
        let own = card(&db, me, q, &format!("cue {n}"), &format!("fact {n}")).await;
        db.store()
            .approve_card(me, own, Utc::now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query("SELECT pg_notify('amgi_changes', $1)")
            .bind(format!("{} another-device", me.0))
            .execute(&mut foreign)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        match tokio::time::timeout(Duration::from_millis(500), heard_own.recv()).await {
            Ok(Some(())) => break,
            _ if tokio::time::Instant::now() > deadline => panic!("no foreign change heard"),
            _ => {}
        }
    }
    assert!(
        heard_own.try_recv().is_err(),
        "the process's own changes are not reported"
    );
    cancel.cancel();
    db.finish().await;
}
