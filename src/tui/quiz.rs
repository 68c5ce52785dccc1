//! The Quiz pane's state, the effects it asks for and the events they report (issue 17).
//! `update_quiz` decides; [`run`] performs one effect against the store and returns the event.

use chrono::{DateTime, Utc};

use super::action::Action;
use crate::domain::card::Outcome;
use crate::domain::quiz::{DEFAULT_SESSION_SIZE, QuestionProgress};
use crate::store::quiz::{AttemptRow, PendingQuestion, QuizSession, QuizSummary};
use crate::store::{Question, QuestionId, SharedStore, StoreError, Topic, TopicId, UserId};

/// Where the learner is in the quiz.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum QuizPhase {
    /// The topics and any unfinished session are being read.
    #[default]
    Loading,
    /// Choosing what to practise: 0 is all topics, then the topics in order.
    Pick { selected: usize },
    /// A session left mid-way: continue it or finish it with what was answered.
    Resume,
    /// The current question is on screen; `unsure` marks the next answer as a guess.
    Asking { unsure: bool },
    /// The answer was given (graded here as the store grades it); `saved` once the store
    /// has it.
    Feedback {
        question_id: QuestionId,
        chosen: Option<i16>,
        outcome: Outcome,
        saved: bool,
    },
    /// Waiting for the store (starting or finishing a session).
    Busy(String),
    /// The finished session's summary.
    Summary,
    /// Going through the questions waiting for review.
    Reviewing { index: usize },
}

/// The Quiz pane.
#[derive(Debug, Clone, PartialEq)]
pub struct QuizPane {
    pub phase: QuizPhase,
    /// The learner's topics, for the pick.
    pub topics: Vec<Topic>,
    /// The session being answered (or just finished).
    pub session: Option<QuizSession>,
    /// The finished session's summary.
    pub summary: Option<QuizSummary>,
    /// Questions waiting for review, after a summary.
    pub pending: Vec<PendingQuestion>,
    /// Questions answered whose answer the store has not confirmed yet.
    pub sending: Vec<QuestionId>,
    /// The learner asked to finish while an answer was still being stored: the session is
    /// finished as soon as the last one is (a key pressed meanwhile is not lost).
    pub finish_when_saved: bool,
    /// Questions per session (`[quiz] size`).
    pub size: u32,
    /// An explanation job ended `no_llm`: the pane says once how to set an LLM endpoint.
    pub needs_llm: bool,
}

impl Default for QuizPane {
    fn default() -> Self {
        QuizPane {
            phase: QuizPhase::Loading,
            topics: Vec::new(),
            session: None,
            summary: None,
            pending: Vec::new(),
            sending: Vec::new(),
            finish_when_saved: false,
            size: DEFAULT_SESSION_SIZE,
            needs_llm: false,
        }
    }
}

impl QuizPane {
    /// The question on screen: the first one the session has no answer for.
    pub fn current(&self) -> Option<&Question> {
        self.session
            .as_ref()
            .and_then(|s| s.remaining().find(|q| !self.sending.contains(&q.id)))
    }

    /// (answered, total) of the session.
    pub fn progress(&self) -> (usize, usize) {
        self.session.as_ref().map_or((0, 0), |s| {
            (s.attempts.len() + self.sending.len(), s.questions.len())
        })
    }

    /// The question an attempt answered.
    pub fn question(&self, id: QuestionId) -> Option<&Question> {
        self.session
            .as_ref()
            .and_then(|s| s.questions.iter().find(|q| q.id == id))
    }
}

/// What the Quiz pane says, once, when explanations cannot be written.
pub const NEEDS_LLM: &str = "Explanations of missed questions are written by an LLM, and none \
     is set: put extractor = \"llm\" under [extract] and base_url and model under [llm] in the \
     config file (`amgi doctor` shows where); the next quiz's misses are explained, then carded.";

/// The store work the Quiz pane asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum QuizEffect {
    /// Topics and the unfinished session, if any.
    Load,
    Start {
        topic: Option<TopicId>,
        size: u32,
    },
    Answer {
        session_id: i64,
        question_id: QuestionId,
        chosen: Option<i16>,
        unsure: bool,
    },
    /// Finalizes the session (with what was answered), then reads the pending questions.
    Finish {
        session_id: i64,
        topic: Option<TopicId>,
    },
    MarkReviewed {
        question_id: QuestionId,
    },
}

impl QuizEffect {
    pub fn is_write(&self) -> bool {
        !matches!(self, QuizEffect::Load)
    }
}

/// What a quiz effect reports back.
#[derive(Debug, Clone, PartialEq)]
pub enum QuizEvent {
    Loaded {
        topics: Vec<Topic>,
        active: Option<QuizSession>,
    },
    Started(QuizSession),
    Answered(AttemptRow),
    /// The answer was not stored: the question is asked again.
    AnswerFailed {
        question_id: QuestionId,
        error: String,
    },
    Finished {
        summary: QuizSummary,
        pending: Vec<PendingQuestion>,
    },
    Reviewed(QuestionProgress),
    /// Loading, starting, finishing or marking failed.
    Failed {
        error: String,
        write: bool,
    },
}

/// Runs one quiz effect; the event is sent back as [`Action::Quiz`].
pub async fn run(
    effect: QuizEffect,
    store: &SharedStore,
    user: UserId,
    now: DateTime<Utc>,
) -> Action {
    let failed = |what: &str, e: StoreError, write: bool| {
        tracing::warn!(error = %e, "{what} failed");
        QuizEvent::Failed {
            error: format!("{what} failed: {e}"),
            write,
        }
    };
    let event = match effect {
        QuizEffect::Load => {
            let loaded = async {
                let topics = store.list_topics(user).await?;
                let active = store.active_quiz(user).await?;
                Ok::<_, StoreError>(QuizEvent::Loaded { topics, active })
            };
            loaded
                .await
                .unwrap_or_else(|e| failed("loading the quiz", e, false))
        }
        QuizEffect::Start { topic, size } => match store.start_quiz(user, topic, size, now).await {
            Ok(session) => QuizEvent::Started(session),
            Err(e) => failed("starting the quiz", e, true),
        },
        QuizEffect::Answer {
            session_id,
            question_id,
            chosen,
            unsure,
        } => match store
            .answer_question(user, session_id, question_id, chosen, unsure, now)
            .await
        {
            Ok(attempt) => QuizEvent::Answered(attempt),
            Err(e) => QuizEvent::AnswerFailed {
                question_id,
                error: format!("saving the answer failed: {e}"),
            },
        },
        QuizEffect::Finish { session_id, topic } => {
            let finished = async {
                let summary = store.finalize_quiz(user, session_id, now).await?;
                let pending = store.pending_questions(user, topic).await?;
                Ok::<_, StoreError>(QuizEvent::Finished { summary, pending })
            };
            finished
                .await
                .unwrap_or_else(|e| failed("finishing the quiz", e, true))
        }
        QuizEffect::MarkReviewed { question_id } => {
            match store.mark_question_reviewed(user, question_id, now).await {
                Ok(progress) => QuizEvent::Reviewed(progress),
                Err(e) => failed("marking the question reviewed", e, true),
            }
        }
    };
    Action::Quiz(event)
}
