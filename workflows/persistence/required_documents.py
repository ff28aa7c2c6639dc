"""The documents each award form's dossier must carry, as shipped data (``data/required_documents.json``).

The file names a few sets (titles, titles that also need the initiative's certificate, forms of commendation,
the simplified procedure) and maps each award form to one; a form it does not name gets ``default``, so a new
award form is never submitted with nothing checked. Read once per process: it changes only with a release.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from workflows.domain.attachment_kinds import KINDS

DATA = Path(__file__).parent / "data" / "required_documents.json"


@cache
def _table() -> dict:
    table = json.loads(DATA.read_text(encoding="utf-8"))
    for name, kinds in table["sets"].items():
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"required_documents.json: set {name} names unknown kinds {unknown}")
    for code, name in table["award_forms"].items():
        if name not in table["sets"]:
            raise ValueError(f"required_documents.json: {code} uses unknown set {name}")
    return table


def required_kinds(award_form: str) -> tuple[str, ...]:
    table = _table()
    return tuple(table["sets"][table["award_forms"].get(award_form, table["default"])])
