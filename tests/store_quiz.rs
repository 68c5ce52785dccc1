//! Store conformance for the question quiz (issue 17): learning patterns, finalize on a
//! hand-computed sequence of sessions (counts, progress rows, ladder, idempotence), entry into
//! the ladder, the next session's order, user isolation. Every case runs on SQLite and on
//! PostgreSQL.

mod common;
#[path = "store_quiz/sessions.rs"]
mod sessions;

mod cases {
    pub use super::sessions::*;
    use amgi::domain::card::Outcome::{self, Correct as C, Skipped as S, Unsure as U, Wrong as W};
    use amgi::domain::quiz::PatternState::{self, *};
    use amgi::store::{ImportSet, NewQuestion, QuestionId, StoreError, UserId};
    use chrono::{DateTime, Duration, Utc};

    use crate::common::{TestDb, user};

    pub(crate) fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    pub(crate) fn at(minutes: i64) -> DateTime<Utc> {
        t0() + Duration::minutes(minutes)
    }

    /// Imports `texts` into `topic` (choices 1443년/1446년/1592년, the second correct, no
    /// explanation) and returns their ids in order.
    pub(crate) async fn questions(
        db: &TestDb,
        me: UserId,
        topic: &str,
        texts: &[&str],
    ) -> Vec<QuestionId> {
        let set = ImportSet {
            topics: vec![(
                topic.to_owned(),
                texts
                    .iter()
                    .map(|t| NewQuestion {
                        question_text: (*t).to_owned(),
                        choices: vec!["1443년".into(), "1446년".into(), "1592년".into()],
                        correct_choice: 2,
                        explanation: None,
                        explanation_generated_at: None,
                    })
                    .collect(),
            )],
        };
        let s = db.store();
        s.import(me, &set)
            .await
            .unwrap_or_else(|e| panic!("import: {e}"));
        let all = s
            .list_questions(me, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        texts
            .iter()
            .map(|t| {
                all.iter()
                    .find(|q| q.question_text == *t)
                    .map(|q| q.id)
                    .unwrap_or_else(|| panic!("{t} not imported"))
            })
            .collect()
    }

    /// The choice and unsure mark that answer as `outcome` (the second choice is correct).
    pub(crate) fn answer_for(outcome: Outcome) -> (Option<i16>, bool) {
        match outcome {
            Outcome::Correct => (Some(2), false),
            Outcome::Unsure => (Some(2), true),
            Outcome::Wrong => (Some(3), false),
            Outcome::Skipped => (None, false),
        }
    }

    /// Answers `question` in `session` as `outcome` at `when`.
    pub(crate) async fn answer(
        db: &TestDb,
        me: UserId,
        session: i64,
        question: QuestionId,
        outcome: Outcome,
        when: DateTime<Utc>,
    ) {
        let (chosen, unsure) = answer_for(outcome);
        let row = db
            .store()
            .answer_question(me, session, question, chosen, unsure, when)
            .await
            .unwrap_or_else(|e| panic!("answer: {e}"));
        assert_eq!(row.outcome, outcome);
    }

    pub async fn pattern_states_follow_the_table(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let table: Vec<(&[Outcome], Option<PatternState>, i16)> = vec![
            (&[C], Some(Stable), 1),
            (&[C, C, C], Some(Stable), 3),
            (&[W, U], Some(Learning), 2),
            (&[W, W, U], Some(ChronicWrong), 3),
            (&[W, C], Some(Recovered), 2),
            (&[C, C, W], Some(Regressed), 3),
            (&[W, C, C, C], Some(Stable), 3),
            (&[C, S, S, W], Some(Regressed), 2),
            (&[S], None, 0),
        ];
        let texts: Vec<String> = (0..table.len()).map(|i| format!("문제 {i}")).collect();
        let text_refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let ids = questions(db, me, "패턴", &text_refs).await;
        // Session k asks every question and answers those whose sequence has a k-th step.
        for step in 0..4 {
            let started = at(step * 100);
            let session = s
                .start_quiz(me, None, 50, started)
                .await
                .unwrap_or_else(|e| panic!("start: {e}"));
            assert_eq!(session.questions.len(), table.len());
            for (n, (seq, _, _)) in table.iter().enumerate() {
                if let Some(outcome) = seq.get(usize::try_from(step).unwrap_or(0)) {
                    let when = started + Duration::seconds(i64::try_from(n).unwrap_or(0));
                    answer(db, me, session.id, ids[n], *outcome, when).await;
                }
            }
            s.finalize_quiz(me, session.id, started + Duration::minutes(5))
                .await
                .unwrap_or_else(|e| panic!("finalize: {e}"));
        }
        let progress = s
            .question_progress(me, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for (n, (seq, state, window)) in table.iter().enumerate() {
            let row = progress
                .iter()
                .find(|p| p.question_id == ids[n].0)
                .unwrap_or_else(|| panic!("no progress for {seq:?}"));
            assert_eq!(
                (row.pattern_state, row.pattern_window_attempts),
                (*state, *window),
                "{seq:?}"
            );
            assert_eq!(row.last_outcome, seq.last().copied(), "{seq:?}");
        }
    }

    pub async fn answers_are_checked(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let other = user(s, "other").await;
        let ids = questions(
            db,
            me,
            "한국사",
            &["훈민정음이 반포된 해는?", "임진왜란이 일어난 해는?"],
        )
        .await;
        let elsewhere = questions(db, me, "세계사", &["프랑스 혁명이 일어난 해는?"]).await;
        let topic = s.list_questions(me, None).await.unwrap_or_default()[0].topic_id;
        let session = s
            .start_quiz(me, Some(topic), 10, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            session.questions.iter().map(|q| q.id).collect::<Vec<_>>(),
            ids
        );
        // One active session at a time.
        assert!(matches!(
            s.start_quiz(me, None, 10, t0()).await,
            Err(StoreError::Refused(_))
        ));
        let active = s.active_quiz(me).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(active.map(|a| a.id), Some(session.id));
        assert!(matches!(
            s.answer_question(me, session.id, ids[0], Some(4), false, t0())
                .await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.answer_question(me, session.id, elsewhere[0], Some(2), false, t0())
                .await,
            Err(StoreError::NotFound(_))
        ));
        // Another user sees nothing of it.
        assert!(matches!(
            s.answer_question(other, session.id, ids[0], Some(2), false, t0())
                .await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            s.finalize_quiz(other, session.id, t0()).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            s.quiz_session(other, session.id).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(
            s.active_quiz(other)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
        answer(db, me, session.id, ids[0], C, at(1)).await;
        // Leaving and coming back: the answer is kept, one question remains.
        let resumed = s
            .quiz_session(me, session.id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resumed.attempts.len(), 1);
        assert_eq!(
            resumed.remaining().map(|q| q.id).collect::<Vec<_>>(),
            vec![ids[1]]
        );
        s.finalize_quiz(me, session.id, at(2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            s.answer_question(me, session.id, ids[1], Some(2), false, at(3))
                .await,
            Err(StoreError::Refused(_))
        ));
        assert!(
            s.active_quiz(me)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
        // No questions at all: refused, nothing started.
        let empty = user(s, "empty").await;
        assert!(matches!(
            s.start_quiz(empty, None, 10, t0()).await,
            Err(StoreError::Refused(_))
        ));
    }
}

conformance!(
    pattern_states_follow_the_table,
    answers_are_checked,
    finalize_a_hand_computed_sequence,
    finalize_twice_at_once_advances_once,
    reviewing_enters_the_ladder,
    question_progress_is_published,
);
