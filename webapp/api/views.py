"""API endpoints: thin wrappers over the service layer and the read queries."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.exceptions import BadRequest

from workflows import queries, services
from workflows.domain import attachment_kinds
from workflows.domain.errors import Invalid, PasswordChangeRequired
from workflows.queries import iso, listing
from workflows.queries import notifications as notification_queries
from workflows.queries import reports as report_queries
from workflows.services import accounts, decisions, reports, rounds

from ..downloads import send_attachment
from ..extensions import get_db
from . import bp
from .auth import api_user, token_required
from .bodies import if_match, json_body, json_object

NOMINATION_FIELDS = ["id", "version", "state", "award_form", "nominee_name", "nominee_kind", "nominee_position",
                     "nominee_unit", "unit_id", "movement", "field", "year", "achievements", "decision_number",
                     "council_result", "current_tasks", "return_count", "awaiting_outside", "outside_result",
                     "person_id", "collective_id", "eligibility"]


def _nomination_json(n: dict[str, Any]) -> dict[str, Any]:
    out = {k: n.get(k) for k in NOMINATION_FIELDS}
    out["unit_name"] = n["unit_name"]
    out["created_at"] = iso(n["created_at"])
    out["updated_at"] = iso(n["updated_at"])
    out["submitted_above_at"] = iso(n.get("submitted_above_at"))
    out["attachments"] = [
        {**{k: a[k] for k in ("id", "name", "content_type", "size", "kind", "kind_label")},
         "uploaded_at": iso(a["uploaded_at"])}
        for a in n["attachments"]
    ]
    out["required_documents"] = n["documents"]
    return out


def _task_json(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": t["id"],
        "nomination_id": t["nomination_id"],
        "round_id": t.get("round_id"),  # a member's ballot of a round, or the chairs' tie (its form lists the dossiers)
        "decision_id": t.get("decision_id"),  # a decision's signature or registration (it covers many dossiers)
        "name": t["name"],
        "title": t["title"],
        "state": t["state"],
        "form": t["schema"],
        "code": t.get("code"),  # the dossier's code (HS-000123); None for a ballot or a signature
        "nominee_name": t["nominee_name"],
        "unit_id": t["unit_id"],
        "unit_name": t.get("unit_name"),
        "award_form": t["award_form"],
        "returned": t.get("returned", False),
        "created_at": iso(t["created_at"]),
        "due_at": iso(t["due_at"]),
        "overdue": t["overdue"],
        "claimed_by": t.get("claimed_by"),  # a shared task someone took: only they complete it (409 for others)
        "claimed_by_name": t.get("claimed_by_name"),
        "claimed_at": iso(t.get("claimed_at")),
    }


@bp.post("/auth/token")
def token():
    body = json_object({"username", "password"})
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise Invalid("Cần tên đăng nhập và mật khẩu.", {k: "Trường này là bắt buộc." for k in ("username", "password")
                                                        if not isinstance(body.get(k), str) or not body.get(k)})
    user = accounts.authenticate(get_db(), username, password, request.remote_addr or "")
    if user.must_change_password:
        raise PasswordChangeRequired("Tài khoản đang dùng mật khẩu tạm thời: đổi mật khẩu trên trang web "
                                     "(Đổi mật khẩu) trước khi dùng API.")
    value, expires = accounts.issue_token(get_db(), user.id)
    return jsonify({"token": value, "expires_at": iso(expires)})


@bp.get("/nominations")
@token_required
def list_nominations():
    args = request.args
    result = queries.nominations(get_db(), api_user(), filters=listing.filters_from_args(args), sort=args.get("sort"),
                                 cursor=args.get("cursor"))
    items = [{k: n[k] for k in ("id", "code", "version", "state", "award_form", "nominee_name", "nominee_kind", "unit_id",
                                "unit_name", "year", "current_step", "decision_number", "return_count", "returned")}
             | {"updated_at": iso(n["updated_at"])}
             for n in result["items"]]
    return jsonify({"items": items, "next_cursor": result["next_cursor"], "sort": result["sort"], "total": result["total"],
                    "total_exceeds": result["total_exceeds"], "page_size": result["page_size"]})


@bp.post("/nominations")
@token_required
def create_nomination():
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    db = get_db()
    nomination_id = services.create_nomination(db, api_user(), body)
    return jsonify(_nomination_json(queries.nomination(db, api_user().id, nomination_id))), 201


@bp.get("/nominations/<int:nomination_id>")
@token_required
def get_nomination(nomination_id: int):
    return jsonify(_nomination_json(queries.nomination(get_db(), api_user().id, nomination_id)))


@bp.get("/nominations/<int:nomination_id>/history")
@token_required
def get_history(nomination_id: int):
    events = queries.history(get_db(), api_user().id, nomination_id)
    keys = ("actor", "actor_name", "role", "task", "task_title", "action", "action_label", "comment", "changes")
    items = [{k: e[k] for k in keys} | {"at": iso(e["at"])}
             for e in events]
    return jsonify({"items": items})


@bp.post("/nominations/<int:nomination_id>/attachments")
@token_required
def add_attachment(nomination_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("Cần một tệp trong trường 'file' (multipart/form-data).", {"file": "Trường này là bắt buộc."})
    db = get_db()
    kind = request.form.get("kind") or attachment_kinds.DEFAULT_KIND
    attachment_id = services.add_attachment(db, api_user(), nomination_id, upload.filename, upload.read(), kind=kind)
    att = queries.attachment(db, api_user().id, nomination_id, attachment_id)
    return jsonify({k: att[k] for k in ("id", "name", "content_type", "size", "kind")}), 201


# One rule for both methods: two rules on one path with <int:> converters answer an out-of-range id 405, not 404.
@bp.route("/nominations/<int:nomination_id>/attachments/<int:attachment_id>", methods=["GET", "DELETE"])
@token_required
def attachment(nomination_id: int, attachment_id: int):
    """GET downloads the file; DELETE: the unit's clerk takes it back while the dossier is a draft or back for
    supplementation."""
    if request.method == "GET":
        return send_attachment(api_user().id, nomination_id, attachment_id)
    services.delete_attachment(get_db(), api_user(), nomination_id, attachment_id)
    return "", 204


@bp.put("/nominations/<int:nomination_id>/draft")
@token_required
def save_draft(nomination_id: int):
    """Save the dossier's fields at its draft step without submitting it (If-Match: the version read)."""
    body = json_body()
    data = body.get("data", body) if isinstance(body, dict) and set(body) == {"data"} else body
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object of the dossier's fields")
    db = get_db()
    services.save_draft(db, api_user(), nomination_id, data, if_match())
    return jsonify(_nomination_json(queries.nomination(db, api_user().id, nomination_id)))


@bp.post("/nominations/<int:nomination_id>/close-vote")
@token_required
def close_vote(nomination_id: int):
    outcome = services.close_vote(get_db(), api_user(), nomination_id)
    return jsonify(_nomination_json(queries.nomination(get_db(), api_user().id, outcome.nomination_id)))


@bp.post("/nominations/<int:nomination_id>/outside-result")
@token_required
def record_outside_result(nomination_id: int):
    """The secretariat records the decision from above (or the refusal) of a dossier waiting for it."""
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    db = get_db()
    services.record_outside_result(db, api_user(), nomination_id, body)
    return jsonify(_nomination_json(queries.nomination(db, api_user().id, nomination_id)))


@bp.get("/tasks")
@token_required
def list_tasks():
    args = request.args
    step_key = "step" if args.get("step") else "name"  # ``name`` is the older spelling of the step filter
    page = queries.inbox_page(get_db(), api_user(), filters=listing.filters_from_args(args, step_key=step_key),
                              sort=args.get("sort"), cursor=args.get("cursor"), with_schema=True)
    # The few rows of no single dossier (ballots, ties, signatures) lead the first page; the cursor pages the rest.
    rows = page["others"] + page["items"]
    return jsonify({"items": [_task_json(r) for r in rows], "next_cursor": page["next_cursor"], "sort": page["sort"]})


@bp.get("/tasks/<int:item_id>")
@token_required
def get_task(item_id: int):
    return jsonify(_task_json(queries.task(get_db(), api_user().id, item_id)))


@bp.post("/tasks/<int:item_id>/complete")
@token_required
def complete_task(item_id: int):
    body = json_object({"data"})
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise Invalid("'data' phải là một đối tượng JSON.", {"data": "Phải là một đối tượng."})
    outcome = services.complete_task(get_db(), api_user(), item_id, data, if_match())
    if isinstance(outcome, rounds.BallotReceipt):  # a member's ballot of a council round
        return jsonify({"round_id": outcome.round_id, "receipt": outcome.receipt})
    if isinstance(outcome, rounds.TieOutcome):  # a chair's choice at a round's tie
        return jsonify({"round_id": outcome.round_id, "state": "closed", "chosen": list(outcome.chosen),
                        "cut": list(outcome.cut)})
    if isinstance(outcome, decisions.DecisionOutcome):  # a decision's signature or registration
        return jsonify({"decision_id": outcome.decision_id, "state": outcome.state, "version": outcome.version,
                        "nomination_ids": outcome.nomination_ids})
    return jsonify({"nomination_id": outcome.nomination_id, "version": outcome.version, "state": outcome.state,
                    "next_tasks": outcome.next_tasks})


@bp.get("/notifications")
@token_required
def list_notifications():
    items = notification_queries.recent(get_db(), api_user().id)
    return jsonify({"items": [{"id": n.id, "kind": n.kind, "message": n.message, "nomination_id": n.nomination_id,
                               "created_at": iso(n.created_at), "read_at": iso(n.read_at)} for n in items]})


@bp.get("/reports")
@token_required
def list_reports():
    rows = report_queries.open_reports(get_db(), api_user().id)
    form = queries.current_form(get_db(), reports.FORM)
    return jsonify({"items": [_report_json(r, form) for r in rows]})


@bp.post("/reports/<int:report_id>/submit")
@token_required
def submit_report(report_id: int):
    body = json_object({"data"})
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise Invalid("'data' phải là một đối tượng JSON.", {"data": "Phải là một đối tượng."})
    reports.submit(get_db(), api_user().id, report_id, data)
    return jsonify(_report_json(report_queries.get(get_db(), api_user().id, report_id),
                                queries.current_form(get_db(), reports.FORM)))


def _report_json(r: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    return {k: r.get(k) for k in ("id", "unit_id", "year", "quarter", "title", "state", "overdue", "content")} | {
        "due_at": iso(r["due_at"]), "submitted_at": iso(r.get("submitted_at")), "form": form}
