//! An SQLite file deleted or replaced under an open store: every write is refused with a line
//! saying so (the app shows it), nothing recreates the file, and reopening says it is gone.

mod common;

use amgi::store::prelude::*;
use amgi::store::sqlite::SqliteStore;
use amgi::store::{CardId, ImportSet, NewQuestion, StoreError};
use chrono::Utc;

fn one_question(text: &str) -> ImportSet {
    ImportSet {
        topics: vec![(
            "한국사".into(),
            vec![NewQuestion {
                question_text: text.into(),
                choices: vec!["1443년".into(), "1446년".into()],
                correct_choice: 2,
                explanation: None,
                explanation_generated_at: None,
            }],
        )],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_to_a_deleted_database_are_refused_and_nothing_recreates_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("amgi.db");
    let store = SqliteStore::open(&path)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let me = store
        .ensure_user("me")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(store.import(me, &one_question("첫 질문")).await.is_ok());
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.path().join(format!("amgi.db{suffix}"));
        if file.exists() {
            std::fs::remove_file(&file).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let refused = store.import(me, &one_question("두 번째 질문")).await;
    match refused {
        Err(StoreError::Refused(message)) => {
            assert!(message.contains("was deleted while amgi ran"), "{message}")
        }
        other => panic!("a write to a deleted database went through: {other:?}"),
    }
    assert!(store.record_view(me, CardId(1), Utc::now()).await.is_err());
    assert!(store.check_alive().is_err());
    assert!(!path.exists(), "nothing recreated the file");

    let reopened = SqliteStore::open_with(&path, false).await;
    let message = reopened.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("is gone"), "{message}");
    assert!(!path.exists());
}
