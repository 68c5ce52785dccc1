//! Reading Anki packages: the collection inside an `.apkg` (`collection.anki21b`, zstd,
//! schema 18; or the older `collection.anki21`/`collection.anki2`, schema 11) opened with
//! sqlx's SQLite, its notes with their note type, fields and cards.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use serde::Deserialize;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, SqliteConnection};

use super::{AnkiError, FIELD_SEPARATOR};

/// A note type's kind: Anki makes one card per cloze number of a cloze note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    Standard,
    Cloze,
}

/// One card of a note, with its scheduling as Anki stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnkiCard {
    /// Template number (cloze: cloze number - 1).
    pub ord: i64,
    pub deck: String,
    /// 0 new, 1 learning, 2 review, 3 relearning.
    pub card_type: i64,
    /// For review cards: the day it is due, counted from the collection's creation.
    pub due: i64,
    /// For review cards: the interval in days.
    pub ivl: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnkiNote {
    pub kind: NoteKind,
    /// (field name, HTML content), in field order.
    pub fields: Vec<(String, String)>,
    pub cards: Vec<AnkiCard>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnkiCollection {
    /// The collection's creation (its day 0), unix seconds.
    pub created: i64,
    pub notes: Vec<AnkiNote>,
}

/// Reads the package at `path`; `scratch` is where its collection is unpacked (removed).
pub async fn read_package(path: &Path, scratch: &Path) -> Result<AnkiCollection, AnkiError> {
    let file = std::fs::File::open(path)?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| AnkiError::Invalid(format!("not an Anki package (a zip archive): {e}")))?;
    let bytes = if let Ok(mut entry) = zip.by_name("collection.anki21b") {
        let mut packed = Vec::new();
        entry.read_to_end(&mut packed)?;
        zstd::decode_all(packed.as_slice())
            .map_err(|e| AnkiError::Invalid(format!("collection.anki21b: {e}")))?
    } else {
        let name = ["collection.anki21", "collection.anki2"]
            .into_iter()
            .find(|n| zip.index_for_name(n).is_some())
            .ok_or_else(|| {
                AnkiError::Invalid("not an Anki package: it holds no collection".into())
            })?;
        let mut entry = zip.by_name(name)?;
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        bytes
    };
    std::fs::write(scratch, bytes)?;
    let read = read_collection(scratch).await;
    let _ = std::fs::remove_file(scratch);
    read
}

#[derive(Deserialize)]
struct Schema11Model {
    #[serde(rename = "type", default)]
    kind: i64,
    #[serde(default)]
    flds: Vec<Schema11Field>,
}

#[derive(Deserialize)]
struct Schema11Field {
    name: String,
    ord: i64,
}

#[derive(Deserialize)]
struct Schema11Deck {
    name: String,
}

/// Note types: id → (kind, field names in order); decks: id → name (`::` between levels).
type Catalog = (HashMap<i64, (NoteKind, Vec<String>)>, HashMap<i64, String>);

async fn read_collection(path: &Path) -> Result<AnkiCollection, AnkiError> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| AnkiError::Invalid(format!("not an Anki collection: {e}")))?;
    let result = read_tables(&mut conn).await;
    conn.close().await?;
    result
}

async fn read_tables(conn: &mut SqliteConnection) -> Result<AnkiCollection, AnkiError> {
    let (created, version): (i64, i64) = sqlx::query_as("SELECT crt, ver FROM col")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| AnkiError::Invalid(format!("not an Anki collection: {e}")))?;
    let (types, decks) = if version >= 15 {
        catalog18(conn).await?
    } else {
        catalog11(conn).await?
    };
    let notes: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT id, mid, flds FROM notes ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    let cards: Vec<(i64, i64, i64, i64, i64, i64)> =
        sqlx::query_as("SELECT nid, did, ord, type, due, ivl FROM cards ORDER BY nid, ord")
            .fetch_all(&mut *conn)
            .await?;
    let mut cards_of: HashMap<i64, Vec<AnkiCard>> = HashMap::new();
    for (nid, did, ord, card_type, due, ivl) in cards {
        cards_of.entry(nid).or_default().push(AnkiCard {
            ord,
            deck: decks.get(&did).cloned().unwrap_or_else(|| "Default".into()),
            card_type,
            due,
            ivl,
        });
    }
    let mut out = Vec::with_capacity(notes.len());
    for (id, mid, flds) in notes {
        let (kind, names) = types.get(&mid).cloned().ok_or_else(|| {
            AnkiError::Invalid(format!("note {id} has an unknown note type {mid}"))
        })?;
        let values = flds.split(FIELD_SEPARATOR).map(str::to_owned);
        let fields = names
            .into_iter()
            .chain(std::iter::repeat_with(String::new))
            .zip(values)
            .collect();
        out.push(AnkiNote {
            kind,
            fields,
            cards: cards_of.remove(&id).unwrap_or_default(),
        });
    }
    Ok(AnkiCollection {
        created,
        notes: out,
    })
}

/// Schema 11: note types and decks as JSON in the `col` row.
async fn catalog11(conn: &mut SqliteConnection) -> Result<Catalog, AnkiError> {
    let (models, decks): (String, String) = sqlx::query_as("SELECT models, decks FROM col")
        .fetch_one(&mut *conn)
        .await?;
    let bad = |what: &str, e: serde_json::Error| AnkiError::Invalid(format!("col.{what}: {e}"));
    let models: HashMap<String, Schema11Model> =
        serde_json::from_str(&models).map_err(|e| bad("models", e))?;
    let decks: HashMap<String, Schema11Deck> =
        serde_json::from_str(&decks).map_err(|e| bad("decks", e))?;
    let types = models
        .into_iter()
        .filter_map(|(id, mut m)| {
            m.flds.sort_by_key(|f| f.ord);
            let kind = if m.kind == 1 {
                NoteKind::Cloze
            } else {
                NoteKind::Standard
            };
            Some((
                id.parse().ok()?,
                (kind, m.flds.into_iter().map(|f| f.name).collect()),
            ))
        })
        .collect();
    let decks = decks
        .into_iter()
        .filter_map(|(id, d)| Some((id.parse().ok()?, d.name)))
        .collect();
    Ok((types, decks))
}

/// Schema 18: tables of note types, fields and decks; a note type's kind is field 1 of its
/// protobuf config (`NotetypeConfig.kind`, 1 = cloze); deck levels are separated by U+001F.
async fn catalog18(conn: &mut SqliteConnection) -> Result<Catalog, AnkiError> {
    let notetypes: Vec<(i64, Vec<u8>)> = sqlx::query_as("SELECT id, config FROM notetypes")
        .fetch_all(&mut *conn)
        .await?;
    let fields: Vec<(i64, String)> =
        sqlx::query_as("SELECT ntid, name FROM fields ORDER BY ntid, ord")
            .fetch_all(&mut *conn)
            .await?;
    let mut names: HashMap<i64, Vec<String>> = HashMap::new();
    for (ntid, name) in fields {
        names.entry(ntid).or_default().push(name);
    }
    let types = notetypes
        .into_iter()
        .map(|(id, config)| {
            let kind = match protobuf_varint_field(&config, 1) {
                Some(1) => NoteKind::Cloze,
                _ => NoteKind::Standard,
            };
            (id, (kind, names.remove(&id).unwrap_or_default()))
        })
        .collect();
    let decks: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM decks")
        .fetch_all(&mut *conn)
        .await?;
    let decks = decks
        .into_iter()
        .map(|(id, name)| (id, name.replace(FIELD_SEPARATOR, "::")))
        .collect();
    Ok((types, decks))
}

/// The value of varint field `number` at the top level of a protobuf message, if present.
fn protobuf_varint_field(mut bytes: &[u8], number: u64) -> Option<u64> {
    fn varint(bytes: &mut &[u8]) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = bytes.split_first()?;
            *bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    while !bytes.is_empty() {
        let key = varint(&mut bytes)?;
        let skip = match key & 7 {
            0 => {
                let value = varint(&mut bytes)?;
                if key >> 3 == number {
                    return Some(value);
                }
                0
            }
            1 => 8,
            2 => usize::try_from(varint(&mut bytes)?).ok()?,
            5 => 4,
            _ => return None,
        };
        bytes = bytes.get(skip..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::protobuf_varint_field;

    #[test]
    fn the_kind_of_a_note_type_is_read_from_its_config() {
        // The head of Anki's own configs: Cloze starts `08 01`; Basic has no field 1.
        assert_eq!(
            protobuf_varint_field(&[0x08, 0x01, 0x1a, 0x01, 0x2e], 1),
            Some(1)
        );
        assert_eq!(
            protobuf_varint_field(&[0x1a, 0x02, 0x2e, 0x2e, 0x48, 0x01], 1),
            None
        );
        assert_eq!(protobuf_varint_field(&[0x1a, 0x05, 0x2e], 1), None);
    }
}
