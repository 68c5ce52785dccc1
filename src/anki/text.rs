//! Anki's text files (what "Notes in Plain Text" exports and its text importer reads): header
//! lines `#separator:`, `#html:`, `#columns:`, `#deck:`, `#deck column:`, `#notetype:`,
//! `#notetype column:`, then one note per record, fields quoted as in CSV.

use super::convert::{Converted, cloze_sentence, html_to_text};
use crate::domain::card::CardFormat;
use crate::domain::text::clean_line;
use crate::store::archive::ImportedCard;

/// Why a text file was refused, with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TextError {
    pub line: usize,
    pub message: String,
}

/// The header of a text file.
#[derive(Debug, Default)]
struct Header {
    separator: Option<char>,
    html: bool,
    columns: Vec<String>,
    deck: Option<String>,
    deck_column: Option<usize>,
    notetype: Option<String>,
    notetype_column: Option<usize>,
    meta_columns: Vec<usize>,
}

fn separator(value: &str) -> Option<char> {
    match value.trim().to_ascii_lowercase().as_str() {
        "tab" => Some('\t'),
        "comma" => Some(','),
        "semicolon" => Some(';'),
        "space" => Some(' '),
        "pipe" => Some('|'),
        "colon" => Some(':'),
        other => {
            let mut chars = other.chars();
            chars.next().filter(|_| chars.next().is_none())
        }
    }
}

/// Splits `body` into records of fields: fields separated by `sep`, records by line breaks,
/// a field in double quotes may hold either (`""` is a quote). Each record keeps its line.
fn records(
    body: &str,
    sep: char,
    first_line: usize,
) -> Result<Vec<(usize, Vec<String>)>, TextError> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut line, mut start) = (first_line, first_line);
    let mut chars = body.chars().peekable();
    let mut quoted = false;
    let mut at_field_start = true;
    while let Some(ch) = chars.next() {
        if quoted {
            match ch {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(ch),
            }
            continue;
        }
        match ch {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            '\r' => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                if fields.iter().any(|f| !f.is_empty()) {
                    out.push((start, std::mem::take(&mut fields)));
                }
                fields.clear();
                line += 1;
                start = line;
                at_field_start = true;
            }
            c if c == sep => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            _ => {
                field.push(ch);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err(TextError {
            line: start,
            message: "a quoted field is not closed".into(),
        });
    }
    fields.push(field);
    if fields.iter().any(|f| !f.is_empty()) {
        out.push((start, fields));
    }
    Ok(out)
}

/// Parses a text file; `name` (the file's stem) is the material when no deck is named,
/// `extension` picks the separator when the header does not.
pub fn parse(text: &str, name: &str, extension: Option<&str>) -> Result<Converted, TextError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut header = Header::default();
    let mut body_start = 0;
    let mut line = 1;
    for raw in text.split_inclusive('\n') {
        let Some(entry) = raw.trim_end().strip_prefix('#') else {
            break;
        };
        body_start += raw.len();
        line += 1;
        let Some((key, value)) = entry.split_once(':') else {
            continue;
        };
        let index = || {
            value
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|&i| i >= 1)
                .map(|i| i - 1)
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "separator" => header.separator = separator(value),
            "html" => header.html = value.trim().eq_ignore_ascii_case("true"),
            "columns" => header.columns = vec![value.to_owned()],
            "deck" => header.deck = Some(value.trim().to_owned()),
            "notetype" => header.notetype = Some(value.trim().to_owned()),
            "deck column" => header.deck_column = index(),
            "notetype column" => header.notetype_column = index(),
            "tags column" | "guid column" => header.meta_columns.extend(index()),
            _ => {}
        }
    }
    let sep = header.separator.unwrap_or(match extension {
        Some(e) if e.eq_ignore_ascii_case("csv") => ',',
        _ => '\t',
    });
    if let Some(columns) = header.columns.pop() {
        header.columns = columns
            .trim_end()
            .split(sep)
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
    }
    header.meta_columns.extend(header.deck_column);
    header.meta_columns.extend(header.notetype_column);
    let mut out = Converted::default();
    for (line, fields) in records(&text[body_start..], sep, line)? {
        let plain = |s: &str| {
            if header.html {
                clean_line(&html_to_text(s))
            } else {
                clean_line(s)
            }
        };
        let content: Vec<(String, String)> = fields
            .iter()
            .enumerate()
            .filter(|(i, _)| !header.meta_columns.contains(i))
            .map(|(i, f)| (header.columns.get(i).cloned().unwrap_or_default(), plain(f)))
            .collect();
        if content.len() < 2 {
            return Err(TextError {
                line,
                message: format!(
                    "has {} field{}; a note needs at least two (front and back, or text and extra)",
                    content.len(),
                    if content.len() == 1 { "" } else { "s" }
                ),
            });
        }
        let material = header
            .deck_column
            .and_then(|i| fields.get(i))
            .map(|d| clean_line(d))
            .or_else(|| header.deck.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| name.to_owned());
        let notetype = header
            .notetype_column
            .and_then(|i| fields.get(i).cloned())
            .or_else(|| header.notetype.clone())
            .unwrap_or_default();
        let named = |names: &[&str]| {
            content
                .iter()
                .find(|(n, _)| names.contains(&n.as_str()))
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        // amgi's own export: a cloze column holds the sentence with {{c1::answer}}.
        let sentence = named(&["cloze"]).or_else(|| {
            let first = &content[0].1;
            (notetype.to_ascii_lowercase().contains("cloze") || first.contains("{{c"))
                .then(|| first.clone())
        });
        match sentence {
            Some(sentence) => {
                // amgi's export names the cue `Front` beside its `Cloze` column; Anki's own
                // files put the sentence first and the cue (if any) after it.
                let cue = named(&["cue", "back extra"])
                    .or_else(|| named(&["front"]).filter(|f| *f != sentence))
                    .or_else(|| (content[1].1 != sentence).then(|| content[1].1.clone()))
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| material.clone());
                let mut found = false;
                for n in 1..=20 {
                    if let Some((cloze, fact)) = cloze_sentence(&sentence, n) {
                        found = true;
                        out.cards.push(ImportedCard {
                            material: material.clone(),
                            format: CardFormat::Cloze,
                            cue: cue.clone(),
                            fact: clean_line(&fact),
                            cloze_text: Some(cloze),
                            evidence: named(&["evidence"]),
                            ladder: None,
                        });
                    }
                }
                if !found {
                    out.skipped
                        .push(format!("line {line}: a cloze without a usable deletion"));
                }
            }
            None => {
                let cue =
                    named(&["cue", "front", "question"]).unwrap_or_else(|| content[0].1.clone());
                let fact = named(&["answer", "back"]).unwrap_or_else(|| content[1].1.clone());
                if cue.is_empty() || fact.is_empty() {
                    out.skipped
                        .push(format!("line {line}: an empty front or back"));
                    continue;
                }
                out.cards.push(ImportedCard {
                    material,
                    format: CardFormat::Qa,
                    cue,
                    fact,
                    cloze_text: None,
                    evidence: named(&["evidence"]),
                    ladder: None,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anki_headers_and_quoting_are_read() {
        let text = "#separator:tab\n#html:true\n#deck column:3\n#columns:Front\tBack\tDeck\n\
                    \"Who wrote <b>Hamlet</b>?\"\tShakespeare &amp; co\tLiterature\n\
                    \"two\nlines\"\t\"a \"\"quote\"\"\"\tLiterature\n\
                    {{c1::Seoul}} is the capital of {{c2::Korea}}.\tgeography\tPlaces\n";
        let out = parse(text, "file", Some("txt")).unwrap_or_default();
        let cards: Vec<(&str, &str, &str, Option<&str>)> = out
            .cards
            .iter()
            .map(|c| {
                (
                    c.material.as_str(),
                    c.cue.as_str(),
                    c.fact.as_str(),
                    c.cloze_text.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            cards,
            vec![
                ("Literature", "Who wrote Hamlet?", "Shakespeare & co", None),
                ("Literature", "two lines", "a \"quote\"", None),
                (
                    "Places",
                    "geography",
                    "Seoul",
                    Some("{{blank}} is the capital of Korea.")
                ),
                (
                    "Places",
                    "geography",
                    "Korea",
                    Some("Seoul is the capital of {{blank}}.")
                ),
            ]
        );
    }

    #[test]
    fn a_row_with_one_field_is_refused_with_its_line() {
        let err = parse("front,back\nonly one\n", "f", Some("csv")).err();
        assert_eq!(err.map(|e| e.line), Some(2));
        assert!(parse("\"open,back\n", "f", Some("csv")).is_err());
    }
}

/// A field quoted for the file when it holds the separator, a quote or a line break.
fn quoted(field: &str, sep: char) -> String {
    if field.contains([sep, '"', '\n', '\r']) || field.starts_with('#') {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// The archive's approved live cards as an Anki text file separated by `sep` (tab or
/// comma): cue, answer, cloze sentence (`{{c1::answer}}`, empty for qa cards), topic (the
/// deck; manual cards: their material), ladder stage (`new`, 0–3, `mastered`), due date, and
/// the tag `amgi`. The first two columns carry the names of Anki's Basic fields, which its
/// importer maps by name; the tags column is named in the header because Anki otherwise
/// takes the column after the fields (the cloze sentence) as tags.
pub fn write(archive: &crate::store::archive::UserArchive, sep: char) -> (String, u64) {
    let name = if sep == '\t' { "tab" } else { "comma" };
    let columns = ["Front", "Back", "Cloze", "Deck", "Stage", "Due", "Tags"].join(&sep.to_string());
    let mut out = format!(
        "#separator:{name}\n#html:false\n#deck column:4\n#tags column:7\n#columns:{columns}\n"
    );
    let topics: std::collections::HashMap<i64, &str> = archive
        .topics
        .iter()
        .map(|t| (t.id, t.name.as_str()))
        .collect();
    let mut count = 0;
    for card in archive
        .cards
        .iter()
        .filter(|c| !c.needs_review && c.deleted_at.is_none())
    {
        let topic = card
            .topic_id
            .and_then(|t| topics.get(&t).copied())
            .or_else(|| card.extra.get("material").and_then(|m| m.as_str()))
            .unwrap_or(super::package::FALLBACK_DECK);
        let cloze = card
            .cloze_text
            .as_deref()
            .filter(|_| card.format == "cloze")
            .map(|s| {
                s.replacen(
                    crate::domain::card::CLOZE_BLANK,
                    &format!("{{{{c1::{}}}}}", card.fact),
                    1,
                )
            })
            .unwrap_or_default();
        let (stage, due) = match &card.progress {
            None => ("new".to_owned(), String::new()),
            Some(p) => (
                match p.review_stage {
                    Some(s) if s >= crate::domain::schedule::MASTERED_STAGE => "mastered".into(),
                    Some(s) => s.to_string(),
                    None => "known".into(),
                },
                p.due_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
            ),
        };
        let fields = [
            card.cue.as_str(),
            &card.fact,
            &cloze,
            topic,
            &stage,
            &due,
            "amgi",
        ];
        let line: Vec<String> = fields.iter().map(|f| quoted(f, sep)).collect();
        out.push_str(&line.join(&sep.to_string()));
        out.push('\n');
        count += 1;
    }
    (out, count)
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use crate::store::archive::{ArchivedCard, ArchivedTopic, UserArchive};
    use chrono::Utc;

    fn card(id: i64, format: &str, cue: &str, fact: &str, cloze: Option<&str>) -> ArchivedCard {
        ArchivedCard {
            id,
            topic_id: Some(1),
            source_kind: "question".into(),
            source_id: None,
            source_version: None,
            source_question_id: None,
            format: format.into(),
            cue: cue.into(),
            fact: fact.into(),
            cloze_text: cloze.map(str::to_owned),
            extra: serde_json::json!({}),
            needs_review: false,
            flagged_by: None,
            flagged_at: None,
            view_count: 0,
            last_viewed_at: None,
            retired_reason: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            deleted_at: None,
            evidence: Vec::new(),
            progress: None,
        }
    }

    #[test]
    fn what_amgi_writes_it_reads_back() {
        let archive = UserArchive {
            name: "me".into(),
            created_at: Utc::now(),
            topics: vec![ArchivedTopic {
                id: 1,
                name: "한국사, \"조선\"".into(),
                focused_at: None,
                created_at: Utc::now(),
                deleted_at: None,
            }],
            questions: Vec::new(),
            cards: vec![
                card(1, "qa", "훈민정음이 반포된 해는?", "1446년", None),
                card(
                    2,
                    "cloze",
                    "훈민정음",
                    "세종",
                    Some("훈민정음은 {{blank}}이 만들었다."),
                ),
            ],
            reviews: Vec::new(),
            jobs: Vec::new(),
            quiz_sessions: Vec::new(),
            question_attempts: Vec::new(),
            question_progress: Vec::new(),
        };
        for (sep, ext) in [(',', "csv"), ('\t', "tsv")] {
            let (text, count) = write(&archive, sep);
            assert_eq!(count, 2);
            assert!(text.starts_with("#separator:"), "{text}");
            let read = parse(&text, "x", Some(ext)).unwrap_or_default();
            let cards: Vec<(&str, &str, &str, Option<&str>)> = read
                .cards
                .iter()
                .map(|c| {
                    (
                        c.material.as_str(),
                        c.cue.as_str(),
                        c.fact.as_str(),
                        c.cloze_text.as_deref(),
                    )
                })
                .collect();
            assert_eq!(
                cards,
                vec![
                    (
                        "한국사, \"조선\"",
                        "훈민정음이 반포된 해는?",
                        "1446년",
                        None
                    ),
                    (
                        "한국사, \"조선\"",
                        "훈민정음",
                        "세종",
                        Some("훈민정음은 {{blank}}이 만들었다.")
                    ),
                ],
                "{text}"
            );
        }
    }
}
