//! Store conformance, foundation part: users, import, topics, questions, isolation.
//! Every case runs on SQLite and on PostgreSQL.

mod common;

mod cases {
    use amgi::import;
    use amgi::store::{ImportSet, NewQuestion, StoreError};

    use crate::common::{Kind, TestDb, user};

    fn one_question_set(topic: &str, text: &str) -> ImportSet {
        ImportSet {
            topics: vec![(
                topic.to_owned(),
                vec![NewQuestion {
                    question_text: text.to_owned(),
                    choices: vec!["가".into(), "나".into()],
                    correct_choice: 1,
                    explanation: Some("가는 정답이다.".into()),
                    explanation_generated_at: None,
                }],
            )],
        }
    }

    pub async fn demo_import_is_idempotent(db: &TestDb) {
        let store = db.store();
        let me = user(store, "me").await;
        let set = import::parse(import::DEMO_SET).unwrap_or_default();
        let total: usize = set.topics.iter().map(|(_, q)| q.len()).sum();
        let first = store
            .import(me, &set)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.topics_created, 3);
        assert_eq!(first.questions_created as usize, total);
        let second = store
            .import(me, &set)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(second.topics_created, 0);
        assert_eq!(second.questions_created, 0);
        assert_eq!(second.questions_skipped as usize, total);
        let counts = store.counts(me).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(counts.topics, 3);
        assert_eq!(counts.questions as usize, total);
        assert_eq!(counts.ready_explanations as usize, total);
        let questions = store.list_questions(me, None).await.unwrap_or_default();
        assert!(
            questions
                .iter()
                .all(|q| q.ai_explanation_generated_at.is_some())
        );
        assert!(
            questions
                .iter()
                .any(|q| q.question_text.chars().any(|c| ('가'..='힣').contains(&c)))
        );
    }

    pub async fn users_are_created_once(db: &TestDb) {
        let store = db.store();
        let a = user(store, "민지").await;
        let b = user(store, "민지").await;
        let c = user(store, "jun").await;
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(matches!(
            store.ensure_user("  ").await,
            Err(StoreError::Invalid(_))
        ));
    }

    pub async fn a_failing_import_writes_nothing(db: &TestDb) {
        let store = db.store();
        let me = user(store, "me").await;
        let mut set = one_question_set("first topic", "q1");
        // A second topic whose question breaks a database CHECK (correct_choice >= 1).
        let mut bad = one_question_set("second topic", "q2");
        bad.topics[0].1[0].correct_choice = 0;
        set.topics.extend(bad.topics);
        assert!(store.import(me, &set).await.is_err());
        let counts = store.counts(me).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (counts.topics, counts.questions),
            (0, 0),
            "partial import left rows behind"
        );
    }

    pub async fn users_never_see_each_other(db: &TestDb) {
        let store = db.store();
        let alice = user(store, "alice").await;
        let bob = user(store, "bob").await;
        store
            .import(alice, &one_question_set("alice's", "secret question"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(store.list_topics(bob).await.unwrap_or_default().is_empty());
        assert!(
            store
                .list_questions(bob, None)
                .await
                .unwrap_or_default()
                .is_empty()
        );
        let alice_topic = store.list_topics(alice).await.unwrap_or_default()[0].id;
        assert!(
            store
                .list_questions(bob, Some(alice_topic))
                .await
                .unwrap_or_default()
                .is_empty()
        );
        assert_eq!(store.counts(bob).await.unwrap_or_default().questions, 0);
        // The same topic name for bob is his own topic.
        let report = store
            .import(bob, &one_question_set("alice's", "secret question"))
            .await;
        assert_eq!(
            report.map(|r| (r.topics_created, r.questions_created)).ok(),
            Some((1, 1))
        );
    }

    pub async fn schema_version_is_reported(db: &TestDb) {
        assert!(db.store().schema_version().await.unwrap_or(0) >= 1);
    }

    pub async fn a_closed_store_refuses_work_and_leaves_no_log(db: &TestDb) {
        let other = db.reopen().await;
        let me = other
            .ensure_user("me")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        other.close().await;
        let after =
            tokio::time::timeout(std::time::Duration::from_secs(10), other.list_topics(me)).await;
        assert!(
            matches!(after, Ok(Err(_))),
            "a closed store fails at once instead of waiting for a connection"
        );
        assert!(
            db.store().list_topics(me).await.is_ok(),
            "another store on the same database is not closed with it"
        );
        if let Kind::Sqlite { dir, .. } = &db.kind {
            let log = dir.path().join("test.db-wal");
            assert!(log.exists(), "an open store has its write-ahead log");
            db.store().close().await;
            assert!(
                !log.exists(),
                "the last connection to close removes the log"
            );
            let again = db.reopen().await;
            assert_eq!(again.ensure_user("me").await.ok(), Some(me));
        }
    }
}

conformance!(
    demo_import_is_idempotent,
    users_are_created_once,
    a_failing_import_writes_nothing,
    users_never_see_each_other,
    schema_version_is_reported,
    a_closed_store_refuses_work_and_leaves_no_log,
);
