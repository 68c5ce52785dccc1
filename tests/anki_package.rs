//! `.apkg` and text exports checked by the real Anki library: Anki imports the package amgi
//! writes with the right note types, fields, cloze deletions and decks, and its text importer
//! reads amgi's CSV and TSV files by their own header.

mod common;

use amgi::domain::card::CardFormat;
use amgi::store::NewManualCard;
use chrono::Utc;
use common::{TestDb, anki, fixtures, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anki_imports_what_amgi_exports() {
    if !anki::available() {
        return;
    }
    let db = TestDb::sqlite().await;
    let me = user(&db.store, "me").await;
    let now = Utc::now();
    let q1 = fixtures::question(&db, me, "한국사", "훈민정음이 반포된 해는?").await;
    let q2 = fixtures::question(&db, me, "Biology", "Where does photosynthesis happen?").await;
    fixtures::approved_card(&db, me, q1, "훈민정음이 반포된 해는?", "1446년").await;
    fixtures::approved_card(
        &db,
        me,
        q2,
        "Where does <photosynthesis> happen?",
        "chloroplasts & co",
    )
    .await;
    fixtures::card(&db, me, q2, "Still in review?", "yes").await;
    let gone = fixtures::approved_card(&db, me, q1, "Deleted?", "yes").await;
    db.store
        .delete_card(me, gone, now)
        .await
        .unwrap_or_else(|e| panic!("delete: {e}"));
    let cloze = db
        .store
        .create_manual_card(
            me,
            &NewManualCard {
                material: "생물 교과서".into(),
                format: CardFormat::Cloze,
                cue: "세포 호흡".into(),
                fact: "미토콘드리아".into(),
                cloze_text: Some("세포 호흡은 {{blank}}에서 일어난다.".into()),
            },
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("manual: {e}"));
    db.store
        .approve_card(me, cloze.id, now)
        .await
        .unwrap_or_else(|e| panic!("approve: {e}"));

    let archive = db
        .store
        .export_user(me)
        .await
        .unwrap_or_else(|e| panic!("export: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let package = dir.path().join("out.apkg");
    let file = std::fs::File::create(&package).unwrap_or_else(|e| panic!("{e}"));
    let report = amgi::anki::package::write(&archive, &dir.path().join("scratch"), file)
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));
    assert_eq!((report.notes, report.decks), (3, 3));

    let notes = anki::run("read_apkg.py", &[&package, dir.path()]);
    let notes = notes.as_array().cloned().unwrap_or_default();
    assert_eq!(notes.len(), 3, "{notes:?}");
    let find = |front: &str| {
        notes
            .iter()
            .find(|n| {
                n["fields"]
                    .as_object()
                    .is_some_and(|f| f.values().any(|v| v == front))
            })
            .cloned()
            .unwrap_or_else(|| panic!("no note with {front:?} in {notes:?}"))
    };
    let korean = find("훈민정음이 반포된 해는?");
    assert_eq!(korean["notetype"], "amgi Basic");
    assert_eq!(korean["kind"], "standard");
    assert_eq!(korean["fields"]["Back"], "1446년");
    // The fixture quotes the answer as the card's evidence.
    assert_eq!(korean["fields"]["Evidence"], "1446년");
    assert_eq!(korean["decks"], serde_json::json!(["한국사"]));
    // HTML special characters arrive as text, not markup.
    let escaped = find("Where does &lt;photosynthesis&gt; happen?");
    assert_eq!(escaped["fields"]["Back"], "chloroplasts &amp; co");
    assert_eq!(escaped["decks"], serde_json::json!(["Biology"]));

    let cloze = find("세포 호흡");
    assert_eq!(cloze["notetype"], "amgi Cloze");
    assert_eq!(cloze["kind"], "cloze");
    assert_eq!(
        cloze["fields"]["Text"],
        "세포 호흡은 {{c1::미토콘드리아}}에서 일어난다."
    );
    assert_eq!(cloze["decks"], serde_json::json!(["생물 교과서"]));
    assert_eq!(cloze["cards"], 1);
    let question = cloze["questions"][0].as_str().unwrap_or_default();
    // The front shows the blank; the answer is only the deletion's data, not text.
    assert!(
        question.ends_with(
            "세포 호흡은 <span class=\"cloze\" data-cloze=\"미토콘드리아\" data-ordinal=\"1\">[...]</span>에서 일어난다."
        ),
        "{question}"
    );
    assert!(
        notes
            .iter()
            .all(|n| n["fields"].as_object().is_some_and(|f| !f
                .values()
                .any(|v| v == "Still in review?" || v == "Deleted?")))
    );
    db.finish().await;
}

/// Anki's text importer (File → Import of a `.csv`/`.tsv`) reads what `amgi export
/// cards.csv` writes, guided by the file's own header: a note per approved card, cue and
/// answer in its first two fields, one deck per topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ankis_text_importer_reads_the_csv_and_tsv_exports() {
    if !anki::available() {
        return;
    }
    let db = TestDb::sqlite().await;
    let me = user(&db.store, "me").await;
    let q1 = fixtures::question(&db, me, "한국사, 조선", "훈민정음이 반포된 해는?").await;
    let q2 = fixtures::question(&db, me, "Biology", "Where does photosynthesis happen?").await;
    fixtures::approved_card(&db, me, q1, "훈민정음이 반포된 해는?", "1446년").await;
    fixtures::approved_card(
        &db,
        me,
        q2,
        "Where does \"photosynthesis\" happen, <really>?",
        "chloroplasts, mostly",
    )
    .await;
    fixtures::card(&db, me, q2, "Still in review?", "yes").await;
    let archive = db
        .store
        .export_user(me)
        .await
        .unwrap_or_else(|e| panic!("export: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (sep, ext) in [(',', "csv"), ('\t', "tsv")] {
        let (text, count) = amgi::anki::text::write(&archive, sep);
        assert_eq!(count, 2);
        let file = dir.path().join(format!("cards.{ext}"));
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
        let read = anki::run("read_csv.py", &[&file, dir.path()]);
        assert_eq!(
            read["column_labels"],
            serde_json::json!(["Front", "Back", "Cloze", "Deck", "Stage", "Due", "Tags"]),
            "{ext}"
        );
        let notes = read["notes"].as_array().cloned().unwrap_or_default();
        assert_eq!(notes.len(), 2, "{ext}: {notes:?}");
        assert!(
            notes
                .iter()
                .all(|n| n["tags"] == serde_json::json!(["amgi"])),
            "{ext}: {notes:?}"
        );
        let fronts: Vec<(String, String, String)> = notes
            .iter()
            .map(|n| {
                (
                    n["fields"]["Front"].as_str().unwrap_or_default().to_owned(),
                    n["fields"]["Back"].as_str().unwrap_or_default().to_owned(),
                    n["decks"][0].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        // `#html:false`: Anki escapes the text itself, so markup characters arrive as text.
        for want in [
            (
                "훈민정음이 반포된 해는?".to_owned(),
                "1446년".to_owned(),
                "한국사, 조선".to_owned(),
            ),
            (
                "Where does &quot;photosynthesis&quot; happen, &lt;really&gt;?".to_owned(),
                "chloroplasts, mostly".to_owned(),
                "Biology".to_owned(),
            ),
        ] {
            assert!(fronts.contains(&want), "{ext}: {want:?} not in {fronts:?}");
        }
    }
    db.finish().await;
}
