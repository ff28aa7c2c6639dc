"""Delegations of signing and absences over the JSON API: list, create, revoke / cancel (dates ISO 8601)."""

from __future__ import annotations

from collections.abc import Callable
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


def _listed(rows: Callable[..., dict[str, Any]]):
    return jsonify({"items": [_plain(r) for r in rows(get_db(), api_user().id)["rows"]]})


def _one(rows: Callable[..., dict[str, Any]], row_id: int, status: int = 200):
    """The window as the list shows it, after its creation (201) or its end."""
    return jsonify(_plain(next(r for r in rows(get_db(), api_user().id)["rows"] if r["id"] == row_id))), status


@bp.get("/delegations")
@token_required
def list_delegations():
    return _listed(delegation_queries.delegations)


@bp.post("/delegations")
@token_required
def create_delegation():
    body = json_object({"deputy", "starts_on", "ends_on", "award_forms", "note", "minister"})
    new_id = delegations.delegate(get_db(), api_user(), body.get("deputy"), body.get("starts_on"), body.get("ends_on"),
                                  body.get("award_forms"), body.get("note"), body.get("minister"))
    return _one(delegation_queries.delegations, new_id, 201)


@bp.post("/delegations/<int:delegation_id>/revoke")
@token_required
def revoke_delegation(delegation_id: int):
    delegations.revoke(get_db(), api_user(), delegation_id, _version(json_object({"version"})))
    return _one(delegation_queries.delegations, delegation_id)


@bp.get("/absences")
@token_required
def list_absences():
    return _listed(delegation_queries.absences)


@bp.post("/absences")
@token_required
def create_absence():
    body = json_object({"substitute", "starts_on", "ends_on", "role", "note", "user"})
    new_id = delegations.set_absence(get_db(), api_user(), body.get("substitute"), body.get("starts_on"),
                                     body.get("ends_on"), body.get("role"), body.get("note"), body.get("user"))
    return _one(delegation_queries.absences, new_id, 201)


@bp.post("/absences/<int:absence_id>/cancel")
@token_required
def cancel_absence(absence_id: int):
    delegations.cancel_absence(get_db(), api_user(), absence_id, _version(json_object({"version"})))
    return _one(delegation_queries.absences, absence_id)


def _version(body: dict[str, Any]) -> int | None:
    value = body.get("version")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid("Phiên bản không hợp lệ.", {"version": "Phải là số nguyên."})
    return value
