//! Store conformance for stored text: hostile text written through every path (an import
//! file, an import set, a manual card, the editor, a paste) is read back without control,
//! bidi-override or invisible characters; stored dedup hashes made with an older
//! normalisation are recomputed on open. Every case runs on SQLite and on PostgreSQL.

mod common;

mod cases {
    use amgi::domain::card::CardFormat;
    use amgi::domain::normalize::{DedupScope, dedup_hash};
    use amgi::domain::text::has_forbidden;
    use amgi::store::{CardEdit, ImportSet, NewManualCard, NewQuestion, StoreError};
    use chrono::Utc;

    use crate::common::fixtures::{card, count, question};
    use crate::common::{Kind, TestDb, user};

    /// What a hostile file, model or clipboard may hold: an OSC 52 clipboard write, a screen
    /// clear, NUL, a right-to-left override, zero-width and separator characters, a BOM, CR.
    const HOSTILE: &str =
        "\u{1b}]52;c;SGk=\u{7}\u{1b}[2J\u{0}\u{202E}\u{200B}\u{2028}\u{FEFF}\r\u{85}";
    /// Characters that draw nothing at all: cleaning them leaves the text as it reads.
    const INVISIBLE: &str = "\u{200B}\u{202E}\u{0}\u{7}\u{FEFF}\u{2060}\u{00AD}";

    fn assert_clean(what: &str, text: &str) {
        assert!(
            !has_forbidden(text),
            "{what} holds a forbidden character: {text:?}"
        );
    }

    pub async fn hostile_text_is_stored_clean_through_import(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let h = serde_json::to_string(HOSTILE).unwrap_or_default();
        let h = h.trim_matches('"');
        let file = format!(
            r#"{{"topics":[{{"name":"한국사{h}","questions":[{{"question":"훈민정음{h}이 반포된 해는?\n둘째 줄",
            "choices":["1443년{h}","1446년"],"correct_choice":2,"explanation":"1446년에{h} 반포되었다.",
            "explanation_generated_at":"2026-10-01T09:00:00Z"}}]}}]}}"#
        );
        let set = amgi::import::parse(&file).unwrap_or_else(|e| panic!("parse: {e}"));
        s.import(me, &set)
            .await
            .unwrap_or_else(|e| panic!("import: {e}"));
        // The same text handed to the store directly, past the file parser.
        let direct = ImportSet {
            topics: vec![(
                format!("세계사{HOSTILE}"),
                vec![NewQuestion {
                    question_text: format!("{HOSTILE}Magna Carta{HOSTILE}"),
                    choices: vec![format!("1215{HOSTILE}"), "1492".into()],
                    correct_choice: 1,
                    explanation: Some(format!("Sealed in 1215.{HOSTILE}\nAt Runnymede.")),
                    explanation_generated_at: None,
                }],
            )],
        };
        s.import(me, &direct)
            .await
            .unwrap_or_else(|e| panic!("import: {e}"));

        let topics = s.list_topics(me).await.unwrap_or_default();
        let names: Vec<&str> = topics.iter().map(|t| t.name.as_str()).collect();
        assert!(names.contains(&"한국사"), "{names:?}");
        for name in &names {
            assert_clean("topic", name);
        }
        let questions = s.list_questions(me, None).await.unwrap_or_default();
        assert_eq!(questions.len(), 2);
        for q in &questions {
            assert_clean("question", &q.question_text);
            for c in &q.choices {
                assert_clean("choice", c);
                assert!(!c.contains('\n'), "a choice is one line: {c:?}");
            }
            assert_clean(
                "explanation",
                q.ai_explanation.as_deref().unwrap_or_default(),
            );
        }
        let korean = questions
            .iter()
            .find(|q| q.question_text.starts_with("훈민정음"));
        let text = korean.map(|q| q.question_text.as_str()).unwrap_or_default();
        assert!(
            text.starts_with("훈민정음\n") && text.ends_with("이 반포된 해는?\n둘째 줄"),
            "line breaks of a question are kept, everything else hostile is gone: {text:?}"
        );
    }

    pub async fn an_import_text_left_empty_by_cleaning_is_refused_and_nothing_written(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let set = ImportSet {
            topics: vec![(
                "물리".into(),
                vec![NewQuestion {
                    question_text: "\u{200B}\u{202E}\u{7}".into(),
                    choices: vec!["a".into(), "b".into()],
                    correct_choice: 1,
                    explanation: None,
                    explanation_generated_at: None,
                }],
            )],
        };
        let err = s.import(me, &set).await.err();
        assert!(
            matches!(&err, Some(StoreError::Invalid(m)) if m.contains("questions[0].question")),
            "{err:?}"
        );
        assert_eq!(count(db, "study_topics").await, 0);
        assert_eq!(count(db, "study_questions").await, 0);
    }

    pub async fn hostile_text_is_stored_clean_through_manual_cards_and_the_editor(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let manual = NewManualCard {
            material: format!("교과서{HOSTILE} 3장"),
            format: CardFormat::Cloze,
            cue: format!("세종{HOSTILE}"),
            fact: format!("집현{INVISIBLE}전"),
            // A paste from a document: CR LF line breaks inside a one-line field.
            cloze_text: Some("세종은\r\n{{blank}}을\u{1b}[31m 설치했다.\u{2029}".into()),
        };
        let created = s
            .create_manual_card(me, &manual, Utc::now())
            .await
            .unwrap_or_else(|e| panic!("create: {e}"));
        assert_eq!(created.fact, "집현전");
        assert_eq!(created.material.as_deref(), Some("교과서   3장"));
        assert_eq!(
            created.cloze_text.as_deref(),
            Some("세종은 {{blank}}을 설치했다.")
        );
        for text in [&created.cue, &created.fact] {
            assert_clean("manual card", text);
        }

        let q = question(db, me, "한국사", "훈민정음이 반포된 해는?").await;
        let id = card(db, me, q, "반포 연도", "1446년").await;
        let edit = CardEdit {
            cue: format!("반포\t연도{HOSTILE}는?\n(붙여넣기)"),
            fact: format!("1446{INVISIBLE}년"),
            cloze_text: None,
        };
        let edited = s
            .edit_card(me, id, &edit, Utc::now())
            .await
            .unwrap_or_else(|e| panic!("edit: {e}"));
        assert_eq!(edited.fact, "1446년");
        assert_clean("edited cue", &edited.cue);
        assert!(!edited.cue.contains('\n'));
        let stored = s
            .get_card(me, id)
            .await
            .unwrap_or_else(|e| panic!("get: {e}"));
        assert_eq!((stored.cue, stored.fact), (edited.cue, edited.fact));

        // An answer that is the same once normalised collides, written however it is.
        let twin = CardEdit {
            cue: "또 다른 카드".into(),
            fact: "１４４６\u{200B}년".into(),
            cloze_text: None,
        };
        let other = card(db, me, q, "다른 카드", "1443년").await;
        let refused = s.edit_card(me, other, &twin, Utc::now()).await.err();
        assert!(
            matches!(refused, Some(StoreError::DuplicateAnswer)),
            "{refused:?}"
        );
    }

    pub async fn manual_cards_collide_only_within_their_material(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let manual = |material: &str| NewManualCard {
            material: material.into(),
            format: CardFormat::Qa,
            cue: "광합성이 일어나는 곳은?".into(),
            fact: "엽록체".into(),
            cloze_text: None,
        };
        let now = Utc::now();
        let first = s.create_manual_card(me, &manual("생물 노트"), now).await;
        let other_material = s.create_manual_card(me, &manual("화학 노트"), now).await;
        let same_material = s.create_manual_card(me, &manual("생물  노트"), now).await;
        assert!(
            first.is_ok() && other_material.is_ok(),
            "{first:?} {other_material:?}"
        );
        assert!(
            matches!(same_material, Err(StoreError::DuplicateAnswer)),
            "{same_material:?}"
        );
    }

    /// Runs one statement on the test database, whichever backend it is.
    async fn exec(db: &TestDb, sql: &'static str) {
        let done = match &db.kind {
            Kind::Sqlite { sqlite, .. } => {
                sqlx::query(sql).execute(sqlite.pool()).await.map(|_| ())
            }
            Kind::Postgres { pg, .. } => sqlx::query(sql).execute(pg.pool()).await.map(|_| ()),
        };
        done.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub async fn stored_hashes_are_recomputed_when_the_normalisation_changes(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q = question(db, me, "네트워크", "Which protocol is reliable?").await;
        let approved = card(db, me, q, "Reliable protocol?", "TCP").await;
        let in_review = card(db, me, q, "Reliable protocol, again?", "other").await;
        // As an older version would have stored them: the second card's answer written in
        // full-width letters (which the old hash told apart), and hashes of the old form.
        exec(
            db,
            "UPDATE study_memo_cards SET fact = 'ＴＣＰ' WHERE fact = 'other'",
        )
        .await;
        exec(
            db,
            "UPDATE study_memo_cards SET needs_review = FALSE WHERE fact = 'TCP'",
        )
        .await;
        exec(
            db,
            "UPDATE study_memo_cards SET dedup_hash = CASE WHEN fact = 'TCP' \
             THEN '1111111111111111111111111111111111111111111111111111111111111111' \
             ELSE '2222222222222222222222222222222222222222222222222222222222222222' END",
        )
        .await;
        exec(
            db,
            "UPDATE amgi_meta SET value = 1 WHERE key = 'dedup_hash_version'",
        )
        .await;

        let reopened = db.reopen().await;
        let real = dedup_hash(DedupScope::Question(q.0), CardFormat::Qa, "TCP");
        // Both cards are still there; the approved one holds the real hash, so a new card
        // with that answer is now a duplicate.
        let a = reopened.get_card(me, approved).await.map(|c| c.fact);
        let b = reopened.get_card(me, in_review).await.map(|c| c.fact);
        assert_eq!(
            (a.ok().as_deref(), b.ok().as_deref()),
            (Some("TCP"), Some("ＴＣＰ"))
        );
        let live_with_real: i64 = match &db.kind {
            Kind::Sqlite { sqlite, .. } => sqlx::query_scalar(
                "SELECT COUNT(*) FROM study_memo_cards WHERE dedup_hash = $1 AND deleted_at IS NULL",
            )
            .bind(&real)
            .fetch_one(sqlite.pool())
            .await
            .unwrap_or(-1),
            Kind::Postgres { pg, .. } => sqlx::query_scalar(
                "SELECT COUNT(*) FROM study_memo_cards WHERE dedup_hash = $1 AND deleted_at IS NULL",
            )
            .bind(&real)
            .fetch_one(pg.pool())
            .await
            .unwrap_or(-1),
        };
        assert_eq!(live_with_real, 1);
        let version: i64 = match &db.kind {
            Kind::Sqlite { sqlite, .. } => {
                sqlx::query_scalar("SELECT value FROM amgi_meta WHERE key = 'dedup_hash_version'")
                    .fetch_one(sqlite.pool())
                    .await
                    .unwrap_or(-1)
            }
            Kind::Postgres { pg, .. } => {
                sqlx::query_scalar("SELECT value FROM amgi_meta WHERE key = 'dedup_hash_version'")
                    .fetch_one(pg.pool())
                    .await
                    .unwrap_or(-1)
            }
        };
        assert_eq!(version, amgi::domain::normalize::DEDUP_HASH_VERSION);
    }
}

conformance!(
    hostile_text_is_stored_clean_through_import,
    an_import_text_left_empty_by_cleaning_is_refused_and_nothing_written,
    hostile_text_is_stored_clean_through_manual_cards_and_the_editor,
    manual_cards_collide_only_within_their_material,
    stored_hashes_are_recomputed_when_the_normalisation_changes,
);
