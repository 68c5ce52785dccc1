//! Cards, groups and states built in memory for the TUI tests (no database).
#![allow(dead_code)]

use amgi::domain::card::{CardFormat, SourceKind};
use amgi::domain::schedule::LadderState;
use amgi::store::{
    Card, CardId, Counts, DueCard, Evidence, GroupKey, QuestionId, ReviewGroup, SourceQuestion,
    TopicId,
};
use amgi::tui::state::AppState;
use chrono::{DateTime, Utc};

pub fn qa(id: i64, question: i64, cue: &str, fact: &str) -> Card {
    Card {
        id: CardId(id),
        source_kind: SourceKind::Question,
        source_question_id: Some(QuestionId(question)),
        topic_id: Some(TopicId(1)),
        format: CardFormat::Qa,
        cue: cue.to_owned(),
        fact: fact.to_owned(),
        cloze_text: None,
        needs_review: true,
        flagged_by: None,
        material: None,
        view_count: 0,
        last_viewed_at: None,
        updated_at: chrono::DateTime::UNIX_EPOCH,
        evidence: vec![Evidence {
            source_type: "question".into(),
            source_id: Some(question),
            snippet: Some(format!("{fact}에 관한 해설 문장이다.")),
        }],
    }
}

pub fn cloze(id: i64, question: i64, sentence: &str, fact: &str) -> Card {
    Card {
        format: CardFormat::Cloze,
        cloze_text: Some(sentence.to_owned()),
        cue: "한국사 (Korean history)".into(),
        ..qa(id, question, "", fact)
    }
}

pub fn groups() -> Vec<ReviewGroup> {
    vec![
        ReviewGroup {
            key: GroupKey::Question(QuestionId(12)),
            question: Some("훈민정음이 반포된 해는?".into()),
            correct_answer: Some("1446년".into()),
            cards: vec![
                qa(101, 12, "훈민정음이 반포된 해는?", "1446년"),
                cloze(
                    102,
                    12,
                    "세종대왕은 {{blank}}에 훈민정음을 창제하였다.",
                    "1443년",
                ),
            ],
        },
        ReviewGroup {
            key: GroupKey::Question(QuestionId(14)),
            question: Some("Which port does HTTPS use by default?".into()),
            correct_answer: Some("443".into()),
            cards: vec![qa(103, 14, "Default port of HTTPS", "443")],
        },
    ]
}

pub fn due_cards() -> Vec<DueCard> {
    let mut a = qa(201, 12, "임진왜란이 일어난 해는?", "1592년");
    a.needs_review = false;
    let mut b = cloze(
        202,
        13,
        "미토콘드리아는 {{blank}}를 생성하는 세포 소기관이다.",
        "ATP",
    );
    b.needs_review = false;
    vec![
        DueCard {
            card: a,
            ladder: Some(LadderState {
                stage: Some(1),
                due_at: Some(DateTime::<Utc>::UNIX_EPOCH),
            }),
            source: None,
        },
        DueCard {
            card: b,
            ladder: None,
            source: Some(SourceQuestion {
                text: "세포에서 에너지를 만드는 소기관은?".into(),
                correct_answer: Some("미토콘드리아".into()),
            }),
        },
    ]
}

/// A state with everything loaded: two review groups, two due cards, two cram cards.
pub fn loaded_state() -> AppState {
    let mut state = AppState::default();
    state.status.backend = "sqlite".into();
    state.status.user = "민지".into();
    state.status.extraction_running = true;
    state.status.counts = Counts {
        topics: 3,
        questions: 36,
        ready_explanations: 36,
        cards_in_review: 3,
        cards_approved: 2,
        jobs_pending: 4,
        jobs_processing: 1,
        jobs_failed: 0,
    };
    state.status.last_result = Some("question 12 → 4 cards".into());
    state.review.groups = groups();
    state.review.selected = Some(CardId(101));
    state.review.loaded = true;
    state.due.deck = due_cards().into();
    state.due.loaded = true;
    state.cram.deck = due_cards().into_iter().map(|d| d.card).collect();
    state.cram.loaded = true;
    state
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

/// One Browse row of every state, Korean and English content.
pub fn browse_rows() -> Vec<amgi::store::BrowseRow> {
    use amgi::store::{BrowseRow, BrowseState};
    let row = |card: Card, ladder: Option<LadderState>, reviewed: Option<&str>| {
        let state = BrowseState::of(&card, ladder);
        BrowseRow {
            card,
            ladder,
            last_reviewed_at: reviewed.map(at),
            state,
        }
    };
    let approved = |mut card: Card| {
        card.needs_review = false;
        card
    };
    let ladder = |stage: Option<i16>, due: Option<&str>| {
        Some(LadderState {
            stage,
            due_at: due.map(at),
        })
    };
    let mut flagged = approved(qa(104, 12, "훈민정음을 창제한 왕은?", "세종대왕"));
    flagged.needs_review = true;
    flagged.flagged_by = Some("user".into());
    let mut viewed = approved(qa(106, 15, "임진왜란이 일어난 해는?", "1592년"));
    viewed.view_count = 7;
    vec![
        row(qa(101, 12, "훈민정음이 반포된 해는?", "1446년"), None, None),
        row(flagged, None, None),
        row(
            approved(cloze(
                102,
                12,
                "세종대왕은 {{blank}}에 훈민정음을 창제하였다.",
                "1443년",
            )),
            None,
            None,
        ),
        row(
            approved(qa(103, 14, "Default port of HTTPS", "443")),
            ladder(Some(0), Some("2026-03-02T09:00:00Z")),
            Some("2026-03-01T09:00:00Z"),
        ),
        row(
            viewed,
            ladder(Some(2), Some("2026-03-12T09:00:00Z")),
            Some("2026-03-05T09:00:00Z"),
        ),
        row(
            approved(cloze(
                107,
                16,
                "미토콘드리아는 {{blank}}를 생성하는 세포 소기관이다.",
                "ATP",
            )),
            ladder(Some(4), None),
            Some("2026-02-20T09:00:00Z"),
        ),
    ]
}

/// [`loaded_state`] on the Browse pane with [`browse_rows`] listed (one page, the last).
pub fn browse_state() -> AppState {
    let mut state = loaded_state();
    state.pane = amgi::tui::state::Pane::Browse;
    state.browse.rows = browse_rows();
    state.browse.loaded = true;
    state.browse.seq = 1;
    state.browse.topics = vec![amgi::store::Topic {
        id: TopicId(1),
        name: "한국사".into(),
        focused_at: None,
        created_at: DateTime::<Utc>::UNIX_EPOCH,
    }];
    state.topics = amgi::tui::study::TopicFocus {
        topics: state.browse.topics.clone(),
        focused: None,
        loaded: true,
    };
    state
}
