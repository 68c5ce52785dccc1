//! Writing an `.apkg`: a zip holding `collection.anki2` (an Anki collection in schema 11,
//! written with sqlx's SQLite) and an empty `media` map. Approved live cards become notes:
//! qa cards of the Basic note type (cue, answer, evidence), cloze cards of the Cloze note
//! type (the sentence with `{{c1::answer}}`, the cue, the evidence), one deck per topic
//! (manual cards: per material). Cards arrive in Anki as new cards.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use chrono::Utc;
use sha2::{Digest as _, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions as _, Connection as _};

use super::notetypes::{self, BASIC_ID, CLOZE_ID};
use super::{AnkiError, FIELD_SEPARATOR, field_checksum, to_html};
use crate::domain::card::CLOZE_BLANK;
use crate::store::archive::{ArchivedCard, UserArchive};

const SCHEMA: &str = include_str!("../../assets/anki/schema11.sql");

/// The deck of cards that have neither topic nor material.
pub const FALLBACK_DECK: &str = "amgi";

/// What a package holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PackageReport {
    pub notes: u64,
    pub decks: u64,
}

/// One note: its type, deck and fields (HTML).
struct Note {
    model: i64,
    deck: String,
    fields: Vec<String>,
    /// The first field without HTML: Anki's sort field and checksum source.
    plain: String,
    guid: String,
}

/// The notes of the archive's approved, live cards.
fn notes(archive: &UserArchive) -> Vec<Note> {
    let topics: BTreeMap<i64, &str> = archive
        .topics
        .iter()
        .map(|t| (t.id, t.name.as_str()))
        .collect();
    archive
        .cards
        .iter()
        .filter(|c| !c.needs_review && c.deleted_at.is_none())
        .map(|c| {
            let deck = c
                .topic_id
                .and_then(|t| topics.get(&t).copied())
                .or_else(|| c.extra.get("material").and_then(|m| m.as_str()))
                .filter(|d| !d.is_empty())
                .unwrap_or(FALLBACK_DECK)
                .to_owned();
            note(&archive.name, c, deck)
        })
        .collect()
}

fn note(user: &str, card: &ArchivedCard, deck: String) -> Note {
    let evidence = card
        .evidence
        .iter()
        .filter_map(|e| e.snippet.as_deref())
        .map(to_html)
        .collect::<Vec<_>>()
        .join("<br>");
    // A stable guid per (user, card): importing a later export updates these notes.
    let digest = Sha256::digest(format!("amgi|{user}|{}", card.id).as_bytes());
    let guid: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    match card
        .cloze_text
        .as_deref()
        .filter(|_| card.format == "cloze")
    {
        Some(sentence) => {
            let plain = sentence.replacen(CLOZE_BLANK, &format!("{{{{c1::{}}}}}", card.fact), 1);
            Note {
                model: CLOZE_ID,
                deck,
                fields: vec![to_html(&plain), to_html(&card.cue), evidence],
                plain,
                guid,
            }
        }
        None => Note {
            model: BASIC_ID,
            deck,
            fields: vec![to_html(&card.cue), to_html(&card.fact), evidence],
            plain: card.cue.clone(),
            guid,
        },
    }
}

/// Writes the archive's approved cards as an Anki package to `out` (any writer that seeks:
/// a file). `scratch` is a path for the collection file while it is built; it is removed.
pub async fn write<W: std::io::Write + std::io::Seek>(
    archive: &UserArchive,
    scratch: &Path,
    out: W,
) -> Result<PackageReport, AnkiError> {
    let notes = notes(archive);
    let built = build_collection(&notes, scratch).await;
    let bytes = built.and_then(|()| Ok(std::fs::read(scratch)?));
    let _ = std::fs::remove_file(scratch);
    let bytes = bytes?;
    let mut zip = zip::ZipWriter::new(out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("collection.anki2", options)?;
    zip.write_all(&bytes)?;
    zip.start_file("media", options)?;
    zip.write_all(b"{}")?;
    zip.finish()?;
    let decks: std::collections::BTreeSet<&str> = notes.iter().map(|n| n.deck.as_str()).collect();
    Ok(PackageReport {
        notes: notes.len() as u64,
        decks: decks.len() as u64,
    })
}

async fn build_collection(notes: &[Note], path: &Path) -> Result<(), AnkiError> {
    let _ = std::fs::remove_file(path);
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .connect()
        .await?;
    sqlx::raw_sql(SCHEMA).execute(&mut conn).await?;
    let now = Utc::now();
    let (ms, secs) = (now.timestamp_millis(), now.timestamp());
    let mut deck_ids: BTreeMap<&str, i64> = BTreeMap::new();
    for n in notes {
        let next = ms + 1 + deck_ids.len() as i64;
        deck_ids.entry(n.deck.as_str()).or_insert(next);
    }
    let named: Vec<(i64, String)> = deck_ids
        .iter()
        .map(|(n, id)| (*id, (*n).to_owned()))
        .collect();
    let mut tx = conn.begin().await?;
    sqlx::query(
        "UPDATE col SET crt = $1, mod = $2, scm = $2, ver = 11, conf = $3, models = $4, \
         decks = $5, dconf = $6, tags = '{}'",
    )
    .bind(secs - secs % 86_400)
    .bind(ms)
    .bind(notetypes::conf().to_string())
    .bind(notetypes::models().to_string())
    .bind(notetypes::decks(&named).to_string())
    .bind(notetypes::DECK_OPTIONS)
    .execute(&mut *tx)
    .await?;
    // Note and card ids are creation times in ms in Anki; they only need to be unique.
    let base = ms + 10_000;
    for (i, n) in notes.iter().enumerate() {
        let id = base + i as i64;
        let deck = deck_ids.get(n.deck.as_str()).copied().unwrap_or(1);
        let fields = n.fields.join(&FIELD_SEPARATOR.to_string());
        sqlx::query(
            "INSERT INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data) \
             VALUES ($1, $2, $3, $4, -1, '', $5, $6, $7, 0, '')",
        )
        .bind(id)
        .bind(&n.guid)
        .bind(n.model)
        .bind(secs)
        .bind(fields)
        .bind(&n.plain)
        .bind(field_checksum(&n.plain))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO cards (id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, \
             lapses, left, odue, odid, flags, data) \
             VALUES ($1, $1, $2, 0, $3, -1, 0, 0, $4, 0, 0, 0, 0, 0, 0, 0, 0, '')",
        )
        .bind(id)
        .bind(deck)
        .bind(secs)
        .bind(i as i64 + 1)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(())
}
