//! Anki interchange: `.apkg` packages written for Anki to import (Basic and Cloze note
//! types, one deck per topic) and read back (either package format), following the file format of Anki's own `rslib`
//! (`storage/schema11.sql`, `import_export/package/`).

pub mod convert;
mod notetypes;
pub mod package;
pub mod read;
pub mod text;

use sha1::{Digest as _, Sha1};

/// Why an Anki file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum AnkiError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("zip archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("collection database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Invalid(String),
}

/// Anki separates a note's fields with the unit separator.
pub const FIELD_SEPARATOR: char = '\u{1f}';

/// Text as an Anki field holds it: HTML, so `<`, `>` and `&` are escaped and line breaks
/// become `<br>`.
pub fn to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("<br>"),
            _ => out.push(ch),
        }
    }
    out
}

/// Anki's note checksum: the first 8 hex digits of the SHA-1 of the first field's text
/// (without HTML), as a number. Anki finds duplicates by it.
pub fn field_checksum(plain: &str) -> i64 {
    let digest = Sha1::digest(plain.as_bytes());
    i64::from(u32::from_be_bytes([
        digest[0], digest[1], digest[2], digest[3],
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_checksums_match_anki() {
        assert_eq!(to_html("a < b & c\nd"), "a &lt; b &amp; c<br>d");
        // Anki's own note "f" (seen in a package Anki exported) has csum 1242175777.
        assert_eq!(field_checksum("f"), 1_242_175_777);
    }
}
