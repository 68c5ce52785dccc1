"""Imports an .apkg into a new collection with the real Anki library and prints its notes
as JSON: note type (name, kind), fields, the decks of its cards. Used by tests/anki_package.rs.

Usage: read_apkg.py PACKAGE WORKDIR
"""
import json
import os
import sys

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

package, workdir = sys.argv[1], sys.argv[2]
col = Collection(os.path.join(workdir, "reader.anki2"))
col.import_anki_package(
    ImportAnkiPackageRequest(package_path=package, options=ImportAnkiPackageOptions(with_scheduling=True))
)
notes = []
for nid in sorted(col.find_notes("")):
    note = col.get_note(nid)
    model = note.note_type()
    notes.append(
        {
            "notetype": model["name"],
            "kind": "cloze" if model["type"] == 1 else "standard",
            "fields": dict(note.items()),
            "decks": sorted({col.decks.name(card.did) for card in note.cards()}),
            "cards": len(note.cards()),
            "questions": [card.question() for card in note.cards()],
        }
    )
col.close()
print(json.dumps(notes, ensure_ascii=False))
