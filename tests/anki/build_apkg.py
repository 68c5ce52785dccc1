"""Builds a collection with the real Anki library (Basic and Cloze notes in two decks, some
cards reviewed) and exports it twice: `modern.apkg` (collection.anki21b, zstd) and
`legacy.apkg` (collection.anki21/anki2). Prints what amgi should find, as JSON.
Used by tests/anki_import.rs.

Usage: build_apkg.py WORKDIR
"""
import json
import os
import sys

from anki.collection import Collection, ExportAnkiPackageOptions

workdir = sys.argv[1]
col = Collection(os.path.join(workdir, "builder.anki2"))
basic = col.models.by_name("Basic")
cloze = col.models.by_name("Cloze")
history = col.decks.id("History")
biology = col.decks.id("Science::Biology")


def add(model, deck, fields):
    note = col.new_note(model)
    for name, value in fields.items():
        note[name] = value
    col.add_note(note, deck)
    return note


n1 = add(basic, history, {"Front": "훈민정음이 반포된 해는?", "Back": "1446년"})
n2 = add(basic, history, {"Front": "Who wrote <b>Hamlet</b>?", "Back": "Shakespeare &amp; co"})
n3 = add(basic, biology, {"Front": "Powerhouse of the cell?", "Back": "mitochondria"})
n4 = add(cloze, biology, {"Text": "Photosynthesis happens in {{c1::chloroplasts}} and makes {{c2::glucose::a sugar}}.", "Back Extra": "plants"})

# Reviewed cards: intervals 2, 10 and 40 days (learning stage 0, stage 2, mastered).
today = col.sched.today
for note, ivl in ((n1, 2), (n2, 10), (n4, 40)):
    card = note.cards()[0]
    card.type = 2
    card.queue = 2
    card.ivl = ivl
    card.due = today + ivl
    card.factor = 2500
    card.reps = 3
    col.update_card(card)

for name, legacy in (("modern.apkg", False), ("legacy.apkg", True)):
    col.export_anki_package(
        out_path=os.path.join(workdir, name),
        options=ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=False, with_media=False, legacy=legacy
        ),
        limit=None,
    )
col.close()
print(json.dumps({"today": today}))
