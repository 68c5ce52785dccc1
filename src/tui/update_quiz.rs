//! `update` for the Quiz pane: picking a topic, answering, feedback, the summary and the
//! review of missed questions. No I/O: the store work goes out as [`QuizEffect`]s.

use super::effect::Effect;
use super::keymap::Command;
use super::quiz::{QuizEffect, QuizEvent, QuizPhase};
use super::state::{AppState, Confirm, Confirmed};
use crate::domain::quiz::grade;
use crate::store::quiz::SessionStatus;

/// The pane was shown: read the topics and any unfinished session the first time.
pub fn entered(state: &mut AppState) -> Vec<Effect> {
    if state.quiz.phase == QuizPhase::Loading {
        vec![Effect::Quiz(QuizEffect::Load)]
    } else {
        vec![]
    }
}

/// An explanation job ended `no_llm`. Said once per run, however many questions: the status
/// line points at the Quiz pane, whose summary says how to set an endpoint.
pub fn explanations_need_llm(state: &mut AppState) -> Vec<Effect> {
    if !state.quiz.needs_llm {
        state.quiz.needs_llm = true;
        state.status.message = Some(
            "explanations of missed questions need an LLM endpoint (see the Quiz pane)".into(),
        );
    }
    vec![]
}

pub fn command(state: &mut AppState, command: Command) -> Vec<Effect> {
    let quiz = &mut state.quiz;
    match (quiz.phase.clone(), command) {
        (QuizPhase::Pick { selected }, Command::SelectNext) => {
            quiz.phase = QuizPhase::Pick {
                selected: (selected + 1).min(quiz.topics.len()),
            };
            vec![]
        }
        (QuizPhase::Pick { selected }, Command::SelectPrev) => {
            quiz.phase = QuizPhase::Pick {
                selected: selected.saturating_sub(1),
            };
            vec![]
        }
        (QuizPhase::Pick { selected }, Command::Proceed) => {
            let topic = selected
                .checked_sub(1)
                .and_then(|i| quiz.topics.get(i))
                .map(|t| t.id);
            quiz.phase = QuizPhase::Busy("starting the quiz…".into());
            vec![Effect::Quiz(QuizEffect::Start {
                topic,
                size: quiz.size,
            })]
        }
        (QuizPhase::Resume, Command::Proceed) => {
            quiz.phase = QuizPhase::Asking { unsure: false };
            if quiz.current().is_none() {
                return finish(state);
            }
            vec![]
        }
        (QuizPhase::Asking { unsure }, Command::MarkUnsure) => {
            quiz.phase = QuizPhase::Asking { unsure: !unsure };
            vec![]
        }
        (QuizPhase::Asking { unsure }, Command::Answer(n)) => {
            answer(state, Some(i16::from(n)), unsure)
        }
        (QuizPhase::Asking { .. }, Command::SkipQuestion) => answer(state, None, false),
        (QuizPhase::Feedback { .. }, Command::Proceed) => {
            if quiz.current().is_some() {
                quiz.phase = QuizPhase::Asking { unsure: false };
                vec![]
            } else {
                finish(state)
            }
        }
        (
            QuizPhase::Resume | QuizPhase::Asking { .. } | QuizPhase::Feedback { .. },
            Command::AbandonQuiz,
        ) => {
            let (answered, total) = quiz.progress();
            state.confirm = Some(Confirm {
                message: format!(
                    "Finish this quiz now with the {answered} of {total} answers given?"
                ),
                on_yes: Confirmed::FinishQuiz,
            });
            vec![]
        }
        (QuizPhase::Summary, Command::Proceed) if !quiz.pending.is_empty() => {
            quiz.phase = QuizPhase::Reviewing { index: 0 };
            vec![]
        }
        (QuizPhase::Summary | QuizPhase::Reviewing { .. }, Command::NewQuiz)
        | (QuizPhase::Summary, Command::Proceed) => {
            quiz.phase = QuizPhase::Loading;
            quiz.session = None;
            vec![Effect::Quiz(QuizEffect::Load)]
        }
        (QuizPhase::Reviewing { index }, Command::SelectNext) => {
            quiz.phase = QuizPhase::Reviewing {
                index: (index + 1).min(quiz.pending.len().saturating_sub(1)),
            };
            vec![]
        }
        (QuizPhase::Reviewing { index }, Command::SelectPrev) => {
            quiz.phase = QuizPhase::Reviewing {
                index: index.saturating_sub(1),
            };
            vec![]
        }
        (QuizPhase::Reviewing { index }, Command::Proceed) => match quiz.pending.get(index) {
            Some(p) => vec![Effect::Quiz(QuizEffect::MarkReviewed {
                question_id: p.question.id,
            })],
            None => vec![],
        },
        (QuizPhase::Reviewing { .. }, Command::Cancel) => {
            quiz.phase = QuizPhase::Summary;
            vec![]
        }
        _ => vec![],
    }
}

/// Answers the question on screen (`None` skips): the feedback shows at once, the store
/// is asked to keep it.
fn answer(state: &mut AppState, chosen: Option<i16>, unsure: bool) -> Vec<Effect> {
    let quiz = &mut state.quiz;
    let (Some(question), Some(session_id)) =
        (quiz.current().cloned(), quiz.session.as_ref().map(|s| s.id))
    else {
        return vec![];
    };
    let choices = question.choices.len();
    if let Some(n) = chosen.filter(|n| usize::try_from(*n).map_or(true, |n| n == 0 || n > choices))
    {
        state.status.message = Some(format!("there is no choice {n}: 1 to {choices}"));
        return vec![];
    }
    quiz.sending.push(question.id);
    quiz.phase = QuizPhase::Feedback {
        question_id: question.id,
        chosen,
        outcome: grade(question.correct_choice, chosen, unsure),
        saved: false,
    };
    state.status.message = None;
    vec![Effect::Quiz(QuizEffect::Answer {
        session_id,
        question_id: question.id,
        chosen,
        unsure,
    })]
}

/// Finalizes the session with what was answered (the last answer, or the learner's finish).
pub fn finish(state: &mut AppState) -> Vec<Effect> {
    let quiz = &mut state.quiz;
    let Some(session) = quiz.session.as_ref() else {
        return vec![];
    };
    if !quiz.sending.is_empty() {
        // Finishing before every answer is stored would leave some out: it waits for them.
        quiz.finish_when_saved = true;
        state.status.message = Some("saving the answer…".into());
        return vec![];
    }
    quiz.finish_when_saved = false;
    let effect = QuizEffect::Finish {
        session_id: session.id,
        topic: session.topic_id,
    };
    quiz.phase = QuizPhase::Busy("finishing the quiz…".into());
    vec![Effect::Quiz(effect)]
}

pub fn event(state: &mut AppState, event: QuizEvent) -> Vec<Effect> {
    let quiz = &mut state.quiz;
    match event {
        QuizEvent::Loaded { topics, active } => {
            quiz.topics = topics;
            quiz.phase = if active.is_some() {
                QuizPhase::Resume
            } else {
                QuizPhase::Pick { selected: 0 }
            };
            quiz.session = active;
        }
        QuizEvent::Started(session) => {
            state.status.message = Some(format!("quiz: {} questions", session.questions.len()));
            state.status.error = None;
            quiz.session = Some(session);
            quiz.phase = QuizPhase::Asking { unsure: false };
        }
        QuizEvent::Answered(stored) => {
            quiz.sending.retain(|id| *id != stored.question_id);
            if let QuizPhase::Feedback {
                question_id,
                outcome,
                saved,
                ..
            } = &mut quiz.phase
                && *question_id == stored.question_id
            {
                *outcome = stored.outcome;
                *saved = true;
            }
            if let Some(session) = quiz.session.as_mut() {
                session.attempts.push(stored);
            }
            if quiz.finish_when_saved && quiz.sending.is_empty() {
                state.status.message = None;
                return finish(state);
            }
        }
        QuizEvent::AnswerFailed { question_id, error } => {
            quiz.sending.retain(|id| *id != question_id);
            // The failed question is asked again; the session is not finished without it.
            quiz.finish_when_saved = false;
            if matches!(&quiz.phase, QuizPhase::Feedback { question_id: shown, .. } if *shown == question_id)
            {
                quiz.phase = QuizPhase::Asking { unsure: false };
            }
            failed(state, error, true);
        }
        QuizEvent::Finished { summary, pending } => {
            if let Some(session) = quiz.session.as_mut() {
                session.status = SessionStatus::Done;
            }
            quiz.summary = Some(summary);
            quiz.pending = pending;
            quiz.phase = QuizPhase::Summary;
            state.status.error = None;
            return vec![Effect::LoadCounts];
        }
        QuizEvent::Reviewed(progress) => {
            quiz.pending
                .retain(|p| p.question.id.0 != progress.question_id);
            if let QuizPhase::Reviewing { index } = quiz.phase {
                quiz.phase = if quiz.pending.is_empty() {
                    QuizPhase::Summary
                } else {
                    QuizPhase::Reviewing {
                        index: index.min(quiz.pending.len() - 1),
                    }
                };
            }
            state.status.message = Some(match progress.due_at {
                Some(due) => format!(
                    "marked reviewed: back in the quiz on {}",
                    due.format("%Y-%m-%d")
                ),
                None => "marked reviewed".to_owned(),
            });
        }
        QuizEvent::Failed { error, write } => {
            if let QuizPhase::Busy(_) = quiz.phase {
                quiz.phase = match &quiz.session {
                    Some(s) if s.status == SessionStatus::Active => QuizPhase::Resume,
                    _ => QuizPhase::Pick { selected: 0 },
                };
            }
            failed(state, error, write);
        }
    }
    vec![]
}

fn failed(state: &mut AppState, error: String, write: bool) {
    if write && state.quit {
        state.status.failed_on_quit.push(error.clone());
    }
    state.status.error = Some(error);
}
