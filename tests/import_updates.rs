//! `amgi import` over questions already stored (issue 17): a newer explanation in the file
//! replaces the stored one as a new version (extracted anew; the older version's cards still
//! in review are retired), an explanation that is not newer is kept and
//! counted, and importing the same file again changes nothing. Both backends.

mod common;
mod extraction_support;

mod cases {
    use std::sync::Arc;
    use std::time::Duration;

    use amgi::domain::card::ExplanationStatus;
    use amgi::store::{ImportSet, JobStatus, NewQuestion, SharedStore, UserId};
    use amgi::work::{BuiltinExtractor, Extractor};
    use chrono::{DateTime, Utc};

    use crate::common::{TestDb, user};
    use crate::extraction_support::{
        EXPLANATION, cards_of, drain_settings, now_ms, run_until_stopped, secs,
    };

    const QUESTION: &str = "훈민정음을 반포한 해는?";
    const UNEXPLAINED: &str = "조선을 세운 왕은?";
    const NEWER: &str = "세종대왕은 1446년에 훈민정음을 반포하였다. 훈민정음은 28자로 이루어졌다.";

    fn set(
        explanation: &str,
        version: Option<DateTime<Utc>>,
        unexplained: Option<&str>,
    ) -> ImportSet {
        let question = |text: &str, explanation: Option<&str>, version| NewQuestion {
            question_text: text.to_owned(),
            choices: vec!["1443년".into(), "1446년".into(), "1450년".into()],
            correct_choice: 2,
            explanation: explanation.map(str::to_owned),
            explanation_generated_at: version,
        };
        ImportSet {
            topics: vec![(
                "한국사".to_owned(),
                vec![
                    question(QUESTION, Some(explanation), version),
                    question(UNEXPLAINED, unexplained, None),
                ],
            )],
        }
    }

    async fn extract_all(store: &SharedStore) {
        let builtin: Arc<dyn Extractor> = Arc::new(BuiltinExtractor);
        run_until_stopped(
            store.clone(),
            drain_settings(builtin, 2),
            Duration::from_secs(30),
        )
        .await;
    }

    async fn explanation(
        store: &SharedStore,
        me: UserId,
        text: &str,
    ) -> (Option<String>, ExplanationStatus, Option<DateTime<Utc>>) {
        let all = store.list_questions(me, None).await.unwrap_or_default();
        let q = all.iter().find(|q| q.question_text == text);
        let q = q.unwrap_or_else(|| panic!("{text} not stored"));
        (
            q.ai_explanation.clone(),
            q.ai_explanation_status,
            q.ai_explanation_generated_at,
        )
    }

    pub async fn a_newer_explanation_is_a_new_version(db: &TestDb) {
        let store = db.store();
        let me = user(store, "me").await;
        // Sub-millisecond precision in the file: importing it again must not look newer.
        let v1 = now_ms() - secs(600) + chrono::Duration::microseconds(250);
        let first = store.import(me, &set(EXPLANATION, Some(v1), None)).await;
        assert!(first.is_ok_and(|r| r.questions_created == 2 && r.explanations_updated == 0));
        extract_all(store).await;
        let question = store.list_questions(me, None).await.unwrap_or_default()[0].id;
        let old_cards = cards_of(db, question).await;
        assert!(!old_cards.is_empty() && old_cards.iter().all(|c| c.needs_review));

        let again = store
            .import(me, &set(EXPLANATION, Some(v1), None))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                again.questions_skipped,
                again.explanations_updated,
                again.explanations_kept
            ),
            (2, 0, 0),
            "the same file again changes nothing"
        );

        let v2 = now_ms() - secs(60);
        let newer = store
            .import(me, &set(NEWER, Some(v2), Some(EXPLANATION)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                newer.questions_created,
                newer.explanations_updated,
                newer.explanations_kept
            ),
            (0, 2, 0),
            "a newer version, and an explanation for a question that had none"
        );
        assert_eq!(
            explanation(store, me, QUESTION).await,
            (Some(NEWER.to_owned()), ExplanationStatus::Ready, Some(v2))
        );
        let (text, status, version) = explanation(store, me, UNEXPLAINED).await;
        assert_eq!(
            (text.as_deref(), status),
            (Some(EXPLANATION), ExplanationStatus::Ready)
        );
        assert!(version.is_some());

        extract_all(store).await;
        let jobs = store.list_jobs(me, None, 50).await.unwrap_or_default();
        let versions: Vec<_> = jobs
            .iter()
            .filter(|j| j.source_id == question.0 && j.kind == "card_extract")
            .map(|j| (j.source_version, j.status))
            .collect();
        assert_eq!(
            versions,
            [
                (Some(v2), JobStatus::Completed),
                (Some(crate::to_ms(v1)), JobStatus::Completed)
            ],
            "one extraction per version, newest first"
        );
        let cards = cards_of(db, question).await;
        for old in &old_cards {
            let now = cards.iter().find(|c| c.id == old.id);
            assert!(
                now.is_some_and(|c| c.deleted && c.retired_reason.is_some()),
                "an older version's card still in review is retired: {now:?}"
            );
        }
        assert!(
            cards
                .iter()
                .any(|c| c.id > old_cards[old_cards.len() - 1].id && !c.deleted && c.needs_review)
        );

        // Not newer, different text: kept, and counted (never silently).
        let older = store
            .import(me, &set(EXPLANATION, Some(v1), None))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (older.explanations_updated, older.explanations_kept),
            (0, 1)
        );
        let unversioned = store
            .import(me, &set("버전 없는 다른 풀이입니다.", None, None))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                unversioned.explanations_updated,
                unversioned.explanations_kept
            ),
            (0, 1)
        );
        assert_eq!(
            explanation(store, me, QUESTION).await.0.as_deref(),
            Some(NEWER)
        );

        // Another user's import touches only that user's questions.
        let other = user(store, "other").await;
        let theirs = store
            .import(
                other,
                &set("다른 사용자의 풀이입니다.", Some(now_ms()), None),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (theirs.questions_created, theirs.explanations_updated),
            (2, 0)
        );
        assert_eq!(
            explanation(store, me, QUESTION).await.0.as_deref(),
            Some(NEWER)
        );
    }
}

/// A time at millisecond precision, as the import stores a file's version.
pub fn to_ms(at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

conformance!(a_newer_explanation_is_a_new_version);
