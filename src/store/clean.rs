//! Text cleaned at the store boundary: whatever path brings it (an import file, an
//! extractor, the editor, a paste), stored text holds no control, bidi-override or invisible
//! characters (`domain::text`).

use super::{ImportSet, NewQuestion, StoreError, StoreResult};
use crate::domain::text::{clean_block, clean_line};

impl ImportSet {
    /// The set with every text cleaned: topic names and choices to one line, question texts
    /// and explanations keeping their line breaks. A required text that cleaning leaves
    /// empty is refused, naming it.
    pub fn cleaned(&self) -> StoreResult<ImportSet> {
        let mut topics = Vec::with_capacity(self.topics.len());
        for (ti, (name, questions)) in self.topics.iter().enumerate() {
            let name = required(clean_line(name), || format!("topics[{ti}].name"))?;
            let questions = questions
                .iter()
                .enumerate()
                .map(|(qi, q)| {
                    let at = |field: &str| format!("topics[{ti}].questions[{qi}].{field}");
                    let choices = q
                        .choices
                        .iter()
                        .enumerate()
                        .map(|(ci, c)| required(clean_line(c), || at(&format!("choices[{ci}]"))))
                        .collect::<StoreResult<Vec<_>>>()?;
                    Ok(NewQuestion {
                        question_text: required(clean_block(&q.question_text), || at("question"))?,
                        choices,
                        correct_choice: q.correct_choice,
                        explanation: q
                            .explanation
                            .as_deref()
                            .map(clean_block)
                            .filter(|e| !e.is_empty()),
                        explanation_generated_at: q.explanation_generated_at,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            topics.push((name, questions));
        }
        Ok(ImportSet { topics })
    }
}

fn required(text: String, field: impl FnOnce() -> String) -> StoreResult<String> {
    if text.is_empty() {
        Err(StoreError::Invalid(format!(
            "{}: is empty once control and invisible characters are removed",
            field()
        )))
    } else {
        Ok(text)
    }
}
