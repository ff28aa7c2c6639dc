"""Vietnamese text folded for search: no diacritics, no case, single spaces.

Stored next to what it folds (``nominations.search_text``, the terms of ``nomination_terms``) and applied
to the query, so "trinh van bao" and "TRỊNH" find "Trịnh Văn Bảo" alike on SQLite and PostgreSQL,
without collations or extensions that only one of them has.
"""

from __future__ import annotations

import unicodedata

# NFD leaves đ/Đ whole (it is a letter of its own, not d with a mark), so it is mapped by hand.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def fold(text: str | None) -> str:
    """``text`` lower-cased, without combining marks, đ as d, whitespace collapsed."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", bare).casefold().split())

