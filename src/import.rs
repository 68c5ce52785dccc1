//! Import files: JSON topics with questions and explanations, parsed and validated in full
//! before anything is written, with the position of the first problem.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::text::{clean_block, clean_line};
use crate::store::{ImportSet, NewQuestion};

/// Choices a question may have, at most: more is no multiple-choice question a learner
/// reads, and the stored choice number is a small integer.
pub const MAX_CHOICES: usize = 20;

/// The demo set shipped with amgi (Korean and English).
pub const DEMO_SET: &str = include_str!("../assets/demo.json");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRoot {
    topics: Vec<FileTopic>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTopic {
    name: String,
    #[serde(default)]
    questions: Vec<FileQuestion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileQuestion {
    question: String,
    choices: Vec<String>,
    correct_choice: i64,
    #[serde(default)]
    explanation: Option<String>,
    #[serde(default)]
    explanation_generated_at: Option<DateTime<Utc>>,
}

/// Why an import file was refused. Nothing is written when parsing fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Parses and validates an import file's text.
pub fn parse(text: &str) -> Result<ImportSet, ImportError> {
    // Editors on Windows save UTF-8 with a byte-order mark; it is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root: FileRoot = serde_json::from_str(text).map_err(|e| ImportError::Syntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    if root.topics.is_empty() {
        return Err(invalid("topics", "the file has no topics"));
    }
    let mut set = ImportSet::default();
    for (ti, topic) in root.topics.into_iter().enumerate() {
        let name = clean_line(&topic.name);
        if name.is_empty() {
            return Err(invalid(format!("topics[{ti}].name"), "is empty"));
        }
        if name.chars().count() > 200 {
            return Err(invalid(
                format!("topics[{ti}].name"),
                "is longer than 200 characters",
            ));
        }
        let mut questions = Vec::with_capacity(topic.questions.len());
        for (qi, q) in topic.questions.into_iter().enumerate() {
            let at = |field: &str| format!("topics[{ti}].questions[{qi}].{field}");
            let text = clean_block(&q.question);
            if text.is_empty() {
                return Err(invalid(at("question"), "is empty"));
            }
            if q.choices.len() < 2 {
                return Err(invalid(at("choices"), "needs at least 2 choices"));
            }
            if q.choices.len() > MAX_CHOICES {
                return Err(invalid(
                    at("choices"),
                    format!("has {} choices; at most {MAX_CHOICES}", q.choices.len()),
                ));
            }
            let choices: Vec<String> = q.choices.iter().map(|c| clean_line(c)).collect();
            if let Some(i) = choices.iter().position(String::is_empty) {
                return Err(invalid(at(&format!("choices[{i}]")), "is empty"));
            }
            let correct_choice = i16::try_from(q.correct_choice)
                .ok()
                .filter(|&c| c >= 1 && usize::try_from(c).is_ok_and(|c| c <= choices.len()))
                .ok_or_else(|| {
                    invalid(
                        at("correct_choice"),
                        format!("{} is out of range 1..={}", q.correct_choice, choices.len()),
                    )
                })?;
            let explanation = q
                .explanation
                .map(|e| clean_block(&e))
                .filter(|e| !e.is_empty());
            questions.push(NewQuestion {
                question_text: text,
                choices,
                correct_choice,
                explanation,
                explanation_generated_at: q.explanation_generated_at,
            });
        }
        set.topics.push((name, questions));
    }
    Ok(set)
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> ImportError {
    ImportError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// serde_json appends " at line L column C"; the error shows the position first instead.
pub fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_set_is_valid_and_large_enough() {
        let set = parse(DEMO_SET).unwrap_or_default();
        assert_eq!(set.topics.len(), 3);
        let questions: usize = set.topics.iter().map(|(_, q)| q.len()).sum();
        assert!(questions >= 30, "{questions}");
        assert!(
            set.topics
                .iter()
                .flat_map(|(_, q)| q)
                .all(|q| q.explanation.is_some())
        );
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let text = "\u{feff}{\"topics\":[{\"name\":\"t\",\"questions\":[]}]}";
        assert!(parse(text).is_ok_and(|set| set.topics.len() == 1));
    }

    #[test]
    fn syntax_errors_name_the_position() {
        let err = parse("{\n  \"topics\": [\n    {\"name\": \"a\",, }\n  ]\n}").err();
        assert!(
            matches!(err, Some(ImportError::Syntax { line: 3, .. })),
            "{err:?}"
        );
    }

    #[test]
    fn semantic_errors_name_the_field() {
        let text = r#"{"topics":[{"name":"t","questions":[
            {"question":"q","choices":["a","b"],"correct_choice":3}]}]}"#;
        let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            err,
            "topics[0].questions[0].correct_choice: 3 is out of range 1..=2"
        );
        let text = r#"{"topics":[{"name":"t","questions":[{"question":"q","choices":["a"],"correct_choice":1}]}]}"#;
        assert!(parse(text).is_err());
        // A choice number past 16 bits must not wrap around to another choice.
        let many: Vec<String> = (0..70_000).map(|i| format!("\"c{i}\"")).collect();
        let text = format!(
            r#"{{"topics":[{{"name":"t","questions":[{{"question":"q","choices":[{}],"correct_choice":65538}}]}}]}}"#,
            many.join(",")
        );
        let err = parse(&text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            err,
            "topics[0].questions[0].choices: has 70000 choices; at most 20"
        );
        let text = r#"{"topics":[{"name":"t","questions":[{"question":"q","choices":["a","b"],"correct_choice":65537}]}]}"#;
        let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            err,
            "topics[0].questions[0].correct_choice: 65537 is out of range 1..=2"
        );
        let text = r#"{"topics":[{"name":"t","questions":[{"question":"q","choices":["a","b"],"correct_choice":1,"colour":1}]}]}"#;
        let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("colour"), "{err}");
    }
}
