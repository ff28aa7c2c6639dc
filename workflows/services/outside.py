"""The result from above: the decision of the Prime Minister or the President, or a refusal, per dossier.

For a form decided above the ministry the minister signs a submission (tờ trình); the dossier then
waits at the route's wait for the message ``outside_result`` (it shows as ``submitted``, and the
secretariat is reminded every few working days while it waits). When the answer comes back, the
secretariat records it here, dossier by dossier: the decision's number, date and issuing authority,
or the refusal with its reason. The message is delivered to the waiting instance, the route reads
it and ends ``awarded`` (a registry row carrying the outside decision) or ``rejected``, and the
proposing unit is told. One unit of work: a bad field, a wrong role or a second result changes nothing.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from workflows import engine
from workflows.domain.actor import Actor
from workflows.domain.clock import VN_TZ
from workflows.domain.errors import Conflict, Forbidden, Invalid
from workflows.domain.forms import FormSet
from workflows.domain.labels import STATES
from workflows.engine.contract import OUTSIDE_RESULT
from workflows.persistence.db import Database
from workflows.services import notify
from workflows.services.unit_of_work import Instance, NominationStep, Outcome

RECORDER = "secretariat"  # who records it on versions without the wait (on the others, the wait's lane: the same)
AWARDED_FIELDS = frozenset({"decision_number", "decision_date", "issuer"})
REFUSED_FIELDS = frozenset({"reason"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

FORBIDDEN = "Chỉ bộ phận thường trực (Vụ Tổ chức cán bộ) ghi nhận kết quả của cấp trên."
OLD_VERSION = ("Hồ sơ này theo phiên bản quy trình cũ: quy trình kết thúc khi trình cấp trên, không có bước ghi nhận "
               "kết quả của cấp trên. Hồ sơ giữ trạng thái «Đã trình cấp trên».")
NOT_YET = "Hồ sơ chưa trình cấp trên: chỉ ghi nhận kết quả khi hồ sơ đang chờ kết quả của cấp trên."
ALREADY = "Đã ghi nhận kết quả của cấp trên cho hồ sơ này ({}); không ghi nhận lại."
ENDED = "Hồ sơ đã kết thúc ({}); không có kết quả của cấp trên để ghi nhận."


def record_outside_result(db: Database, actor: Actor | int, nomination_id: int, data: Any) -> Outcome:
    """The secretariat records the outside result of one waiting dossier, which then ends awarded or rejected."""
    with NominationStep(db, actor) as step:
        instance = step.lock(nomination_id)  # out of the actor's scope: not found, as everywhere
        nom, route = instance.nom, instance.route
        wait = route.contract.wait_for(OUTSIDE_RESULT)
        if not step.actor.can_deliver(wait.role if wait else RECORDER, nom.unit_id):
            raise Forbidden(FORBIDDEN)
        if wait is None:
            raise Conflict(OLD_VERSION)
        if engine.waiting_at(instance.workflow, {wait.id}) is None:
            raise Conflict(_not_waiting(instance))
        today = step.now.astimezone(VN_TZ).date()
        submitted = nom.submitted_above_at.astimezone(VN_TZ).date() if nom.submitted_above_at else None
        result = validated(route.forms, wait.form, data, submitted, today)
        nom.outside_result = result
        step.record(instance, "outside_result", role=wait.role, task=wait.id, comment=result.get("reason"),
                    changes={"outside_result": [None, result]})
        step.deliver(instance, wait.id, result)
        _tell_the_unit(step, instance, result)
        return step.write(instance)


def _not_waiting(instance: Instance) -> str:
    nom = instance.nom
    if nom.outside_result is not None:
        return ALREADY.format(label(nom.outside_result))
    if nom.state == "in_progress":
        return NOT_YET
    return ENDED.format(STATES.get(nom.state, nom.state))


def label(result: dict[str, Any]) -> str:
    """The result in a few words: "Quyết định số 12/QĐ-TTg ngày 15/03/2027 của Thủ tướng Chính phủ"."""
    if result.get("result") == "awarded":
        day = date.fromisoformat(result["decision_date"]).strftime("%d/%m/%Y")
        return f"Quyết định số {result['decision_number']} ngày {day} của {result['issuer']}"
    return f"cấp trên không khen thưởng: {result.get('reason', '')}"


def validated(forms: FormSet, form: str | None, data: Any, submitted: date | None, today: date) -> dict[str, Any]:
    """The result as stored and delivered, or :class:`Invalid` naming each field (in Vietnamese).

    Empty values are "not given" (an HTML form sends every field); a field of the other result is
    refused rather than dropped, so an API client learns what it sent wrong.
    """
    if not isinstance(data, dict):
        raise Invalid("Kết quả phải là một đối tượng JSON.", {"": "Dữ liệu phải là một đối tượng JSON."})
    given = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    given = {k: v for k, v in given.items() if v is not None and v != ""}
    if form is None or form not in forms:  # the lint refuses such a route: never reached with a deployed one
        raise Invalid("Quy trình không có biểu mẫu kết quả của cấp trên.")
    errors = forms.errors(form, given)
    known = set(forms.field_names(form))
    result = given.get("result")
    fields = AWARDED_FIELDS if result == "awarded" else REFUSED_FIELDS if result == "refused" else frozenset()
    if result in ("awarded", "refused"):
        for key in sorted((set(given) & known) - fields - {"result"}):
            errors.setdefault(key, "Chỉ nhập khi được khen thưởng." if key in AWARDED_FIELDS
                              else "Chỉ nhập khi không được khen thưởng.")
    if result == "awarded" and isinstance(given.get("decision_date"), str) and "decision_date" not in errors:
        problem = _date_problem(given["decision_date"], submitted, today)
        if problem:
            errors["decision_date"] = problem
    if errors:
        raise Invalid("Kết quả của cấp trên chưa hợp lệ, vui lòng kiểm tra lại.", errors)
    return {"result": result, **{k: given[k] for k in sorted(fields) if k in given}}


def _date_problem(value: str, submitted: date | None, today: date) -> str | None:
    if not _ISO_DATE.match(value):
        return "Ngày quyết định phải theo dạng YYYY-MM-DD (ví dụ 2027-03-15)."
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return "Ngày quyết định không có thật."
    if day > today:
        return f"Ngày quyết định không được sau hôm nay ({today:%d/%m/%Y})."
    if submitted is not None and day < submitted:
        return f"Ngày quyết định không được trước ngày trình cấp trên ({submitted:%d/%m/%Y})."
    return None


def _tell_the_unit(step: NominationStep, instance: Instance, result: dict[str, Any]) -> None:
    """The proposing unit's clerks and head learn the result (in the web UI; by e-mail through the outbox)."""
    nom = instance.nom
    award = instance.route.rules.award_forms.get(nom.award_form)
    what = f"Hồ sơ «{nom.nominee_name}» đề nghị {award.name if award else nom.award_form}"
    if result["result"] == "awarded":
        message = f"{what} đã được khen thưởng: {label(result)}."
    else:
        message = f"{what} không được cấp trên khen thưởng. Lý do: {result['reason']}"
    users = notify.with_roles(step.session, {"unit_clerk", "unit_head"}, nom.unit_id)
    notify.send(step.session, step.db.settings, users, nom, "outside_result", message, step.now)
