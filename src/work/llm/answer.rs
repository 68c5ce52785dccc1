//! Reading a chat-completions answer forgivingly: compatible servers differ in what they
//! include, and models wrap JSON in code fences or prose.

use serde::Deserialize;
use serde_json::Value;

use crate::domain::card::{CLOZE_BLANK, CardDraft, CardFormat};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Choice {
    message: Message,
    /// Legacy completions put the answer here.
    text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Message {
    /// A string, or (some servers) an array of `{"type": "text", "text": …}` parts.
    content: Value,
}

/// The text of the first choice of a chat-completions response body.
pub(crate) fn message_content(body: &str) -> Result<String, String> {
    let response: ChatResponse = serde_json::from_str(body)
        .map_err(|e| format!("the response body is not chat-completions JSON ({e})"))?;
    let choice = response
        .choices
        .into_iter()
        .next()
        .ok_or("the response has no choices")?;
    let content = match choice.message.content {
        Value::String(text) => text,
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => choice.text.unwrap_or_default(),
    };
    if content.trim().is_empty() {
        return Err("the answer is empty".into());
    }
    Ok(content)
}

/// The cards in a model's answer: `{"cards": [...]}`, possibly inside code fences or prose
/// (the outermost `{...}` is taken), or a bare array of cards. Card fields are read leniently;
/// a card that is missing fields comes back with them empty, for the shape guard to drop.
pub(crate) fn parse_cards(answer: &str) -> Result<Vec<CardDraft>, String> {
    let value = parse_json(answer).ok_or_else(|| {
        format!(
            "no JSON object in the answer (starts with {:?})",
            answer.chars().take(60).collect::<String>()
        )
    })?;
    let cards = match value {
        Value::Array(items) => items,
        Value::Object(mut object) => match object.remove("cards") {
            Some(Value::Array(items)) => items,
            Some(_) => return Err("\"cards\" is not an array".into()),
            None if object.contains_key("fact") => vec![Value::Object(object)],
            None => return Err("the JSON has no \"cards\" array".into()),
        },
        _ => return Err("the JSON is neither an object nor an array".into()),
    };
    Ok(cards.iter().map(draft_from).collect())
}

/// The explanation in a model's answer: `{"explanation": "..."}`, possibly inside code fences
/// or prose; an answer with no JSON object at all is taken as the explanation itself (a
/// server that ignores JSON mode). The caller checks it (`check_explanation`).
pub(crate) fn parse_explanation(answer: &str) -> Result<String, String> {
    match parse_json(answer) {
        Some(Value::Object(object)) => match object.get("explanation") {
            Some(value) => text_of(value).ok_or_else(|| "\"explanation\" is not text".into()),
            None => Err("the JSON has no \"explanation\"".into()),
        },
        Some(_) => Err("the JSON is not an object with an \"explanation\"".into()),
        None if answer.contains('{') => Err(format!(
            "no JSON object in the answer (starts with {:?})",
            answer.chars().take(60).collect::<String>()
        )),
        None => Ok(answer.trim().to_owned()),
    }
}

fn parse_json(answer: &str) -> Option<Value> {
    let trimmed = answer.trim();
    if let Ok(value) = serde_json::from_str(trimmed) {
        return Some(value);
    }
    let start = trimmed.find('{')?;
    let end = trimmed.rfind('}')?;
    serde_json::from_str(trimmed.get(start..=end)?).ok()
}

fn draft_from(card: &Value) -> CardDraft {
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| card.get(*name).and_then(text_of))
            .unwrap_or_default()
    };
    let cloze_text = Some(field(&["cloze_text", "cloze", "text"])).filter(|t| !t.trim().is_empty());
    let format = match field(&["format", "type"]).trim().to_lowercase().as_str() {
        "qa" | "q&a" | "qna" | "question" => CardFormat::Qa,
        "cloze" => CardFormat::Cloze,
        // Unknown or missing: a sentence with a blank is a cloze.
        _ if cloze_text
            .as_deref()
            .is_some_and(|t| t.contains(CLOZE_BLANK)) =>
        {
            CardFormat::Cloze
        }
        _ => CardFormat::Qa,
    };
    CardDraft {
        format,
        cue: field(&["cue", "question", "front", "prompt"]),
        fact: field(&["fact", "answer", "back"]),
        cloze_text,
        evidence: field(&["evidence", "quote", "source"]),
    }
}

/// A string, a number or a boolean as text; the first text of an array.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items.iter().find_map(text_of),
        Value::Null | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_comes_from_the_first_choice_in_any_shape() {
        let plain =
            r#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}]}"#;
        assert_eq!(message_content(plain), Ok("hi".into()));
        let parts = r#"{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}"#;
        assert_eq!(message_content(parts), Ok("ab".into()));
        let legacy = r#"{"choices":[{"text":"old"}]}"#;
        assert_eq!(message_content(legacy), Ok("old".into()));
        assert!(message_content(r#"{"choices":[]}"#).is_err());
        assert!(message_content("<html>").is_err());
        assert!(message_content(r#"{"choices":[{"message":{"content":"  "}}]}"#).is_err());
    }

    #[test]
    fn cards_are_found_in_fences_and_prose() {
        let card = r#"{"format":"qa","cue":"Q?","fact":"A","evidence":"A is so."}"#;
        let answers = [
            format!(r#"{{"cards":[{card}]}}"#),
            format!("```json\n{{\"cards\": [{card}]}}\n```"),
            format!("Here are your cards:\n{{\"cards\": [{card}]}}\nHope this helps!"),
            format!("[{card}]"),
            card.to_owned(),
        ];
        for answer in answers {
            let cards = parse_cards(&answer).unwrap_or_default();
            assert_eq!(cards.len(), 1, "{answer}");
            assert_eq!((cards[0].cue.as_str(), cards[0].fact.as_str()), ("Q?", "A"));
            assert_eq!(cards[0].evidence, "A is so.");
        }
    }

    #[test]
    fn malformed_answers_are_parse_failures() {
        for answer in [
            "I cannot help with that.",
            "{\"cards\": [",
            "{\"notes\": []}",
            "{\"cards\": \"none\"}",
            "42",
        ] {
            assert!(parse_cards(answer).is_err(), "{answer}");
        }
        assert_eq!(parse_cards("{\"cards\": []}"), Ok(vec![]));
    }

    #[test]
    fn explanations_are_found_in_json_fences_or_plain_text() {
        let text = "1446년에 반포되었다.";
        for answer in [
            format!(r#"{{"explanation": "{text}"}}"#),
            format!("```json\n{{\"explanation\": \"{text}\"}}\n```"),
            text.to_owned(),
        ] {
            assert_eq!(parse_explanation(&answer), Ok(text.to_owned()), "{answer}");
        }
        for answer in [
            r#"{"cards": []}"#,
            r#"{"explanation": null}"#,
            "[1, 2]",
            "{broken",
        ] {
            assert!(parse_explanation(answer).is_err(), "{answer}");
        }
    }

    #[test]
    fn fields_are_read_leniently() {
        let answer = r#"{"cards":[
            {"format":"CLOZE","cue":"역사","fact":1446,"cloze_text":"{{blank}}년에 반포","evidence":["1446년에 반포"]},
            {"question":"Port?","answer":"443","quote":"port 443"},
            {"cue":"c","fact":"f","cloze_text":"x {{blank}} y","evidence":"e"},
            "not a card"
        ]}"#;
        let cards = parse_cards(answer).unwrap_or_default();
        assert_eq!(cards.len(), 4);
        assert_eq!(cards[0].format, CardFormat::Cloze);
        assert_eq!(cards[0].fact, "1446");
        assert_eq!(cards[0].evidence, "1446년에 반포");
        assert_eq!(
            (
                cards[1].format,
                cards[1].cue.as_str(),
                cards[1].evidence.as_str()
            ),
            (CardFormat::Qa, "Port?", "port 443")
        );
        assert_eq!(cards[2].format, CardFormat::Cloze);
        assert!(cards[3].fact.is_empty() && cards[3].cue.is_empty());
    }
}
