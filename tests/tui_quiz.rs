//! The Quiz pane without a terminal: `update` for every step of a quiz (pick, answer,
//! unsure, skip, feedback, summary, review of missed questions, resume, finish early), and
//! snapshots of its screens at 80×24 with Korean text.

use amgi::domain::card::{ExplanationStatus, Outcome};
use amgi::domain::quiz::{QuestionProgress, SessionCounts};
use amgi::store::quiz::{AttemptRow, PendingQuestion, QuizSession, QuizSummary, SessionStatus};
use amgi::store::{Question, QuestionId, Topic, TopicId};
use amgi::tui::action::Action;
use amgi::tui::effect::Effect;
use amgi::tui::keymap::{Command, Keymap};
use amgi::tui::quiz::{QuizEffect, QuizEvent, QuizPhase};
use amgi::tui::state::{AppState, Confirmed, Pane};
use amgi::tui::ui;
use amgi::tui::update::update;
use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

fn question(
    id: i64,
    text: &str,
    choices: &[&str],
    correct: i16,
    explanation: Option<&str>,
) -> Question {
    Question {
        id: QuestionId(id),
        topic_id: TopicId(1),
        question_text: text.to_owned(),
        choices: choices.iter().map(|c| (*c).to_owned()).collect(),
        correct_choice: correct,
        ai_explanation: explanation.map(str::to_owned),
        ai_explanation_status: if explanation.is_some() {
            ExplanationStatus::Ready
        } else {
            ExplanationStatus::None
        },
        ai_explanation_generated_at: explanation.map(|_| t0()),
    }
}

fn questions() -> Vec<Question> {
    vec![
        question(
            11,
            "훈민정음이 반포된 해는?",
            &["1443년", "1446년", "1592년", "1910년"],
            2,
            Some("세종은 1443년에 훈민정음을 창제하고 1446년에 반포하였다."),
        ),
        question(
            12,
            "임진왜란이 일어난 해는?",
            &["1392년", "1592년", "1636년"],
            2,
            None,
        ),
    ]
}

fn session() -> QuizSession {
    QuizSession {
        id: 7,
        topic_id: Some(TopicId(1)),
        status: SessionStatus::Active,
        started_at: t0(),
        finished_at: None,
        questions: questions(),
        attempts: vec![],
        summary: None,
    }
}

fn cmd(state: &mut AppState, command: Command) -> Vec<Effect> {
    update(state, Action::Command(command))
}

fn event(state: &mut AppState, event: QuizEvent) -> Vec<Effect> {
    update(state, Action::Quiz(event))
}

/// An event of a write effect, followed by the write's end (as the effect runner sends it).
fn settled(state: &mut AppState, quiz_event: QuizEvent) {
    event(state, quiz_event);
    update(state, Action::WriteSettled);
}

fn stored(question_id: i64, chosen: Option<i16>, outcome: Outcome) -> AttemptRow {
    AttemptRow {
        id: question_id * 10,
        question_id: QuestionId(question_id),
        chosen_choice: chosen,
        outcome,
        answered_at: t0(),
    }
}

/// The pane on screen with its topics loaded and no session under way.
fn picking() -> AppState {
    let mut state = AppState::default();
    let effects = cmd(&mut state, Command::GoQuiz);
    assert_eq!(state.pane, Pane::Quiz);
    assert_eq!(effects, vec![Effect::Quiz(QuizEffect::Load)]);
    let topic = |id, name: &str| Topic {
        id,
        name: name.to_owned(),
        focused_at: None,
        created_at: t0(),
    };
    event(
        &mut state,
        QuizEvent::Loaded {
            topics: vec![topic(TopicId(1), "한국사"), topic(TopicId(2), "세계사")],
            active: None,
        },
    );
    state
}

fn summary() -> QuizSummary {
    QuizSummary {
        session: SessionCounts {
            correct: 1,
            wrong: 1,
            newly_correct: 1,
            ..Default::default()
        },
        pending_review: 1,
        chronic: 0,
        regressed: 0,
    }
}

fn pending() -> Vec<PendingQuestion> {
    vec![PendingQuestion {
        question: questions()[0].clone(),
        progress: QuestionProgress {
            last_outcome: Some(Outcome::Wrong),
            last_attempted_at: Some(t0()),
            ..QuestionProgress::empty(11, 1)
        },
    }]
}

#[test]
fn a_whole_quiz() {
    let mut s = picking();
    assert_eq!(s.quiz.phase, QuizPhase::Pick { selected: 0 });
    cmd(&mut s, Command::SelectNext);
    let effects = cmd(&mut s, Command::Proceed);
    assert_eq!(
        effects,
        vec![Effect::Quiz(QuizEffect::Start {
            topic: Some(TopicId(1)),
            size: 10
        })]
    );
    assert!(matches!(s.quiz.phase, QuizPhase::Busy(_)));
    event(&mut s, QuizEvent::Started(session()));
    assert_eq!(s.quiz.phase, QuizPhase::Asking { unsure: false });
    assert_eq!(s.quiz.current().map(|q| q.id), Some(QuestionId(11)));

    // A choice that does not exist is refused without an answer.
    assert_eq!(cmd(&mut s, Command::Answer(5)), vec![]);
    assert!(
        s.status
            .message
            .as_deref()
            .is_some_and(|m| m.contains("no choice 5"))
    );

    // Marked unsure, then the right choice: unsure.
    cmd(&mut s, Command::MarkUnsure);
    let effects = cmd(&mut s, Command::Answer(2));
    assert_eq!(
        effects,
        vec![Effect::Quiz(QuizEffect::Answer {
            session_id: 7,
            question_id: QuestionId(11),
            chosen: Some(2),
            unsure: true,
        })]
    );
    assert!(matches!(
        s.quiz.phase,
        QuizPhase::Feedback {
            question_id: QuestionId(11),
            outcome: Outcome::Unsure,
            saved: false,
            ..
        }
    ));
    // Starting and answering are writes the app waits for when quitting.
    assert_eq!(s.status.pending_writes, 2);
    event(
        &mut s,
        QuizEvent::Answered(stored(11, Some(2), Outcome::Unsure)),
    );
    assert!(matches!(
        s.quiz.phase,
        QuizPhase::Feedback { saved: true, .. }
    ));

    // Next: the second question; skipped.
    assert_eq!(cmd(&mut s, Command::Proceed), vec![]);
    assert_eq!(s.quiz.current().map(|q| q.id), Some(QuestionId(12)));
    cmd(&mut s, Command::SkipQuestion);
    assert!(matches!(
        s.quiz.phase,
        QuizPhase::Feedback {
            question_id: QuestionId(12),
            chosen: None,
            outcome: Outcome::Skipped,
            ..
        }
    ));
    // Finishing waits until the answer is stored, then goes on by itself.
    assert_eq!(cmd(&mut s, Command::Proceed), vec![]);
    let effects = event(
        &mut s,
        QuizEvent::Answered(stored(12, None, Outcome::Skipped)),
    );
    assert_eq!(
        effects,
        vec![Effect::Quiz(QuizEffect::Finish {
            session_id: 7,
            topic: Some(TopicId(1))
        })]
    );
    event(
        &mut s,
        QuizEvent::Finished {
            summary: summary(),
            pending: pending(),
        },
    );
    assert_eq!(s.quiz.phase, QuizPhase::Summary);

    // Through the missed questions: marking one reviewed.
    cmd(&mut s, Command::Proceed);
    assert_eq!(s.quiz.phase, QuizPhase::Reviewing { index: 0 });
    let effects = cmd(&mut s, Command::Proceed);
    assert_eq!(
        effects,
        vec![Effect::Quiz(QuizEffect::MarkReviewed {
            question_id: QuestionId(11)
        })]
    );
    let reviewed = QuestionProgress {
        last_reviewed_at: Some(t0()),
        review_stage: Some(0),
        due_at: Some(t0() + Duration::days(1)),
        ..pending()[0].progress.clone()
    };
    event(&mut s, QuizEvent::Reviewed(reviewed));
    assert!(s.quiz.pending.is_empty());
    assert_eq!(s.quiz.phase, QuizPhase::Summary);
    assert_eq!(
        s.status.message.as_deref(),
        Some("marked reviewed: back in the quiz on 2026-03-02")
    );
    // A new quiz reads the topics again.
    assert_eq!(
        cmd(&mut s, Command::Proceed),
        vec![Effect::Quiz(QuizEffect::Load)]
    );
}

#[test]
fn a_failed_answer_asks_again() {
    let mut s = picking();
    cmd(&mut s, Command::Proceed);
    event(&mut s, QuizEvent::Started(session()));
    cmd(&mut s, Command::Answer(1));
    event(
        &mut s,
        QuizEvent::AnswerFailed {
            question_id: QuestionId(11),
            error: "saving the answer failed: database is locked".into(),
        },
    );
    assert_eq!(s.quiz.phase, QuizPhase::Asking { unsure: false });
    assert_eq!(s.quiz.current().map(|q| q.id), Some(QuestionId(11)));
    assert!(s.status.error.is_some());
}

#[test]
fn leaving_and_resuming_then_finishing_early() {
    let mut s = picking();
    cmd(&mut s, Command::Proceed);
    event(&mut s, QuizEvent::Started(session()));
    cmd(&mut s, Command::Answer(3));
    event(
        &mut s,
        QuizEvent::Answered(stored(11, Some(3), Outcome::Wrong)),
    );
    // Leaving the pane keeps everything; coming back does not reload.
    cmd(&mut s, Command::GoReview);
    assert_eq!(cmd(&mut s, Command::GoQuiz), vec![]);
    assert!(matches!(s.quiz.phase, QuizPhase::Feedback { .. }));

    // A restarted app finds the session under way.
    let mut fresh = AppState::default();
    cmd(&mut fresh, Command::GoQuiz);
    let mut active = session();
    active.attempts.push(stored(11, Some(3), Outcome::Wrong));
    event(
        &mut fresh,
        QuizEvent::Loaded {
            topics: vec![],
            active: Some(active),
        },
    );
    assert_eq!(fresh.quiz.phase, QuizPhase::Resume);
    assert_eq!(fresh.quiz.progress(), (1, 2));
    cmd(&mut fresh, Command::AbandonQuiz);
    assert_eq!(
        fresh.confirm.as_ref().map(|c| c.on_yes.clone()),
        Some(Confirmed::FinishQuiz)
    );
    let effects = cmd(&mut fresh, Command::ConfirmYes);
    assert_eq!(
        effects,
        vec![Effect::Quiz(QuizEffect::Finish {
            session_id: 7,
            topic: Some(TopicId(1))
        })]
    );
    // Finishing failed: back to the choice between continuing and finishing.
    event(
        &mut fresh,
        QuizEvent::Failed {
            error: "finishing the quiz failed: x".into(),
            write: true,
        },
    );
    assert_eq!(fresh.quiz.phase, QuizPhase::Resume);
    cmd(&mut fresh, Command::Proceed);
    assert_eq!(fresh.quiz.current().map(|q| q.id), Some(QuestionId(12)));
}

fn render(state: &AppState) -> String {
    let keymap = Keymap::defaults();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap_or_else(|e| panic!("{e}"));
    terminal
        .draw(|frame| ui::draw(frame, state, &keymap))
        .unwrap_or_else(|e| panic!("{e}"));
    format!("{}", terminal.backend())
}

#[test]
fn snapshots() {
    let mut s = picking();
    cmd(&mut s, Command::SelectNext);
    insta::assert_snapshot!("quiz_pick_80x24", render(&s));
    cmd(&mut s, Command::Proceed);
    settled(&mut s, QuizEvent::Started(session()));
    s.status.message = None;
    insta::assert_snapshot!("quiz_question_80x24", render(&s));
    cmd(&mut s, Command::MarkUnsure);
    insta::assert_snapshot!("quiz_question_unsure_80x24", render(&s));
    cmd(&mut s, Command::Answer(1));
    settled(
        &mut s,
        QuizEvent::Answered(stored(11, Some(1), Outcome::Wrong)),
    );
    insta::assert_snapshot!("quiz_feedback_wrong_80x24", render(&s));
    cmd(&mut s, Command::Proceed);
    cmd(&mut s, Command::Answer(2));
    settled(
        &mut s,
        QuizEvent::Answered(stored(12, Some(2), Outcome::Correct)),
    );
    insta::assert_snapshot!("quiz_feedback_right_no_explanation_80x24", render(&s));
    cmd(&mut s, Command::Proceed);
    settled(
        &mut s,
        QuizEvent::Finished {
            summary: summary(),
            pending: pending(),
        },
    );
    insta::assert_snapshot!("quiz_summary_80x24", render(&s));
    cmd(&mut s, Command::Proceed);
    insta::assert_snapshot!("quiz_review_missed_80x24", render(&s));
}

/// Explanation jobs that end `no_llm` are reported once, however many: one status line, one
/// paragraph on the summary saying how to set an endpoint.
#[test]
fn explanations_without_an_llm_are_reported_once() {
    let mut s = picking();
    cmd(&mut s, Command::Proceed);
    settled(&mut s, QuizEvent::Started(session()));
    settled(
        &mut s,
        QuizEvent::Finished {
            summary: summary(),
            pending: pending(),
        },
    );
    s.status.message = None;
    assert!(!render(&s).contains("written by an LLM"));
    assert!(update(&mut s, Action::ExplanationsNeedLlm).is_empty());
    assert!(s.quiz.needs_llm);
    assert!(
        s.status
            .message
            .as_deref()
            .is_some_and(|m| m.contains("need an LLM endpoint"))
    );
    // The second question's job: nothing new is said.
    s.status.message = None;
    update(&mut s, Action::ExplanationsNeedLlm);
    assert_eq!(s.status.message, None);
    let screen = render(&s);
    assert_eq!(screen.matches("written by an LLM").count(), 1, "{screen}");
    insta::assert_snapshot!("quiz_summary_needs_llm_80x24", screen);
}

#[test]
fn enter_on_the_last_answer_before_it_is_stored_finishes_once_it_is() {
    let mut s = picking();
    cmd(&mut s, Command::Proceed);
    event(&mut s, QuizEvent::Started(session()));
    cmd(&mut s, Command::Answer(2));
    settled(
        &mut s,
        QuizEvent::Answered(stored(11, Some(2), Outcome::Correct)),
    );
    cmd(&mut s, Command::Proceed);
    assert_eq!(s.quiz.current().map(|q| q.id), Some(QuestionId(12)));
    cmd(&mut s, Command::Answer(1));
    // Enter on the last feedback while its answer is still being stored: nothing is lost,
    // and the key is not either.
    assert_eq!(cmd(&mut s, Command::Proceed), vec![]);
    assert_eq!(s.status.message.as_deref(), Some("saving the answer…"));
    let effects = event(
        &mut s,
        QuizEvent::Answered(stored(12, Some(1), Outcome::Wrong)),
    );
    assert_eq!(
        effects,
        vec![Effect::Quiz(QuizEffect::Finish {
            session_id: 7,
            topic: Some(TopicId(1)),
        })]
    );
    assert!(matches!(s.quiz.phase, QuizPhase::Busy(_)));
    assert_eq!(
        s.quiz
            .session
            .as_ref()
            .map(|session| session.attempts.len()),
        Some(2),
        "both answers are in the session that is finished"
    );
}
