"""Imports a text file (CSV/TSV with Anki's # header lines) into a new collection with the
real Anki library's text importer, as File -> Import does with the file's own header, and
prints its notes as JSON: note type, fields, the decks of its cards. Used by
tests/anki_package.rs.

Usage: read_csv.py FILE WORKDIR
"""
import json
import os
import sys

from anki.collection import Collection, ImportCsvRequest

path, workdir = sys.argv[1], sys.argv[2]
col = Collection(os.path.join(workdir, "text-reader.anki2"))
# The file's header decides the separator, HTML, the columns and the deck column.
metadata = col.get_csv_metadata(path=path, delimiter=None)
col.import_csv(ImportCsvRequest(path=path, metadata=metadata))
notes = []
for nid in sorted(col.find_notes("")):
    note = col.get_note(nid)
    notes.append(
        {
            "notetype": note.note_type()["name"],
            "fields": dict(note.items()),
            "decks": sorted({col.decks.name(card.did) for card in note.cards()}),
            "tags": note.tags,
        }
    )
col.close()
print(json.dumps({"column_labels": list(metadata.column_labels), "notes": notes}, ensure_ascii=False))
