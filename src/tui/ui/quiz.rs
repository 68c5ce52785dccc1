//! The Quiz pane: topic pick, a question with numbered choices, the feedback after an
//! answer, the session's summary and the review of missed questions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use super::{clean, wrap};
use crate::domain::card::{ExplanationStatus, Outcome};
use crate::domain::text::strip_controls;
use crate::store::Question;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::quiz::{NEEDS_LLM, QuizPane, QuizPhase};
use crate::tui::state::AppState;

fn gray(text: String) -> Line<'static> {
    Line::from(Span::styled(text, Style::new().fg(Color::Gray)))
}

fn bold(text: String) -> Line<'static> {
    Line::from(Span::styled(
        text,
        Style::new().add_modifier(Modifier::BOLD),
    ))
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap) {
    let key = |command| keymap.label(Context::Quiz, command);
    let quiz = &state.quiz;
    let (answered, total) = quiz.progress();
    let (title, lines) = match &quiz.phase {
        QuizPhase::Loading => (" Quiz ".to_owned(), vec![gray("Loading the quiz…".into())]),
        QuizPhase::Busy(what) => (" Quiz ".to_owned(), vec![gray(what.clone())]),
        QuizPhase::Pick { selected } => (
            " Quiz · pick a topic ".to_owned(),
            pick(quiz, *selected, &key),
        ),
        QuizPhase::Resume => (
            " Quiz · unfinished ".to_owned(),
            vec![
                bold(format!(
                    "A quiz is under way: {answered} of {total} answered."
                )),
                Line::from(""),
                gray(format!(
                    "{}: continue · {}: finish it now with the answers given",
                    key(Command::Proceed),
                    key(Command::AbandonQuiz)
                )),
            ],
        ),
        QuizPhase::Asking { unsure } => {
            let mut lines = match quiz.current() {
                Some(q) => question_lines(q, None),
                None => vec![],
            };
            lines.push(Line::from(""));
            lines.push(if *unsure {
                Line::from(Span::styled(
                    "marked unsure: a right answer counts as 애매",
                    Style::new().fg(Color::Yellow),
                ))
            } else {
                gray(format!(
                    "1–9: answer · {}: mark unsure · {}: skip",
                    key(Command::MarkUnsure),
                    key(Command::SkipQuestion)
                ))
            });
            (
                format!(" Quiz · question {} of {total} ", answered + 1),
                lines,
            )
        }
        QuizPhase::Feedback {
            question_id,
            chosen,
            outcome,
            saved,
        } => {
            let mut lines = Vec::new();
            if let Some(q) = quiz.question(*question_id) {
                lines.push(verdict(*outcome, q));
                lines.push(Line::from(""));
                lines.extend(question_lines(q, Some(*chosen)));
                lines.push(Line::from(""));
                lines.extend(explanation(q));
            }
            lines.push(Line::from(""));
            let next = if quiz.current().is_some() {
                "next question"
            } else {
                "see the summary"
            };
            let saving = if *saved { "" } else { " (saving…)" };
            lines.push(gray(format!("{}: {next}{saving}", key(Command::Proceed))));
            (format!(" Quiz · {answered} of {total} answered "), lines)
        }
        QuizPhase::Summary => (" Quiz · summary ".to_owned(), summary(quiz, &key)),
        QuizPhase::Reviewing { index } => {
            let mut lines = Vec::new();
            if let Some(p) = quiz.pending.get(*index) {
                lines.extend(question_lines(&p.question, None));
                lines.push(Line::from(""));
                lines.push(correct_line(&p.question));
                lines.push(Line::from(""));
                lines.extend(explanation(&p.question));
                lines.push(Line::from(""));
                lines.push(gray(format!(
                    "{}: mark reviewed (back in the quiz tomorrow) · {}/{}: other missed questions · {}: summary",
                    key(Command::Proceed),
                    key(Command::SelectNext),
                    key(Command::SelectPrev),
                    key(Command::Cancel)
                )));
            }
            (
                format!(
                    " Quiz · missed question {} of {} ",
                    index + 1,
                    quiz.pending.len()
                ),
                lines,
            )
        }
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    frame.render_widget(
        wrap::paragraph(lines, block, area, wrap::Indent::Keep),
        area,
    );
}

fn pick(quiz: &QuizPane, selected: usize, key: &dyn Fn(Command) -> String) -> Vec<Line<'static>> {
    let mut lines = vec![
        gray(format!(
            "{} questions per quiz: due ones first, then missed ones, then new ones.",
            quiz.size
        )),
        Line::from(""),
    ];
    let names =
        std::iter::once("all topics".to_owned()).chain(quiz.topics.iter().map(|t| clean(&t.name)));
    for (i, name) in names.enumerate() {
        let style = if i == selected {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new()
        };
        let marker = if i == selected { "▸" } else { " " };
        lines.push(Line::from(Span::styled(format!("{marker} {name} "), style)));
    }
    lines.push(Line::from(""));
    lines.push(gray(format!(
        "{}/{}: choose · {}: start",
        key(Command::SelectNext),
        key(Command::SelectPrev),
        key(Command::Proceed)
    )));
    lines
}

/// The question and its numbered choices; with `chosen` (after an answer) the learner's
/// choice and the correct one are marked.
fn question_lines(q: &Question, chosen: Option<Option<i16>>) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = strip_controls(&q.question_text, true)
        .lines()
        .map(|l| bold(l.to_owned()))
        .collect();
    lines.push(Line::from(""));
    for (i, choice) in q.choices.iter().enumerate() {
        let n = i16::try_from(i + 1).unwrap_or(i16::MAX);
        let text = format!("{n}. {}", clean(choice));
        let line = match chosen {
            Some(_) if n == q.correct_choice => Line::from(Span::styled(
                format!("{text}  ✓"),
                Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
            )),
            Some(Some(c)) if c == n => Line::from(Span::styled(
                format!("{text}  ✗"),
                Style::new().fg(Color::Red),
            )),
            _ => Line::from(text),
        };
        lines.push(line);
    }
    lines
}

fn correct_line(q: &Question) -> Line<'static> {
    let answer = usize::try_from(q.correct_choice - 1)
        .ok()
        .and_then(|i| q.choices.get(i))
        .map_or_else(String::new, |c| clean(c));
    Line::from(vec![
        Span::styled("correct  ", Style::new().fg(Color::Gray)),
        Span::styled(
            format!("{}. {answer}", q.correct_choice),
            Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        ),
    ])
}

fn verdict(outcome: Outcome, q: &Question) -> Line<'static> {
    let (text, color) = match outcome {
        Outcome::Correct => ("right".to_owned(), Color::Green),
        Outcome::Unsure => ("right, marked unsure (애매)".to_owned(), Color::Yellow),
        Outcome::Wrong => (
            format!("wrong: the answer is {}", q.correct_choice),
            Color::Red,
        ),
        Outcome::Skipped => (
            format!("skipped: the answer is {}", q.correct_choice),
            Color::Gray,
        ),
    };
    Line::from(Span::styled(
        text,
        Style::new().fg(color).add_modifier(Modifier::BOLD),
    ))
}

/// The explanation when it is ready, else a line saying it is not.
fn explanation(q: &Question) -> Vec<Line<'static>> {
    match (&q.ai_explanation, q.ai_explanation_status) {
        (Some(text), ExplanationStatus::Ready) => strip_controls(text, true)
            .lines()
            .map(|l| Line::from(l.to_owned()))
            .collect(),
        _ => vec![gray("No explanation for this question yet.".into())],
    }
}

fn summary(quiz: &QuizPane, key: &dyn Fn(Command) -> String) -> Vec<Line<'static>> {
    let Some(s) = quiz.summary else {
        return vec![];
    };
    let c = s.session;
    let mut lines = vec![
        bold(format!(
            "right {} · wrong {} · unsure {} · skipped {}",
            c.correct, c.wrong, c.unsure, c.skipped
        )),
        Line::from(""),
        Line::from(format!(
            "newly right {} · relapsed {} · recovered {} · still chronic {}",
            c.newly_correct, c.relapsed, c.recovered, c.chronic_remaining
        )),
        Line::from(format!(
            "{}: {} waiting for review · {} chronic · {} regressed",
            if quiz.session.as_ref().is_some_and(|s| s.topic_id.is_none()) {
                "in all topics"
            } else {
                "in this topic"
            },
            s.pending_review,
            s.chronic,
            s.regressed
        )),
        Line::from(""),
    ];
    if quiz.needs_llm {
        lines.push(Line::from(Span::styled(
            NEEDS_LLM,
            Style::new().fg(Color::Yellow),
        )));
        lines.push(Line::from(""));
    }
    if quiz.pending.is_empty() {
        lines.push(gray(format!("{}: new quiz", key(Command::Proceed))));
    } else {
        let n = quiz.pending.len();
        let missed = if n == 1 {
            "the missed question".to_owned()
        } else {
            format!("the {n} missed questions")
        };
        lines.push(gray(format!(
            "{}: go through {missed} · {}: new quiz",
            key(Command::Proceed),
            key(Command::NewQuiz)
        )));
    }
    lines
}
