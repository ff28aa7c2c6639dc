"""The nominee's name as search terms: one row per word where a search may start matching.

"Trịnh Văn Bảo" is stored as the folded suffixes ``trinh van bao``, ``van bao`` and ``bao``, so a search
for the start of any word run ("trinh", "van bao", "TRỊNH VĂN", "bảo") is one range scan of the primary
key (byte order, ``COLLATE "C"`` on PostgreSQL, SQLite's own), on both databases alike and without
extensions. A match inside a word ("inh") is not found: people search for names, not letters.

Written with the name (:func:`write_terms`, by the commands that set it); kept apart from
:mod:`workflows.persistence.model`, which imports this module at its end.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, ForeignKey, Index, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflows.domain.folding import fold
from workflows.persistence.model import Base, Nomination

TERM = String(255).with_variant(String(255, collation="C"), "postgresql")


class NominationTerm(Base):
    __tablename__ = "nomination_terms"
    term: Mapped[str] = mapped_column(TERM, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True)
    __table_args__ = (Index("ix_nomination_terms_nomination", "nomination_id"),)


def terms(name: str | None) -> list[str]:
    """The folded suffixes of ``name`` that start at a word, longest first, without repeats."""
    words = fold(name).split()
    return list(dict.fromkeys(" ".join(words[i:])[:255] for i in range(len(words))))


def write_terms(session: Session, nomination_id: int, name: str | None, *, replace: bool = True) -> None:
    """Store ``name``'s terms for the nomination (in the caller's transaction), dropping its old ones."""
    if replace:
        session.execute(delete(NominationTerm).where(NominationTerm.nomination_id == nomination_id))
    session.add_all(NominationTerm(term=t, nomination_id=nomination_id) for t in terms(name))


def matching(folded: str) -> ColumnElement[bool]:
    """Nominations with a term starting with the folded query: a range ``[q, q + U+10FFFF)`` in byte order."""
    upper = folded + "\U0010ffff"
    return Nomination.id.in_(select(NominationTerm.nomination_id)
                             .where(NominationTerm.term >= folded, NominationTerm.term < upper))
