//! `amgi export` and `amgi import` at the command line: a round trip through a file, and bad
//! files refused with one line, changing nothing.

use std::path::Path;
use std::process::{Command, Output};

fn amgi(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amgi"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("AMGI_DATABASE_URL")
        .env_remove("AMGI_CONFIG")
        .env_remove("AMGI_USER")
        .output()
        .unwrap_or_else(|e| panic!("cannot run amgi: {e}"))
}

fn ok(out: Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A refusal: non-zero exit, exactly one line on stderr mentioning `needle`, no panic.
fn refused(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn export_import_round_trip_and_bad_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    ok(amgi(d, &["demo", "--no-app"]));
    ok(amgi(d, &["worker", "--once"]));
    let file = d.join("all.json");
    let file = file.to_str().unwrap_or_default();
    let said = ok(amgi(d, &["export", file]));
    assert!(said.starts_with("exported 1 users, "), "{said}");

    let other = d.join("other.db");
    let other = other.to_str().unwrap_or_default();
    ok(amgi(d, &["--database-url", other, "migrate"]));
    let empty = d.join("empty.json");
    let holds = || {
        ok(amgi(
            d,
            &[
                "--database-url",
                other,
                "export",
                empty.to_str().unwrap_or_default(),
            ],
        ))
    };

    // Bad files first: each one line, nothing written.
    let text = std::fs::read_to_string(d.join("all.json")).unwrap_or_default();
    let bad = d.join("bad.json");
    let bad_path = bad.to_str().unwrap_or_default();
    let import_bad = |content: &str| {
        std::fs::write(&bad, content).unwrap_or_else(|e| panic!("{e}"));
        amgi(d, &["--database-url", other, "import", bad_path])
    };
    refused(
        &import_bad(&text.replacen("\"version\":1", "\"version\":2", 1)),
        "unsupported amgi export version 2",
    );
    refused(
        &import_bad(&text[..text.floor_char_boundary(text.len() / 2)]),
        "not a valid amgi export: line 1",
    );
    refused(
        &import_bad(&text.replacen("\"format\":\"amgi\"", "\"format\":\"anki\"", 1)),
        "unknown file format",
    );
    refused(
        &import_bad(&text.replacen("\"topics\":[", "\"topics\":[{\"colour\":1},", 1)),
        "not a valid amgi export",
    );
    let said = holds();
    assert!(
        said.starts_with("exported 1 users, 0 cards, 0 rows"),
        "{said}"
    );

    let said = ok(amgi(d, &["--database-url", other, "import", file]));
    assert!(
        said.starts_with("restored 1 users, 3 topics, 36 questions"),
        "{said}"
    );
    let again = amgi(d, &["--database-url", other, "import", file]);
    refused(&again, "already has a collection");
    let back = d.join("back.json");
    ok(amgi(
        d,
        &[
            "--database-url",
            other,
            "export",
            back.to_str().unwrap_or_default(),
        ],
    ));
    let strip = |t: &str| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(t).unwrap_or_default();
        v["exported_at"] = serde_json::Value::Null;
        v
    };
    let back = std::fs::read_to_string(&back).unwrap_or_default();
    // Both databases are fresh, so even the ids agree.
    assert_eq!(strip(&text), strip(&back));
}

#[test]
fn completions_cover_every_command() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(amgi(dir.path(), &["completions", shell]));
        for word in ["export", "import", "doctor", "all-users", "approve"] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
    // Printing a script opens no database.
    assert!(!dir.path().join("amgi.db").exists());
}

#[test]
fn backups_are_made_listed_and_thinned() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    ok(amgi(d, &["demo", "--no-app"]));
    let backups = d.join("backups");
    std::fs::create_dir_all(&backups).unwrap_or_else(|e| panic!("{e}"));
    // Ten old daily copies of the same day's week: thinned when the next one is made.
    for day in 1..=9 {
        std::fs::write(
            backups.join(format!("amgi-2020-01-0{day}-120000.db")),
            b"old",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let said = ok(amgi(d, &["backup"]));
    assert!(said.starts_with("backed up sqlite "), "{said}");
    let names: Vec<String> = std::fs::read_dir(&backups)
        .map(|r| {
            r.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    // The new copy, six more dailies (Jan 9 … Jan 4), and Jan 3 standing for its week.
    assert_eq!(names.len(), 8, "{names:?}");
    let newest = names.iter().max().cloned().unwrap_or_default();
    let copy = backups.join(&newest);
    // The copy is a whole database: it opens and holds the demo questions.
    let out = amgi(
        d,
        &[
            "--database-url",
            copy.to_str().unwrap_or_default(),
            "demo",
            "--no-app",
        ],
    );
    assert!(ok(out).starts_with("3 topics, 36 questions"));
    let doctor = String::from_utf8_lossy(&amgi(d, &["doctor"]).stdout).into_owned();
    assert!(
        doctor.contains(&format!("backups     : 8 kept; latest {}", copy.display())),
        "{doctor}"
    );
}
