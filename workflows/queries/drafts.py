"""What the draft page shows about the dossier's documents: each attachment's kind, the required checklist,
and whether the reader may take a file back (the unit's clerk, while the dossier is at its dossier step)."""

from __future__ import annotations

from typing import Any

from workflows import engine
from workflows.domain import attachment_kinds
from workflows.domain.actor import Actor
from workflows.persistence import required_documents

KIND_CHOICES = [{"code": code, "label": text} for code, text in attachment_kinds.KINDS.items()]


def checklist(award_form: str, kinds: list[str]) -> list[dict[str, Any]]:
    present = set(kinds)
    return [{"kind": k, "label": attachment_kinds.label(k), "met": k in present}
            for k in required_documents.required_kinds(award_form)]


def at_dossier_step(route: engine.Route, open_steps: set[str]) -> bool:
    return any(route.steps[name].hook == "dossier" for name in open_steps if name in route.steps)


def may_delete(user: Actor, unit_id: int, state: str, drafting: bool) -> bool:
    return drafting and state == "in_progress" and not user.has("auditor") and user.holds_for_unit("unit_clerk", unit_id)
