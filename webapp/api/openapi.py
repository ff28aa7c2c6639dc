"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from flask import jsonify

from workflows import queries
from workflows.domain import attachment_kinds
from workflows.services import bulk

from ..extensions import get_db
from . import bp

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    text = {400: "Malformed body", 401: "Not logged in", 403: "In scope but not your role or task",
            404: "Unknown, or outside your unit", 409: "Task no longer ready, or If-Match mismatch",
            413: "Too large", 422: "Field errors; nothing changed",
            429: "Too many failed logins; the Retry-After header gives the seconds to wait"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _query(name: str, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": {"type": "string"}}


SORTS = {"tasks": "due (default), waiting, code, nominee, unit, award_form, step",
         "nominations": "-updated (default), updated, code, nominee, unit, award_form, year, state"}
LIST_DESCRIPTION = ("`q` ignores Vietnamese diacritics and case ('trinh van bao' and 'TRỊNH' find 'Trịnh Văn Bảo') and "
                    "matches the start of any word run of the nominee's name, the dossier code (HS-000123 or 123) "
                    "and the unit's name. `next_cursor` is opaque: "
                    "pass it back as `cursor` with the same `sort` for the next page (50 rows); null at the end. An "
                    "unknown sort, a malformed filter or a cursor of another sort is a 422.")


def _list_params(kind: str) -> list[dict]:
    return [_query("q", "Search"), _query("sort", f"One of {SORTS[kind]}; '-' before it descends"),
            _query("cursor", "next_cursor of the previous page"), _query("unit", "Unit id"),
            _query("award_form", "Award form code"), _query("year", "Emulation year"),
            _query("returned", "1: only dossiers returned for supplementation at least once")]


def _ok(schema: dict, description: str = "OK", status: str = "200") -> dict:
    return {status: {"description": description, "content": {"application/json": {"schema": schema}}}}


def _with_registry_subject(dossier: dict) -> dict:
    """The dossier form plus whom it names in the award registry (kept apart from the route's form)."""
    props = dict(dossier.get("properties", {}))
    props["person_id"] = {"type": "integer", "description": "A person of the clerk's unit in the registry"}
    props["collective_id"] = {"type": "integer", "description": "A collective of the clerk's unit in the registry"}
    props["new_person"] = {"type": "object", "description": "A person to add to the registry (name: nominee_name)",
                           "properties": {"birth_date": {"type": "string", "format": "date"},
                                          "staff_id": {"type": "string"}}}
    return dossier | {"properties": props}


def document(dossier: dict | None = None, report: dict | None = None, outside: dict | None = None) -> dict:
    """The document, with the current version's forms as request bodies (or the ones given)."""
    if dossier is None or report is None:
        db = get_db()
        dossier, report = queries.dossier_form(db), queries.current_form(db, "quarterly_report")
        outside = outside or _outside_form(db)
    outside = outside or {"type": "object"}
    id_param = lambda name: {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}  # noqa: E731
    nomination = {"$ref": "#/components/schemas/Nomination"}
    task = {"$ref": "#/components/schemas/Task"}
    tie = {"type": ["object", "null"], "description": "Dossiers tied at an award form's yearly quota cut-off (after the count)",
           "properties": {
               "state": {"enum": ["pending", "broken"]}, "item_id": {"type": "integer", "description": "The chairs' task"},
               "seats": {"type": "integer"}, "groups": {"type": "array", "items": {"type": "object", "properties": {
                   "award_form": {"type": "string"}, "year": {"type": "integer"}, "quota": {"type": "integer"},
                   "quota_used": {"type": "integer", "description": "Seats taken by earlier rounds"},
                   "seats": {"type": "integer", "description": "Seats left for the tied dossiers"},
                   "nomination_ids": {"type": "array", "items": {"type": "integer"}}}}},
               "chosen": {"type": ["array", "null"], "items": {"type": "integer"}},
               "decided_by": {"type": ["string", "null"]}, "decided_at": {"type": ["string", "null"], "format": "date-time"}}}
    decision = {"$ref": "#/components/schemas/Decision"}
    claim = {"type": "object", "properties": {
        "task_id": {"type": "integer"}, "claimed_by": {"type": ["integer", "null"], "description": "The holder's user id"},
        "claimed_at": {"type": ["string", "null"], "format": "date-time"},
        "nomination_version": {"type": "integer", "description": "The nomination's version after the change"}}}
    if_match = {"name": "If-Match", "in": "header", "required": False, "description": "The decision version you read",
                "schema": {"type": "string"}}
    round_ = {"type": "object", "description": "A council round", "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"},
        "state": {"type": "string", "enum": ["draft", "open", "counting", "tie", "closed"],
                  "description": "tie: counted, the chair chooses among dossiers tied at a quota's cut-off"},
        "members_called": {"type": ["integer", "null"]}, "voted": {"type": "integer"},
        "dossiers": {"type": "array", "description": "Once counted, each `result` has agree, disagree, passed (null while "
                     "tied) and, where the yearly quota was exceeded, quota, quota_used, rank, over_quota, tie, seats, "
                     "chosen_by_chair"},
        "tie": tie}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "vinhdanh API", "version": "1",
                 "description": "Hồ sơ đề nghị khen thưởng: tạo, xử lý từng bước, tra cứu lịch sử. "
                                "Mọi thời gian theo ISO 8601 có múi giờ. Lỗi: {error: {code, message, fields}}."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/auth/token": {"post": {
                "summary": "Exchange username and password for a bearer token", "security": [],
                "description": "An account still on the temporary password an admin gave it answers 403 "
                               "`password_change_required`: change it on the web page first.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["username", "password"], "additionalProperties": False,
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": _ok({"type": "object", "properties": {"token": {"type": "string"},
                                                                   "expires_at": {"type": "string", "format": "date-time"}}})
                | _errors(400, 401, 403, 422, 429)}},
            "/nominations": {
                "get": {"summary": "Nominations I may see: filtered, searched, sorted, one page from a cursor",
                        "description": LIST_DESCRIPTION,
                        "parameters": [*_list_params("nominations"),
                                       _query("state", "Trạng thái (in_progress, awarded, …)")],
                        "responses": _ok({"type": "object", "properties": {
                            "items": {"type": "array"}, "next_cursor": {"type": ["string", "null"]},
                            "sort": {"type": "string"},
                            "total": {"type": "integer", "description": "How many match, counted up to 1000"},
                            "total_exceeds": {"type": "boolean", "description": "More than `total` match"},
                            "page_size": {"type": "integer"}}}) | _errors(401, 422)},
                "post": {"summary": "A unit clerk opens a dossier for their own unit",
                         "description": "Holds in force and duplicates of a registry person or collective answer 422; "
                                        "`eligibility` in the answer is the registry's check (warnings never block).",
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": _with_registry_subject(dossier)}}},
                         "responses": _ok(nomination, "Created", "201") | _errors(400, 401, 403, 422)}},
            "/nominations/{id}": {"get": {"summary": "One nomination", "parameters": [id_param("id")],
                                          "responses": _ok(nomination) | _errors(401, 404)}},
            "/nominations/{id}/history": {"get": {
                "summary": "Audit history, oldest first (a vote shows as `voted`, without its choice)",
                "parameters": [id_param("id")],
                "responses": _ok({"type": "object", "properties": {"items": {"type": "array", "items": {
                    "$ref": "#/components/schemas/Event"}}}}) | _errors(401, 404)}},
            "/nominations/{id}/draft": {"put": {
                "summary": "Save the dossier at its draft step (or back for supplementation) without submitting it: "
                           "values are checked (types, lengths, choices), required fields are not; audited as "
                           "`draft_saved` with the changed fields. The body is the dossier's fields (or {\"data\": {...}})",
                "parameters": [id_param("id"), {"name": "If-Match", "in": "header", "required": False,
                                                "description": "The nomination version you read", "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    **{k: v for k, v in dossier.items() if k != "required"}}}}},
                "responses": _ok(nomination) | _errors(400, 401, 403, 404, 409, 422)}},
            "/nominations/{id}/attachments": {"post": {
                "summary": "Attach a PDF, DOCX, JPEG or PNG (type checked by content) of a kind; 413 over the size limit",
                "parameters": [id_param("id")],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "kind": {"enum": list(attachment_kinds.KINDS), "default": attachment_kinds.DEFAULT_KIND,
                                 "description": "; ".join(f"{k}: {v}" for k, v in attachment_kinds.KINDS.items())}}}}}},
                "responses": _ok({"type": "object"}, "Created", "201") | _errors(401, 403, 404, 413, 422)}},
            "/nominations/{id}/attachments/{attachment_id}": {
                "get": {"summary": "Download an attachment", "parameters": [id_param("id"), id_param("attachment_id")],
                        "responses": {"200": {"description": "The file"}} | _errors(401, 404)},
                "delete": {"summary": "The unit's clerk deletes an attachment while the dossier is at its draft step "
                                      "(409 once submitted); the audit event keeps its name, kind and SHA-256",
                           "parameters": [id_param("id"), id_param("attachment_id")],
                           "responses": {"204": {"description": "Deleted"}} | _errors(401, 403, 404, 409)}},
            "/nominations/{id}/close-vote": {"post": {
                "summary": "The secretariat closes the council ballot (absent members count as absent)",
                "parameters": [id_param("id")], "responses": _ok(nomination) | _errors(401, 403, 404, 409, 422)}},
            "/nominations/{id}/outside-result": {"post": {
                "summary": "The secretariat records the outside result (decision of the Prime Minister or the President, "
                           "or a refusal) of a dossier submitted above: it ends awarded (registry row) or rejected",
                "description": "409 when the dossier does not wait for it: already recorded, not yet submitted above, "
                               "or on a route version that ended when submitted.",
                "parameters": [id_param("id")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": outside}}},
                "responses": _ok(nomination) | _errors(400, 401, 403, 404, 409, 422)}},
            "/tasks": {"get": {"summary": "My ready tasks: filtered, searched, sorted (earliest due first), one page from a "
                                          "cursor",
                               "description": LIST_DESCRIPTION + " On the first page (no cursor) the few rows of no single "
                                              "dossier (a round's ballot or tie, a decision's signature or registration: "
                                              "`nomination_id` null) come first; filters only a dossier can meet (q, "
                                              "returned, year) leave them out.",
                               "parameters": [*_list_params("tasks"), _query("step", "The step (task `name`)"),
                                              _query("name", "Older spelling of `step`"),
                                              _query("overdue", "1: only tasks past their deadline")],
                               "responses": _ok({"type": "object", "properties": {
                                   "items": {"type": "array", "items": task},
                                   "next_cursor": {"type": ["string", "null"]}, "sort": {"type": "string"}}})
                               | _errors(401, 422)}},
            "/tasks/{id}": {"get": {"summary": "One task (completed tasks stay resolvable)", "parameters": [id_param("id")],
                                    "responses": _ok(task) | _errors(401, 404)}},
            "/tasks/{id}/complete": {"post": {
                "summary": "Complete a task with its form data (a ballot: {votes: {...}}; a round's tie: {chosen: [ids]})",
                "description": "A round's tie (name `round_tie`, for the council's chairs) takes exactly the seats left "
                               "per award form and year among the tied dossiers: the chosen pass, the others are over the "
                               "quota and end rejected, the round closes. A wrong count or id is a 422 with nothing stored; "
                               "a second completion a 409.",
                "parameters": [id_param("id"), {"name": "If-Match", "in": "header", "required": False,
                                                "description": "The nomination version you read",
                                                "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"data": {"type": "object", "description": "Fields of the task's form (see `form`)"}}}}}},
                "responses": _ok({"type": "object", "description": "A nomination's step, (round_id) a member's ballot, "
                                  "or (decision_id) a decision's signature — data {decision: approve|return, comment} — "
                                  "or registration — data {number, date}; If-Match is then the decision's version",
                                  "properties": {
                    "decision_id": {"type": "integer"}, "nomination_ids": {"type": "array", "items": {"type": "integer"}},
                    "nomination_id": {"type": "integer"}, "version": {"type": "integer"}, "state": {"type": "string"},
                    "next_tasks": {"type": "array", "items": {"type": "integer"},
                                   "description": "Ids of the inbox rows (tasks) this step opened"},
                    "round_id": {"type": "integer"},
                    "receipt": {"type": "string", "description": "The ballot's hash: find it in the round's published box"},
                    "chosen": {"type": "array", "items": {"type": "integer"}, "description": "A tie: passed by the chair"},
                    "cut": {"type": "array", "items": {"type": "integer"}, "description": "A tie: over the quota"}}})
                | _errors(400, 401, 403, 404, 409, 422)}},
            "/tasks/{id}/claim": {"post": {
                "summary": "Take a shared task (secretariat, reviewer, any role-wide task): the others still see it, "
                           "marked with its holder, and cannot complete it",
                "description": "409 when someone else holds it (the message names them) or it is no longer ready; 422 for "
                               "a task assigned to one person (a ballot). A claim is on the nomination's history and moves "
                               "its version. Claiming one's own claim again changes nothing.",
                "parameters": [id_param("id")], "responses": _ok(claim) | _errors(401, 403, 404, 409, 422)}},
            "/tasks/{id}/release": {"post": {
                "summary": "Give a claimed task back to its role (its holder, or an admin)",
                "parameters": [id_param("id")], "responses": _ok(claim) | _errors(401, 403, 404, 409, 422)}},
            "/tasks/{id}/assign": {"post": {
                "summary": "An admin gives a shared task to another user holding its role (and unit, for a unit's role)",
                "parameters": [id_param("id")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["user_id"], "additionalProperties": False,
                    "properties": {"user_id": {"type": "integer"}}}}}},
                "responses": _ok(claim) | _errors(400, 401, 403, 404, 409, 422)}},
            "/tasks/bulk-complete": {"post": {
                "summary": "Complete many tasks with the same data (approve, or return with one comment)",
                "description": f"Each task is its own locked transaction and audit event, validated against its own "
                               f"step's form: one failing never undoes another. At most {bulk.MAX_TASKS} ids (422 beyond); "
                               "a repeated id is answered once. 200 whatever each task's fate: `done`, `conflict` (no "
                               "longer ready, or held by someone else), `error` (refused: the reason, in Vietnamese).",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["task_ids"], "additionalProperties": False,
                    "properties": {"task_ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1,
                                                "maxItems": bulk.MAX_TASKS},
                                   "data": {"type": "object", "description": "Fields of the tasks' forms"}}}}}},
                "responses": _ok({"type": "object", "properties": {"results": {"type": "array", "items": {
                    "type": "object", "properties": {
                        "task_id": {"type": "integer"}, "status": {"enum": ["done", "conflict", "error"]},
                        "error": {"type": ["string", "null"], "description": "Why, in Vietnamese (null when done)"}}}}}})
                | _errors(400, 401, 422)}},
            "/rounds": {
                "get": {"summary": "Council rounds (đợt xét), newest first", "responses": _ok({"type": "object"}) | _errors(401)},
                "post": {"summary": "Form a round from dossiers waiting for the council (secretariat)",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "additionalProperties": False,
                             "required": ["title", "meeting_date", "nomination_ids"],
                             "properties": {"title": {"type": "string"}, "meeting_date": {"type": "string", "format": "date"},
                                            "nomination_ids": {"type": "array", "items": {"type": "integer"}},
                                            "voting_days": {"type": "integer", "minimum": 1, "maximum": 30}}}}}},
                         "responses": _ok(round_, "Created", "201") | _errors(400, 401, 403, 409, 422)}},
            "/rounds/{id}": {"get": {"summary": "A round: agenda, members called, votes cast; once closed, results and box",
                                     "parameters": [id_param("id")], "responses": _ok(round_) | _errors(401, 404)}},
            "/rounds/{id}/open": {"post": {"summary": "Open a round: members called, the round key sealed to the officers",
                                           "parameters": [id_param("id")],
                                           "responses": _ok(round_) | _errors(400, 401, 403, 404, 409, 422)}},
            "/rounds/{id}/close": {"post": {
                "summary": "Count a round (the chair, with the ballot passphrase)", "parameters": [id_param("id")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "required": ["passphrase"],
                    "properties": {"passphrase": {"type": "string"}}}}}},
                "responses": _ok(round_) | _errors(400, 401, 403, 404, 409, 422)}},
            "/rounds/{id}/minutes.pdf": {"get": {
                "summary": "The round's minutes (biên bản kiểm phiếu) as a PDF, once counted", "parameters": [id_param("id")],
                "responses": {"200": {"description": "PDF", "content": {"application/pdf": {}}}} | _errors(401, 404)}},
            "/rounds/{id}/verify": {"get": {"summary": "Recompute a round's totals from its box and check the proofs",
                                            "parameters": [id_param("id")], "responses": _ok({"type": "object", "properties": {
                                                "verified": {"type": "boolean"},
                                                "problems": {"type": "array", "items": {"type": "string"}}}})
                                            | _errors(401, 404)}},
            "/me/ballot-passphrase": {"put": {
                "summary": "Set the council chair's ballot passphrase (opens the rounds sealed to them)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "required": ["passphrase"],
                    "properties": {"passphrase": {"type": "string", "minLength": 12}}}}}},
                "responses": {"204": {"description": "Set"}} | _errors(400, 401, 403, 409, 422)}},
            "/decisions": {
                "get": {"summary": "Decisions and submissions I may see, newest first (a unit's people: those listing "
                                   "their unit's dossiers)",
                        "parameters": [{"name": "state", "in": "query", "schema": {"type": "string", "enum": [
                            "draft", "sent", "signed", "registered", "returned", "cancelled"]}}],
                        "responses": _ok({"type": "object", "properties": {"items": {"type": "array"}}}) | _errors(401)},
                "post": {"summary": "Draft one decision (or, for forms decided above the ministry, a submission) for "
                                    "waiting dossiers of one award form (secretariat)",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "additionalProperties": False, "required": ["nomination_ids"],
                             "properties": {"nomination_ids": {"type": "array", "items": {"type": "integer"},
                                                               "description": "In the order of the attached list"},
                                            "title": {"type": "string", "maxLength": 500,
                                                      "description": "Default: Về việc tặng <award form>"},
                                            "reason": {"type": "string", "maxLength": 2000,
                                                       "description": "Appended to Article 1"}}}}}},
                         "responses": _ok(decision, "Created", "201") | _errors(400, 401, 403, 409, 422)}},
            "/decisions/waiting": {"get": {
                "summary": "Dossiers waiting for a decision, grouped by award form and council round (secretariat)",
                "responses": _ok({"type": "object", "properties": {"groups": {"type": "array"}}}) | _errors(401)}},
            "/decisions/{id}": {"get": {
                "summary": "A decision: state, attached list, number and date, signer (and on whose behalf), history; "
                           "`sign_task_id` is the minister's task: complete it to sign or return",
                "parameters": [id_param("id")], "responses": _ok(decision) | _errors(401, 404)}},
            "/decisions/{id}.pdf": {"get": {
                "summary": "The decision (quyết định) or submission (tờ trình) with its attached list as a PDF; "
                           "marked DỰ THẢO until signed (a unit's people: once registered)",
                "parameters": [id_param("id")],
                "responses": {"200": {"description": "PDF", "content": {"application/pdf": {}}}} | _errors(401, 404)}},
            "/decisions/{id}/send": {"post": {
                "summary": "Send a draft for signature: one task for the minister, due in the signature's working days",
                "parameters": [id_param("id"), if_match], "responses": _ok(decision) | _errors(400, 401, 403, 404, 409)}},
            "/decisions/{id}/cancel": {"post": {
                "summary": "Withdraw a draft, or a decision sent but not signed (its dossiers wait again)",
                "parameters": [id_param("id"), if_match],
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "properties": {"reason": {"type": "string"}}}}}},
                "responses": _ok(decision) | _errors(400, 401, 403, 404, 409, 422)}},
            "/decisions/{id}/register": {"post": {
                "summary": "Register the signed document's number and date (clerical office; secretariat role): a "
                           "decision's dossiers are then awarded, each registry row carrying the number and date",
                "parameters": [id_param("id"), if_match],
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "properties": {
                        "number": {"type": "string", "description": "01/QĐ-BKHCN, or 1 (default: the next free number "
                                                                    "of the year)"},
                        "date": {"type": "string", "format": "date", "description": "Default: today (Vietnam)"}}}}}},
                "responses": _ok(decision) | _errors(400, 401, 403, 404, 409, 422)}},
            "/notifications": {"get": {"summary": "My notifications, newest first (work arrived, dossier returned, "
                                                   "awarded, rejected, reminders, escalations, windows)",
                                       "responses": _ok({"type": "object"}) | _errors(401)}},
            "/reports": {"get": {"summary": "My unit's open quarterly reports (unit clerks)",
                                 "responses": _ok({"type": "object"}) | _errors(401)}},
            "/reports/{id}/submit": {"post": {
                "summary": "Submit a quarterly report", "parameters": [id_param("id")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"data": report}}}}},
                "responses": _ok({"type": "object"}) | _errors(400, 401, 403, 404, 409, 422)}},
            **_delegation_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object"}}}}},
                "Nomination": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "version": {"type": "integer"},
                    "state": {"enum": ["in_progress", "submitted", "awarded", "rejected", "withdrawn"]},
                    "award_form": {"type": "string"}, "nominee_name": {"type": "string"},
                    "nominee_kind": {"enum": ["individual", "collective"]}, "nominee_position": {"type": ["string", "null"]},
                    "unit_id": {"type": "integer"}, "movement": {"type": ["string", "null"]},
                    "field": {"type": ["string", "null"]}, "year": {"type": "integer"}, "achievements": {"type": "string"},
                    "current_tasks": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "name": {"type": "string"}, "title": {"type": "string"}}}},
                    "council_result": {"type": ["object", "null"]}, "decision_number": {"type": ["string", "null"]},
                    "submitted_above_at": {"type": ["string", "null"], "format": "date-time"},
                    "awaiting_outside": {"type": "boolean", "description": "Submitted above, waiting for the outside result"},
                    "outside_result": {"type": ["object", "null"], "description": "The outside result as recorded"},
                    "attachments": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "name": {"type": "string"}, "content_type": {"type": "string"},
                        "size": {"type": "integer"}, "kind": {"enum": list(attachment_kinds.KINDS)},
                        "kind_label": {"type": "string"}, "uploaded_at": {"type": "string", "format": "date-time"}}}},
                    "required_documents": {"type": "array", "description": "The documents the award form requires, "
                                           "checked at submission", "items": {"type": "object", "properties": {
                                               "kind": {"type": "string"}, "label": {"type": "string"},
                                               "met": {"type": "boolean"}}}}}},
                "Task": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "nomination_id": {"type": ["integer", "null"]},
                    "round_id": {"type": ["integer", "null"], "description": "A round's ballot or tie (round_tie)"},
                    "decision_id": {"type": ["integer", "null"], "description": "A decision's signature or registration"},
                    "name": {"type": "string"},
                    "title": {"type": "string"}, "form": {"type": "object", "description": "JSON Schema of the form"},
                    "code": {"type": ["string", "null"], "description": "The dossier's code, HS-000123"},
                    "nominee_name": {"type": ["string", "null"]}, "unit_id": {"type": ["integer", "null"]},
                    "unit_name": {"type": ["string", "null"]}, "award_form": {"type": ["string", "null"]},
                    "returned": {"type": "boolean", "description": "Returned for supplementation at least once"},
                    "created_at": {"type": "string", "format": "date-time"}, "overdue": {"type": "boolean"},
                    "due_at": {"type": ["string", "null"], "format": "date-time"},
                    "claimed_by": {"type": ["integer", "null"], "description": "Who took this shared task (POST .../claim)"},
                    "claimed_by_name": {"type": ["string", "null"]},
                    "claimed_at": {"type": ["string", "null"], "format": "date-time"}}},
                "Decision": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "version": {"type": "integer"},
                    "kind": {"enum": ["decision", "submission"]}, "award_form": {"type": "string"},
                    "round_id": {"type": ["integer", "null"]},
                    "state": {"enum": ["draft", "sent", "signed", "registered", "returned", "cancelled"]},
                    "title": {"type": "string"}, "number": {"type": ["string", "null"]},
                    "registered_date": {"type": ["string", "null"], "format": "date"},
                    "signed_by": {"type": ["string", "null"]}, "signed_at": {"type": ["string", "null"], "format": "date-time"},
                    "on_behalf_of": {"type": ["string", "null"], "description": "KT. BỘ TRƯỞNG: whose authority"},
                    "due_at": {"type": ["string", "null"], "format": "date-time"},
                    "sign_task_id": {"type": ["integer", "null"]}, "register_task_id": {"type": ["integer", "null"]},
                    "proposal": {"type": ["string", "null"], "description": "The number a registration takes by default"},
                    "dossiers": {"type": "array", "items": {"type": "object", "properties": {
                        "nomination_id": {"type": "integer"}, "position": {"type": "integer"},
                        "nominee_name": {"type": "string"}, "unit_name": {"type": "string"},
                        "state": {"type": "string"}}}},
                    "history": {"type": "array"}}},
                "Event": {"type": "object", "properties": {
                    "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                    "role": {"type": ["string", "null"]}, "task": {"type": ["string", "null"]},
                    "action": {"type": "string"}, "comment": {"type": ["string", "null"]},
                    "changes": {"type": ["object", "null"]}}},
            },
        },
    }


def _delegation_paths() -> dict:
    """Delegations of signing (the minister's, to a deputy minister) and absences (an approver's, to a substitute)."""
    day = {"type": "string", "format": "date", "description": "A day in Vietnam's calendar, included"}
    window = {"id": {"type": "integer"}, "version": {"type": "integer"}, "starts_on": day, "ends_on": day,
              "status": {"enum": ["active", "upcoming", "ended", "revoked", "cancelled"]}, "status_label": {"type": "string"},
              "note": {"type": ["string", "null"]}, "created_by": {"type": "string"},
              "created_at": {"type": "string", "format": "date-time"}}
    delegation = {"type": "object", "properties": window | {
        "minister_id": {"type": "integer"}, "minister": {"type": "string"}, "deputy_id": {"type": "integer"},
        "deputy": {"type": "string"},
        "award_forms": {"type": ["array", "null"], "items": {"type": "string"}, "description": "null: every award form"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"}}}
    absence = {"type": "object", "properties": window | {
        "user_id": {"type": "integer"}, "user": {"type": "string"}, "substitute_id": {"type": "integer"},
        "substitute": {"type": "string"}, "role": {"type": "string"}, "unit_id": {"type": ["integer", "null"]},
        "cancelled_at": {"type": ["string", "null"], "format": "date-time"}}}
    who = {"type": ["string", "integer"], "description": "username or id"}
    path_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    version = {"content": {"application/json": {"schema": {"type": "object", "additionalProperties": False,
                                                           "properties": {"version": {"type": "integer"}}}}}}
    return {
        "/delegations": {
            "get": {"summary": "Delegations of signing I may read (the minister's own, a deputy's, all for admin/auditor)",
                    "responses": _ok({"type": "object", "properties": {"items": {"type": "array", "items": delegation}}})
                    | _errors(401, 403)},
            "post": {"summary": "The minister (or an admin naming them) delegates signing to a deputy minister",
                     "description": "Overlapping days and award forms of one minister are refused (409).",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["deputy", "starts_on", "ends_on"], "additionalProperties": False,
                         "properties": {"deputy": who, "starts_on": day, "ends_on": day, "minister": who,
                                        "award_forms": {"type": ["array", "null"], "items": {"type": "string"}},
                                        "note": {"type": ["string", "null"]}}}}}},
                     "responses": _ok(delegation, "Created", "201") | _errors(400, 401, 403, 409, 422)}},
        "/delegations/{id}/revoke": {"post": {
            "summary": "End a delegation early", "parameters": [path_id], "requestBody": version,
            "responses": _ok(delegation) | _errors(400, 401, 404, 409)}},
        "/absences": {
            "get": {"summary": "Absences I set or substitute in (all for admin/auditor)",
                    "responses": _ok({"type": "object", "properties": {"items": {"type": "array", "items": absence}}})
                    | _errors(401, 403)},
            "post": {"summary": "An approver (or an admin for them) is absent; a substitute of the same role and unit acts",
                     "description": "Council roles are refused: a ballot is personal and secret.",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["substitute", "starts_on", "ends_on"], "additionalProperties": False,
                         "properties": {"substitute": who, "starts_on": day, "ends_on": day, "user": who,
                                        "role": {"type": ["string", "null"]}, "note": {"type": ["string", "null"]}}}}}},
                     "responses": _ok(absence, "Created", "201") | _errors(400, 401, 403, 409, 422)}},
        "/absences/{id}/cancel": {"post": {
            "summary": "End an absence early", "parameters": [path_id], "requestBody": version,
            "responses": _ok(absence) | _errors(400, 401, 404, 409)}},
    }


def _outside_form(db) -> dict:
    """The outside result's form of the current version (a plain object if it has none)."""
    try:
        return queries.current_form(db, "outside_result")
    except KeyError:
        return {"type": "object"}


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())
