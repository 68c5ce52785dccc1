//! The note types, decks and deck options an exported collection declares, in the JSON of
//! Anki's schema 11 `col` row.

use serde_json::{Value, json};

/// Fixed ids, so that importing a second export into the same Anki profile reuses the note
/// types the first one created instead of adding copies.
pub const BASIC_ID: i64 = 1_745_000_000_001;
pub const CLOZE_ID: i64 = 1_745_000_000_002;

const CSS: &str = ".card {\n    font-family: arial;\n    font-size: 20px;\n    line-height: 1.5;\n    text-align: center;\n    color: black;\n    background-color: white;\n}\n.cloze {\n    font-weight: bold;\n    color: blue;\n}\n.nightMode .cloze {\n    color: lightblue;\n}\n.evidence {\n    font-size: 14px;\n    color: grey;\n}\n";

fn field(name: &str, ord: u32) -> Value {
    json!({"name": name, "ord": ord, "sticky": false, "rtl": false, "font": "Arial",
           "size": 20, "media": []})
}

fn notetype(id: i64, name: &str, kind: u8, fields: &[&str], qfmt: &str, afmt: &str) -> Value {
    json!({
        "id": id, "name": name, "type": kind, "mod": 0, "usn": -1, "sortf": 0, "did": null,
        "tmpls": [{"name": if kind == 1 { "Cloze" } else { "Card 1" }, "ord": 0, "qfmt": qfmt,
                   "afmt": afmt, "bqfmt": "", "bafmt": "", "did": null}],
        "flds": fields.iter().enumerate().map(|(i, f)| field(f, i as u32)).collect::<Vec<_>>(),
        "css": CSS,
        "latexPre": "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n",
        "latexPost": "\\end{document}",
        "req": [[0, "any", [0]]],
        "tags": [], "vers": [],
    })
}

/// `models`: a Basic note type for qa cards and a Cloze note type for cloze cards, each with
/// the card's evidence in a last field shown on the back.
pub fn models() -> Value {
    let evidence = "{{#Evidence}}<div class=evidence>{{Evidence}}</div>{{/Evidence}}";
    json!({
        BASIC_ID.to_string(): notetype(
            BASIC_ID, "amgi Basic", 0, &["Front", "Back", "Evidence"], "{{Front}}",
            &format!("{{{{FrontSide}}}}\n\n<hr id=answer>\n\n{{{{Back}}}}<br>\n{evidence}"),
        ),
        CLOZE_ID.to_string(): notetype(
            CLOZE_ID, "amgi Cloze", 1, &["Text", "Back Extra", "Evidence"], "{{cloze:Text}}",
            &format!("{{{{cloze:Text}}}}<br>\n{{{{Back Extra}}}}<br>\n{evidence}"),
        ),
    })
}

fn deck(id: i64, name: &str) -> Value {
    json!({"id": id, "mod": 0, "name": name, "usn": -1, "lrnToday": [0, 0], "revToday": [0, 0],
           "newToday": [0, 0], "timeToday": [0, 0], "collapsed": false,
           "browserCollapsed": false, "desc": "", "dyn": 0, "conf": 1, "extendNew": 0,
           "extendRev": 0})
}

/// `decks`: Anki's Default deck and one per (id, name).
pub fn decks(named: &[(i64, String)]) -> Value {
    let mut all = serde_json::Map::new();
    all.insert("1".into(), deck(1, "Default"));
    for (id, name) in named {
        all.insert(id.to_string(), deck(*id, name));
    }
    Value::Object(all)
}

/// `dconf`: Anki's default deck options.
pub const DECK_OPTIONS: &str = include_str!("../../assets/anki/dconf.json");

/// `conf`: the collection settings Anki writes for a new collection.
pub fn conf() -> Value {
    json!({"schedVer": 2, "sched2021": true, "timeLim": 0, "collapseTime": 1200,
           "dueCounts": true, "creationOffset": 0, "estTimes": true, "addToCur": true,
           "activeDecks": [1], "dayLearnFirst": false, "curModel": BASIC_ID, "newSpread": 0,
           "sortBackwards": false, "sortType": "noteFld", "curDeck": 1, "nextPos": 1})
}
