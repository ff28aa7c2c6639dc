"""Delegations of signing and absences over the JSON API: list, create, revoke / cancel (dates ISO 8601)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import jsonify

from workflows.domain.errors import Invalid
from workflows.queries import delegations as delegation_queries
from workflows.services import delegations

from ..extensions import get_db
from . import bp
from .auth import api_user, token_required
from .bodies import json_object


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()
            if k not in ("can_revoke", "can_cancel")}


def _one(rows: list[dict[str, Any]], row_id: int) -> dict[str, Any]:
    return _plain(next(r for r in rows if r["id"] == row_id))


@bp.get("/delegations")
@token_required
def list_delegations():
    return jsonify({"items": [_plain(r) for r in delegation_queries.delegations(get_db(), api_user().id)["rows"]]})


@bp.post("/delegations")
@token_required
def create_delegation():
    body = json_object({"deputy", "starts_on", "ends_on", "award_forms", "note", "minister"})
    db = get_db()
    new_id = delegations.delegate(db, api_user(), body.get("deputy"), body.get("starts_on"), body.get("ends_on"),
                                  body.get("award_forms"), body.get("note"), body.get("minister"))
    return jsonify(_one(delegation_queries.delegations(db, api_user().id)["rows"], new_id)), 201


@bp.post("/delegations/<int:delegation_id>/revoke")
@token_required
def revoke_delegation(delegation_id: int):
    body = json_object({"version"})
    db = get_db()
    delegations.revoke(db, api_user(), delegation_id, _version(body))
    return jsonify(_one(delegation_queries.delegations(db, api_user().id)["rows"], delegation_id))


@bp.get("/absences")
@token_required
def list_absences():
    return jsonify({"items": [_plain(r) for r in delegation_queries.absences(get_db(), api_user().id)["rows"]]})


@bp.post("/absences")
@token_required
def create_absence():
    body = json_object({"substitute", "starts_on", "ends_on", "role", "note", "user"})
    db = get_db()
    new_id = delegations.set_absence(db, api_user(), body.get("substitute"), body.get("starts_on"), body.get("ends_on"),
                                     body.get("role"), body.get("note"), body.get("user"))
    return jsonify(_one(delegation_queries.absences(db, api_user().id)["rows"], new_id)), 201


@bp.post("/absences/<int:absence_id>/cancel")
@token_required
def cancel_absence(absence_id: int):
    body = json_object({"version"})
    db = get_db()
    delegations.cancel_absence(db, api_user(), absence_id, _version(body))
    return jsonify(_one(delegation_queries.absences(db, api_user().id)["rows"], absence_id))


def _version(body: dict[str, Any]) -> int | None:
    value = body.get("version")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid("Phiên bản không hợp lệ.", {"version": "Phải là số nguyên."})
    return value
