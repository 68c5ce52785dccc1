//! Anki packages built by the real Anki library (Basic and Cloze notes, two decks, some
//! cards reviewed), in both package formats, imported as manual cards with the right
//! materials, text and ladder stages, on both backends.

mod common;

use amgi::anki::{convert, read};
use amgi::store::archive::UserArchive;
use chrono::{DateTime, Duration, Utc};
use common::{TestDb, anki, user};

/// (material, format, cue, fact, cloze sentence, stage, due) of each card, sorted.
type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i16>,
    Option<DateTime<Utc>>,
);

fn rows(archive: &UserArchive) -> Vec<Row> {
    let mut rows: Vec<Row> = archive
        .cards
        .iter()
        .map(|c| {
            let material = c.extra["material"].as_str().unwrap_or_default().to_owned();
            let progress = c.progress.as_ref();
            (
                material,
                c.format.clone(),
                c.cue.clone(),
                c.fact.clone(),
                c.cloze_text.clone(),
                progress.and_then(|p| p.review_stage),
                progress.and_then(|p| p.due_at),
            )
        })
        .collect();
    rows.sort();
    rows
}

mod cases {
    use super::*;

    pub async fn anki_packages_become_manual_cards(db: &TestDb) {
        if !anki::available() {
            return;
        }
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let built = anki::run("build_apkg.py", &[dir.path()]);
        let today = built["today"].as_i64().unwrap_or_default();
        for (name, package) in [("modern", "modern.apkg"), ("legacy", "legacy.apkg")] {
            let me = user(&db.store, name).await;
            let collection =
                read::read_package(&dir.path().join(package), &dir.path().join("scratch"))
                    .await
                    .unwrap_or_else(|e| panic!("{package}: {e}"));
            let day0 = DateTime::<Utc>::from_timestamp(collection.created, 0)
                .unwrap_or_else(|| panic!("crt"));
            let now = Utc::now();
            let converted = convert::convert(&collection, now);
            assert!(converted.skipped.is_empty(), "{:?}", converted.skipped);
            let report = db
                .store
                .import_cards(me, &converted.cards, true, now)
                .await
                .unwrap_or_else(|e| panic!("import: {e}"));
            assert_eq!((report.added, report.duplicates), (5, 0), "{package}");
            let archive = db
                .store
                .export_user(me)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let due = |days: i64| Some(day0 + Duration::days(today + days));
            let s = |t: &str| t.to_owned();
            let expected: Vec<Row> = vec![
                (
                    s("History"),
                    s("qa"),
                    s("Who wrote Hamlet?"),
                    s("Shakespeare & co"),
                    None,
                    Some(2),
                    due(10),
                ),
                (
                    s("History"),
                    s("qa"),
                    s("훈민정음이 반포된 해는?"),
                    s("1446년"),
                    None,
                    Some(0),
                    due(2),
                ),
                (
                    s("Science::Biology"),
                    s("cloze"),
                    s("plants"),
                    s("chloroplasts"),
                    Some(s("Photosynthesis happens in {{blank}} and makes glucose.")),
                    Some(4),
                    None,
                ),
                (
                    s("Science::Biology"),
                    s("cloze"),
                    s("plants"),
                    s("glucose"),
                    Some(s(
                        "Photosynthesis happens in chloroplasts and makes {{blank}}.",
                    )),
                    None,
                    None,
                ),
                (
                    s("Science::Biology"),
                    s("qa"),
                    s("Powerhouse of the cell?"),
                    s("mitochondria"),
                    None,
                    None,
                    None,
                ),
            ];
            assert_eq!(rows(&archive), expected, "{package}");
            assert!(
                archive
                    .cards
                    .iter()
                    .all(|c| !c.needs_review && c.source_kind == "manual")
            );
            // The same package again adds nothing.
            let again = db
                .store
                .import_cards(me, &converted.cards, true, now)
                .await
                .unwrap_or_else(|e| panic!("import: {e}"));
            assert_eq!((again.added, again.duplicates), (0, 5));
        }
    }

    pub async fn a_truncated_package_is_refused(db: &TestDb) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let me = user(&db.store, "me").await;
        let archive = db
            .store
            .export_user(me)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let package = dir.path().join("whole.apkg");
        let file = std::fs::File::create(&package).unwrap_or_else(|e| panic!("{e}"));
        amgi::anki::package::write(&archive, &dir.path().join("s"), file)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let bytes = std::fs::read(&package).unwrap_or_default();
        let cut = dir.path().join("cut.apkg");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
        let err = read::read_package(&cut, &dir.path().join("s")).await.err();
        assert!(
            err.as_ref()
                .is_some_and(|e| e.to_string().starts_with("not an Anki package")),
            "{err:?}"
        );
    }
}

conformance!(
    anki_packages_become_manual_cards,
    a_truncated_package_is_refused
);
