//! The quiz end to end: the real binary on the demo, a 5-question quiz with two wrong
//! answers, the summary on screen, one missed question marked reviewed; then the database.

use std::path::Path;

use sqlx::{Connection, SqliteConnection};

use super::{block_on, start_demo_with, tmux_available};

/// The correct choices of the demo's first `n` questions, in import order (file order).
fn demo_correct_choices(n: usize) -> Vec<i64> {
    let demo: serde_json::Value = serde_json::from_str(include_str!("../../assets/demo.json"))
        .unwrap_or_else(|e| panic!("demo.json: {e}"));
    let topics = demo["topics"].as_array().cloned().unwrap_or_default();
    topics
        .iter()
        .flat_map(|t| t["questions"].as_array().cloned().unwrap_or_default())
        .take(n)
        .map(|q| {
            q["correct_choice"]
                .as_i64()
                .unwrap_or_else(|| panic!("correct_choice"))
        })
        .collect()
}

#[test]
fn a_quiz_with_two_wrong_answers_and_one_review() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let tmux = start_demo_with(dir.path(), "quiz", 100, 30, "[quiz]\nsize = 5\n");
    tmux.wait_for("the app", |s| s.contains("Review ("));
    tmux.keys(&["Q"]);
    tmux.wait_for("the topic pick", |s| s.contains("pick a topic"));
    // "all topics" is selected first; new questions come in import order.
    tmux.keys(&["Enter"]);
    let correct = demo_correct_choices(5);
    for (n, right) in correct.iter().enumerate() {
        tmux.wait_for("the question", |s| {
            s.contains(&format!("question {} of 5", n + 1))
        });
        let wrong = n == 1 || n == 3;
        let choice = if wrong {
            if *right == 1 { 2 } else { 1 }
        } else {
            *right
        };
        tmux.keys(&[&choice.to_string()]);
        let verdict = if wrong {
            "wrong: the answer is"
        } else {
            "right"
        };
        tmux.wait_for("the feedback", |s| {
            s.contains(&format!("{} of 5 answered", n + 1)) && s.contains(verdict)
        });
        tmux.keys(&["Enter"]);
    }
    let summary = tmux.wait_for("the summary", |s| s.contains("Quiz · summary"));
    assert!(
        summary.contains("right 3 · wrong 2 · unsure 0 · skipped 0"),
        "{summary}"
    );
    assert!(summary.contains("newly right 3"), "{summary}");
    assert!(summary.contains("2 waiting for review"), "{summary}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the first missed question", |s| {
        s.contains("missed question 1 of 2")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the review stored", |s| {
        s.contains("marked reviewed") && s.contains("missed question 1 of 1")
    });
    tmux.keys(&["q"]);
    tmux.wait_for_exit();
    block_on(check_database(&dir.path().join("amgi.db")));
}

async fn check_database(path: &Path) {
    let mut db = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut q = async |sql: &'static str| -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&mut db)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    assert_eq!(q("SELECT COUNT(*) FROM study_question_attempts").await, 5);
    assert_eq!(
        q("SELECT COUNT(*) FROM study_question_attempts WHERE outcome = 'wrong'").await,
        2
    );
    assert_eq!(q("SELECT COUNT(*) FROM study_question_progress").await, 5);
    assert_eq!(
        q(
            "SELECT COUNT(*) FROM study_question_progress WHERE pattern_window_attempts = 1 \
           AND pattern_state = CASE last_outcome WHEN 'correct' THEN 'stable' ELSE 'learning' END"
        )
        .await,
        5
    );
    // The session's snapshot.
    assert_eq!(
        q("SELECT COUNT(*) FROM study_quiz_sessions WHERE status = 'done' AND finished_at IS NOT NULL \
           AND correct_count = 3 AND wrong_count = 2 AND unsure_count = 0 AND skipped_count = 0 \
           AND newly_correct_count = 3 AND relapsed_count = 0 AND pending_review_count = 2")
        .await,
        1
    );
    // The reviewed question is in the ladder, due a day after it was reviewed.
    assert_eq!(
        q(
            "SELECT COUNT(*) FROM study_question_progress WHERE last_outcome = 'wrong' \
           AND last_reviewed_at IS NOT NULL AND review_stage = 0 \
           AND due_at = last_reviewed_at + 86400000"
        )
        .await,
        1
    );
    assert_eq!(
        q("SELECT COUNT(*) FROM study_question_progress WHERE due_at IS NOT NULL").await,
        1
    );
}
