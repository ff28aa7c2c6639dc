"""API on tasks beyond completing one: claims on shared tasks and bulk completion."""

from __future__ import annotations

from flask import jsonify

from workflows.domain.errors import Invalid
from workflows.queries import iso
from workflows.services import bulk, claims

from ..extensions import get_db
from . import bp
from .auth import api_user, token_required
from .bodies import json_object


def _claim_json(claim: claims.Claim) -> dict:
    return {"task_id": claim.item_id, "claimed_by": claim.claimed_by, "claimed_at": iso(claim.claimed_at),
            "nomination_version": claim.version}


@bp.post("/tasks/<int:item_id>/claim")
@token_required
def claim_task(item_id: int):
    json_object(set())
    return jsonify(_claim_json(claims.claim(get_db(), api_user(), item_id)))


@bp.post("/tasks/<int:item_id>/release")
@token_required
def release_task(item_id: int):
    json_object(set())
    return jsonify(_claim_json(claims.release(get_db(), api_user(), item_id)))


@bp.post("/tasks/<int:item_id>/assign")
@token_required
def assign_task(item_id: int):
    body = json_object({"user_id"})
    if "user_id" not in body:
        raise Invalid("Cần chọn người nhận công việc.", {"user_id": "Trường này là bắt buộc."})
    return jsonify(_claim_json(claims.assign(get_db(), api_user(), item_id, body["user_id"])))


@bp.post("/tasks/bulk-complete")
@token_required
def bulk_complete():
    body = json_object({"task_ids", "data"})
    results = bulk.complete(get_db(), api_user(), body.get("task_ids"), body.get("data", {}))
    return jsonify({"results": results})
