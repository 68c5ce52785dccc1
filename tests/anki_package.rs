//! `.apkg` export checked by the real Anki library: Anki imports the package amgi writes
//! with the right note types, fields, cloze deletions and decks.

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
