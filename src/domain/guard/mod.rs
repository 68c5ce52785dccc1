//! Card guards (DESIGN §1.2): shape, quantitative, evidence, leak and dedup checks that every
//! extracted card must pass before it is stored. Every check compares text after the one
//! shared normalisation (`normalize::fold`): numbers by value, terms on word boundaries.

use std::collections::{BTreeMap, HashSet};

use super::card::{CLOZE_BLANK, CardDraft, CardFormat};
use super::matching::{has_visual_blank, quotes, shows, unspaced};
use super::normalize::{DedupScope, dedup_hash, fold};
use super::numbers::{NumberValue, numbers_in};
use super::text::clean_line;

/// Longest fact a card may have, in characters.
pub const MAX_FACT_CHARS: usize = 200;
/// Longest cue a card may have, in characters.
pub const MAX_CUE_CHARS: usize = 500;
/// Longest cloze sentence a card may have, in characters.
pub const MAX_CLOZE_CHARS: usize = 1000;
/// Longest evidence quote a card may have, in characters.
pub const MAX_EVIDENCE_CHARS: usize = 2000;

/// Why a guard dropped a card; the job payload records counts per reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    Shape,
    Quantitative,
    Evidence,
    Leak,
    Dedup,
}

impl DropReason {
    /// The reason's stored name (also the guard name used in `flagged_by`).
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Shape => "shape",
            DropReason::Quantitative => "quantitative",
            DropReason::Evidence => "evidence",
            DropReason::Leak => "leak",
            DropReason::Dedup => "dedup",
        }
    }
}

/// The cards that survived the guards and how many were dropped for each reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardOutcome {
    pub kept: Vec<CardDraft>,
    pub dropped: BTreeMap<DropReason, u32>,
}

/// A card's text as it is stored: every field cleaned to one line (controls, bidi overrides
/// and invisible characters removed, NFC, trimmed); an empty cloze sentence is none.
pub fn clean_draft(draft: &CardDraft) -> CardDraft {
    CardDraft {
        format: draft.format,
        cue: clean_line(&draft.cue),
        fact: clean_line(&draft.fact),
        cloze_text: draft
            .cloze_text
            .as_deref()
            .map(clean_line)
            .filter(|t| !t.is_empty()),
        evidence: clean_line(&draft.evidence),
    }
}

/// The source of one extraction as the guards read it, prepared once per job.
pub struct GuardSource {
    text: String,
    numbers: HashSet<NumberValue>,
}

impl GuardSource {
    pub fn new(source_text: &str) -> Self {
        let numbers = numbers_in(source_text)
            .into_iter()
            .flat_map(|n| std::iter::once(n.value).chain(n.also))
            .collect();
        GuardSource {
            text: source_text.to_owned(),
            numbers,
        }
    }

    /// Runs the shape, quantitative, evidence and leak guards over one cleaned card.
    pub fn check(&self, draft: &CardDraft) -> Result<(), DropReason> {
        check_shape(draft)
            .and_then(|()| self.check_quantitative(draft))
            .and_then(|()| self.check_evidence(draft))
            .and_then(|()| check_leak(draft))
    }

    /// Every number in the fact, cue and cloze text is a number of the source, by value.
    pub fn check_quantitative(&self, draft: &CardDraft) -> Result<(), DropReason> {
        let fields = [
            Some(&draft.fact),
            Some(&draft.cue),
            draft.cloze_text.as_ref(),
        ];
        let all_known = fields
            .into_iter()
            .flatten()
            .flat_map(|f| numbers_in(f))
            .all(|n| self.numbers.contains(&n.value));
        require(all_known, DropReason::Quantitative)
    }

    /// The evidence quote appears in the source (ignoring case, width, spacing, punctuation
    /// and markdown) and holds the answer: for a qa card the fact appears in it, for a cloze
    /// card it contains the cloze sentence with the blank filled by the fact.
    pub fn check_evidence(&self, draft: &CardDraft) -> Result<(), DropReason> {
        let quoted = quotes(&self.text, &draft.evidence);
        let holds_answer = match (draft.format, cloze_of(draft)) {
            (CardFormat::Cloze, Some(text)) => {
                let filled = text.replacen(CLOZE_BLANK, &draft.fact, 1);
                unspaced(&draft.evidence).contains(&unspaced(&filled))
            }
            _ => shows(&draft.fact, &draft.evidence),
        };
        require(quoted && holds_answer, DropReason::Evidence)
    }
}

/// Runs every guard over `drafts` in order (shape, quantitative, evidence, leak, dedup),
/// each card cleaned first ([`clean_draft`]); the kept cards are the cleaned ones.
/// `scope` feeds the dedup hash; `existing_hashes` = dedup hashes of live cards already
/// stored for this user.
pub fn apply_guards(
    drafts: Vec<CardDraft>,
    source_text: &str,
    scope: DedupScope<'_>,
    existing_hashes: &HashSet<String>,
) -> GuardOutcome {
    let source = GuardSource::new(source_text);
    let mut batch_hashes = HashSet::new();
    let mut outcome = GuardOutcome::default();
    for draft in drafts {
        let draft = clean_draft(&draft);
        let verdict = source.check(&draft).and_then(|()| {
            let hash = dedup_hash(scope, draft.format, &draft.fact);
            if existing_hashes.contains(&hash) || !batch_hashes.insert(hash) {
                Err(DropReason::Dedup)
            } else {
                Ok(())
            }
        });
        match verdict {
            Ok(()) => outcome.kept.push(draft),
            Err(reason) => *outcome.dropped.entry(reason).or_insert(0) += 1,
        }
    }
    outcome
}

/// The cloze text if it is present and not blank.
fn cloze_of(draft: &CardDraft) -> Option<&str> {
    draft.cloze_text.as_deref().filter(|t| !t.trim().is_empty())
}

/// Whether a field shows something to read once normalised: a letter, a digit or a symbol
/// (a field of zero-width characters or punctuation alone shows nothing).
fn visible(text: &str) -> bool {
    fold(text).chars().any(|c| c.is_alphanumeric())
}

/// Visible fields, sane lengths, and a cloze text exactly when the format is cloze, with
/// something to read besides its blank.
pub fn check_shape(draft: &CardDraft) -> Result<(), DropReason> {
    let (cue, fact) = (draft.cue.trim(), draft.fact.trim());
    let sane = visible(cue)
        && visible(fact)
        && visible(&draft.evidence)
        && fact.chars().count() <= MAX_FACT_CHARS
        && cue.chars().count() <= MAX_CUE_CHARS
        && draft.evidence.chars().count() <= MAX_EVIDENCE_CHARS;
    let cloze_ok = match (draft.format, cloze_of(draft)) {
        (CardFormat::Qa, None) => true,
        (CardFormat::Cloze, Some(text)) => {
            text.chars().count() <= MAX_CLOZE_CHARS && visible(&text.replace(CLOZE_BLANK, ""))
        }
        _ => false,
    };
    require(sane && cloze_ok, DropReason::Shape)
}

/// `Ok` if the guard passed, else the reason it failed.
fn require(passed: bool, reason: DropReason) -> Result<(), DropReason> {
    if passed { Ok(()) } else { Err(reason) }
}

/// Every number in the fact, cue and cloze text appears as a number in the source text.
pub fn check_quantitative(draft: &CardDraft, source_text: &str) -> Result<(), DropReason> {
    GuardSource::new(source_text).check_quantitative(draft)
}

/// The evidence quote appears in the source and holds the answer (see
/// [`GuardSource::check_evidence`]).
pub fn check_evidence(draft: &CardDraft, source_text: &str) -> Result<(), DropReason> {
    GuardSource::new(source_text).check_evidence(draft)
}

/// The answer does not show in the cue; a cloze has exactly one blank, no other blank-like
/// run, and does not show the answer outside its blank.
pub fn check_leak(draft: &CardDraft) -> Result<(), DropReason> {
    if shows(&draft.fact, &draft.cue) {
        return Err(DropReason::Leak);
    }
    if draft.format == CardFormat::Cloze {
        let text = cloze_of(draft).unwrap_or_default();
        let one_blank = text.matches(CLOZE_BLANK).count() == 1;
        let rest = text.replacen(CLOZE_BLANK, " \u{2016} ", 1);
        return require(
            one_blank && !has_visual_blank(&rest) && !shows(&draft.fact, &rest),
            DropReason::Leak,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
