//! Anki notes to amgi manual cards (material = the deck name): a standard note is a qa card
//! (first field the cue, second the answer), each card of a cloze note is a cloze card (its
//! deletion blanked, the others shown); Anki's intervals are mapped onto the ladder.

use chrono::{DateTime, Duration, Utc};

use super::read::{AnkiCard, AnkiCollection, AnkiNote, NoteKind};
use crate::domain::card::{CLOZE_BLANK, CardFormat};
use crate::domain::schedule::MASTERED_STAGE;
use crate::domain::text::clean_line;
use crate::store::archive::{ImportedCard, ImportedLadder};

/// Cards made, and why some notes made none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Converted {
    pub cards: Vec<ImportedCard>,
    /// Notes or cloze cards left out, with the reason (the first few are shown).
    pub skipped: Vec<String>,
}

/// The ladder stage of an Anki review interval: the highest stage whose next interval is no
/// longer than it (1 → 3 → 7 → 14 days), and mastered from 21 days (Anki's "mature").
pub fn stage_of_interval(days: i64) -> i16 {
    match days {
        ..3 => 0,
        3..7 => 1,
        7..14 => 2,
        14..21 => 3,
        _ => MASTERED_STAGE,
    }
}

/// Where an Anki card sits on the ladder: new cards are new; learning and relearning cards
/// restart at stage 0, due tomorrow; review cards by interval, due when Anki had them due.
pub fn ladder_of(card: &AnkiCard, created: i64, now: DateTime<Utc>) -> Option<ImportedLadder> {
    match card.card_type {
        1 | 3 => Some(ImportedLadder {
            stage: 0,
            due_at: Some(now + Duration::days(1)),
            reviewed_at: now,
        }),
        2 => {
            let stage = stage_of_interval(card.ivl);
            let due = DateTime::<Utc>::from_timestamp(created, 0)
                .map(|day0| day0 + Duration::days(card.due))
                .unwrap_or(now);
            Some(ImportedLadder {
                stage,
                due_at: (stage < MASTERED_STAGE).then_some(due),
                reviewed_at: (due - Duration::days(card.ivl)).min(now),
            })
        }
        _ => None,
    }
}

/// Field text without HTML: line breaks for `<br>`, `<div>` and `<p>`, other tags dropped,
/// entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            let tag = rest[..end].to_ascii_lowercase();
            if tag.starts_with("<br") || tag.starts_with("</div") || tag.starts_with("</p") {
                out.push('\n');
            }
            rest = &rest[end..];
        } else {
            let end = rest.find(';').filter(|&e| e <= 10);
            let decoded = end.and_then(|e| entity(&rest[1..e]));
            match (end, decoded) {
                (Some(e), Some(ch)) => {
                    out.push(ch);
                    rest = &rest[e + 1..];
                }
                _ => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// One cloze deletion `{{cN::answer}}` or `{{cN::answer::hint}}` at the start of `text`:
/// (N, answer, length of the marker).
fn deletion(text: &str) -> Option<(u32, &str, usize)> {
    let body = text.strip_prefix("{{c")?;
    let digits = body.find("::")?;
    let number = body[..digits].parse().ok()?;
    let inner_start = digits + 2;
    let close = body[inner_start..].find("}}")? + inner_start;
    let inner = &body[inner_start..close];
    let answer = inner.split("::").next().unwrap_or(inner);
    Some((number, answer, 3 + close + 2))
}

/// The sentence of cloze number `n`: its deletion blanked, every other shown as its answer;
/// `None` unless deletion `n` occurs exactly once. Returns (sentence, answer).
pub fn cloze_sentence(text: &str, n: u32) -> Option<(String, String)> {
    let mut sentence = String::with_capacity(text.len());
    let mut answer = None;
    let mut rest = text;
    while let Some(i) = rest.find("{{c") {
        sentence.push_str(&rest[..i]);
        rest = &rest[i..];
        match deletion(rest) {
            Some((number, text, len)) => {
                if number == n {
                    if answer.replace(text.to_owned()).is_some() {
                        return None;
                    }
                    sentence.push_str(CLOZE_BLANK);
                } else {
                    sentence.push_str(text);
                }
                rest = &rest[len..];
            }
            None => {
                sentence.push_str("{{c");
                rest = &rest[3..];
            }
        }
    }
    sentence.push_str(rest);
    Some((sentence, answer?))
}

fn field(note: &AnkiNote, index: usize) -> &str {
    note.fields.get(index).map_or("", |(_, v)| v.as_str())
}

/// The text of the note's field named `Evidence` (amgi's own exports), if any.
fn evidence(note: &AnkiNote) -> Option<String> {
    note.fields
        .iter()
        .find(|(name, _)| name == "Evidence")
        .map(|(_, v)| clean_line(&html_to_text(v)))
        .filter(|e| !e.is_empty())
}

/// The collection's notes as amgi cards.
pub fn convert(collection: &AnkiCollection, now: DateTime<Utc>) -> Converted {
    let mut out = Converted::default();
    for (i, note) in collection.notes.iter().enumerate() {
        match note.kind {
            NoteKind::Standard => {
                let cue = clean_line(&html_to_text(field(note, 0)));
                let fact = clean_line(&html_to_text(field(note, 1)));
                if cue.is_empty() || fact.is_empty() {
                    out.skipped.push(format!(
                        "note {}: its first two fields are not both text",
                        i + 1
                    ));
                    continue;
                }
                let first = note.cards.iter().min_by_key(|c| c.ord);
                out.cards.push(ImportedCard {
                    material: first.map_or_else(|| "Default".into(), |c| c.deck.clone()),
                    format: CardFormat::Qa,
                    cue,
                    fact,
                    cloze_text: None,
                    evidence: evidence(note),
                    ladder: first.and_then(|c| ladder_of(c, collection.created, now)),
                });
            }
            NoteKind::Cloze => {
                let text = clean_line(&html_to_text(field(note, 0)));
                let extra = clean_line(&html_to_text(field(note, 1)));
                for card in &note.cards {
                    let number = u32::try_from(card.ord + 1).unwrap_or(0);
                    let Some((sentence, fact)) = cloze_sentence(&text, number) else {
                        out.skipped.push(format!(
                            "note {}, cloze {number}: not exactly one deletion",
                            i + 1
                        ));
                        continue;
                    };
                    let fact = clean_line(&fact);
                    if fact.is_empty() {
                        out.skipped
                            .push(format!("note {}, cloze {number}: empty answer", i + 1));
                        continue;
                    }
                    out.cards.push(ImportedCard {
                        material: card.deck.clone(),
                        format: CardFormat::Cloze,
                        cue: if extra.is_empty() {
                            card.deck.clone()
                        } else {
                            extra.clone()
                        },
                        fact,
                        cloze_text: Some(sentence),
                        evidence: evidence(note),
                        ladder: ladder_of(card, collection.created, now),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            html_to_text("Who wrote <b>Hamlet</b>?"),
            "Who wrote Hamlet?"
        );
        assert_eq!(
            html_to_text("a &amp; b&lt;c&#39;&#x41;&nbsp;x &unknown;"),
            "a & b<c'A x &unknown;"
        );
        assert_eq!(
            html_to_text("one<br>two<div>three</div>"),
            "one\ntwothree\n"
        );
    }

    #[test]
    fn each_cloze_number_is_one_card() {
        let text =
            "Photosynthesis happens in {{c1::chloroplasts}} and makes {{c2::glucose::a sugar}}.";
        assert_eq!(
            cloze_sentence(text, 1),
            Some((
                "Photosynthesis happens in {{blank}} and makes glucose.".into(),
                "chloroplasts".into()
            ))
        );
        assert_eq!(
            cloze_sentence(text, 2),
            Some((
                "Photosynthesis happens in chloroplasts and makes {{blank}}.".into(),
                "glucose".into()
            ))
        );
        assert_eq!(cloze_sentence(text, 3), None);
        assert_eq!(cloze_sentence("{{c1::a}} and {{c1::b}}", 1), None);
    }

    #[test]
    fn intervals_map_onto_the_ladder() {
        let stages: Vec<i16> = [0, 2, 3, 6, 7, 13, 14, 20, 21, 400]
            .map(stage_of_interval)
            .to_vec();
        assert_eq!(stages, vec![0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        let now = Utc::now();
        let review = AnkiCard {
            ord: 0,
            deck: "d".into(),
            card_type: 2,
            due: 10,
            ivl: 10,
        };
        let ladder = ladder_of(&review, 0, now);
        assert_eq!(ladder.as_ref().map(|l| l.stage), Some(2));
        assert_eq!(
            ladder.and_then(|l| l.due_at),
            DateTime::<Utc>::from_timestamp(10 * 86_400, 0)
        );
        assert_eq!(
            ladder_of(
                &AnkiCard {
                    card_type: 0,
                    ..review.clone()
                },
                0,
                now
            ),
            None
        );
        let mature = ladder_of(&AnkiCard { ivl: 40, ..review }, 0, now);
        assert_eq!(mature.map(|l| (l.stage, l.due_at)), Some((4, None)));
    }
}
