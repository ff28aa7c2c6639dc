"""Decisions and submissions over the JSON API: draft, send, read, the PDF, cancel and register.

The signature is the minister's task like any other: ``POST /tasks/{id}/complete`` with
``{"data": {"decision": "approve" | "return", "comment"}}``. ``If-Match`` carries the decision's version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Response, jsonify, request

from workflows.queries import decisions as decision_queries
from workflows.services import decisions

from ..extensions import get_db
from . import bp
from .auth import api_user, token_required
from .bodies import if_match, json_object

STATES = ("draft", "sent", "signed", "registered", "returned", "cancelled")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _decision_json(view: dict[str, Any]) -> dict[str, Any]:
    out = _plain({k: v for k, v in view.items() if k not in ("dossiers", "history")})
    out["dossiers"] = [{k: d[k] for k in ("nomination_id", "position", "nominee_name", "nominee_kind", "nominee_position",
                                          "unit_id", "unit_name", "state", "decision_number")} for d in view["dossiers"]]
    out["history"] = [_plain({k: e[k] for k in ("at", "actor", "actor_name", "action", "action_label", "comment",
                                                "on_behalf_of")}) for e in view["history"]]
    return out


def _outcome_view(decision_id: int):
    return jsonify(_decision_json(decision_queries.get_decision(get_db(), api_user().id, decision_id)))


@bp.get("/decisions")
@token_required
def list_decisions():
    state = request.args.get("state") or None
    if state is not None and state not in STATES:  # an unknown state has no decisions
        return jsonify({"items": []})
    return jsonify({"items": [_plain(r) for r in decision_queries.list_decisions(get_db(), api_user().id, state)]})


@bp.get("/decisions/waiting")
@token_required
def waiting():
    groups = decision_queries.list_waiting(get_db(), api_user().id)
    return jsonify({"groups": [_plain({k: v for k, v in g.items() if k != "order"}) for g in groups]})


@bp.post("/decisions")
@token_required
def draft():
    body = json_object({"nomination_ids", "title", "reason"})
    decision_id = decisions.draft(get_db(), api_user(), body.get("nomination_ids"), body.get("title"), body.get("reason"))
    return _outcome_view(decision_id), 201


@bp.get("/decisions/<int:decision_id>")
@token_required
def get_decision(decision_id: int):
    return _outcome_view(decision_id)


@bp.get("/decisions/<int:decision_id>.pdf")
@token_required
def decision_pdf(decision_id: int):
    pdf, name = decision_queries.pdf(get_db(), api_user().id, decision_id)
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/decisions/<int:decision_id>/send")
@token_required
def send(decision_id: int):
    json_object(set())
    decisions.send(get_db(), api_user(), decision_id, if_match())
    return _outcome_view(decision_id)


@bp.post("/decisions/<int:decision_id>/cancel")
@token_required
def cancel(decision_id: int):
    body = json_object({"reason"})
    decisions.cancel(get_db(), api_user(), decision_id, body.get("reason"), if_match())
    return _outcome_view(decision_id)


@bp.post("/decisions/<int:decision_id>/register")
@token_required
def register(decision_id: int):
    body = json_object({"number", "date"})
    decisions.register(get_db(), api_user(), decision_id, body.get("number"), body.get("date"), if_match())
    return _outcome_view(decision_id)
