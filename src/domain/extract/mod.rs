//! What an extractor is given about one source, and the built-in offline extractor.

pub mod builtin;

/// Everything an extractor may read about one question (DESIGN §1.2: question, choices with
/// the correct one marked, explanation, topic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceContext {
    pub question_id: i64,
    pub topic: String,
    pub question_text: String,
    pub choices: Vec<String>,
    /// 1-based index into `choices`.
    pub correct_choice: usize,
    pub explanation: String,
}

impl SourceContext {
    /// The correct choice's text, if the index is in range.
    pub fn correct_answer(&self) -> Option<&str> {
        self.correct_choice
            .checked_sub(1)
            .and_then(|i| self.choices.get(i))
            .map(String::as_str)
    }

    /// The text that evidence quotes and numbers must come from: the question, its choices
    /// and the explanation.
    pub fn source_text(&self) -> String {
        let mut text = String::new();
        text.push_str(&self.question_text);
        for choice in &self.choices {
            text.push('\n');
            text.push_str(choice);
        }
        text.push('\n');
        text.push_str(&self.explanation);
        text
    }
}
