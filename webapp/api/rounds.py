"""The council's rounds over the JSON API: form, open, close with the chair's passphrase, read, verify."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, jsonify

from workflows.queries import rounds as round_queries
from workflows.services import rounds

from ..extensions import get_db
from . import bp
from .auth import api_user, token_required
from .bodies import json_object


def _round_json(view: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in view.items()}
    if out.get("tie"):  # who broke a tie at a quota's cut-off, and when
        out["tie"] = _round_json(out["tie"])
    return out


@bp.get("/rounds")
@token_required
def list_rounds():
    return jsonify({"items": [_round_json(r) for r in round_queries.list_rounds(get_db(), api_user().id)]})


@bp.post("/rounds")
@token_required
def create_round():
    body = json_object({"title", "meeting_date", "nomination_ids", "voting_days"})
    db = get_db()
    round_id = rounds.create_round(db, api_user(), body.get("title"), body.get("meeting_date"), body.get("nomination_ids"),
                                   body.get("voting_days", rounds.DEFAULT_VOTING_DAYS))
    return jsonify(_round_json(round_queries.get_round(db, api_user().id, round_id))), 201


@bp.get("/rounds/<int:round_id>")
@token_required
def get_round(round_id: int):
    return jsonify(_round_json(round_queries.get_round(get_db(), api_user().id, round_id)))


@bp.post("/rounds/<int:round_id>/open")
@token_required
def open_round(round_id: int):
    json_object(set())
    db = get_db()
    rounds.open_round(db, api_user(), round_id)
    return jsonify(_round_json(round_queries.get_round(db, api_user().id, round_id)))


@bp.post("/rounds/<int:round_id>/close")
@token_required
def close_round(round_id: int):
    body = json_object({"passphrase"})
    db = get_db()
    rounds.close_round(db, api_user(), round_id, body.get("passphrase"))
    return jsonify(_round_json(round_queries.get_round(db, api_user().id, round_id)))


@bp.get("/rounds/<int:round_id>/verify")
@token_required
def verify_round(round_id: int):
    db = get_db()
    round_queries.get_round(db, api_user().id, round_id)  # readers only (404 otherwise)
    problems = rounds.verify(db, round_id)
    return jsonify({"round_id": round_id, "verified": not problems, "problems": problems})


@bp.put("/me/ballot-passphrase")
@token_required
def set_ballot_passphrase():
    body = json_object({"passphrase"})
    rounds.set_officer_passphrase(get_db(), api_user(), body.get("passphrase"))
    return "", 204


@bp.get("/rounds/<int:round_id>/minutes.pdf")
@token_required
def round_minutes(round_id: int):
    from workflows.documents import minutes_pdf

    pdf = minutes_pdf(round_queries.minutes(get_db(), api_user().id, round_id))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="bien-ban-kiem-phieu-{round_id}.pdf"'})
