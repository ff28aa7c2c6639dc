"""The read side: inbox, lists, a nomination with its history. Scoped like the commands.

Every query takes the user and applies :mod:`workflows.persistence.scope`; unknown and
out-of-scope ids are both "not found". Results are plain dicts so the web
pages and the JSON API render the same facts.

May import ``workflows.domain``, ``workflows.engine``, ``workflows.persistence`` and
``workflows.documents`` (the read side hands documents their data); never Flask, RQ or Redis.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload, load_only

from workflows import engine
from workflows.domain import attachment_kinds, clock
from workflows.domain.actor import Actor
from workflows.domain.decision_forms import REGISTER_TASK, SIGN_TASK
from workflows.domain.errors import Forbidden, NotFound
from workflows.domain.folding import fold
from workflows.domain.labels import ACTIONS, NOMINEE_KINDS, STATES
from workflows.engine.contract import OUTSIDE_RESULT
from workflows.persistence import reference as reference_data
from workflows.persistence import versions
from workflows.persistence.db import Database
from workflows.persistence.model import Attachment, AuditEvent, AwardForm, Nomination, TaskItem, Timer, Unit, User
from workflows.persistence.scope import inbox_clauses, load_actor, visible_clauses, visible_nomination
from workflows.queries import claims as claim_queries
from workflows.queries import decisions as decision_queries
from workflows.queries import delegations as delegation_queries
from workflows.queries import drafts as draft_queries
from workflows.queries import listing, presenting, stepper
from workflows.queries import rounds as round_queries

PAGE_SIZE = listing.PAGE_SIZE


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in Vietnam time, with its offset."""
    return value.astimezone(clock.VN_TZ).isoformat() if value else None


def _user(session: Session, user: Actor | int) -> Actor:
    try:
        return load_actor(session, user)
    except Forbidden as exc:
        raise NotFound("Không tìm thấy người dùng.") from exc


def award_forms(db: Database, proposable_only: bool = False) -> list[dict[str, Any]]:
    """The award forms of the current version (what a new dossier may propose), in display order, by today's rules."""
    with db.read() as s:
        return _award_forms(versions.latest_route(s)[1], proposable_only)


def _award_forms(route: engine.Route, proposable_only: bool = False) -> list[dict[str, Any]]:
    rules, today = route.rules, clock.now()
    found = [(a, rules.level(a.code, today)) for a in sorted(rules.award_forms.values(), key=lambda a: a.sort_order)]
    return [{"code": a.code, "name": a.name, "subject": a.subject, "level": level,
             "needs_vote": rules.routing_flags(a.code, today)["needs_vote"]}
            for a, level in found if not proposable_only or level != "unit"]


def list_choices(db: Database, actor: Actor | int) -> dict[str, Any]:
    """What the lists' filters offer the user: the current route's steps and award forms, the units they see."""
    with db.read() as s:
        user = _user(s, actor)
        route = versions.latest_route(s)[1]
        return {"steps": listing.step_choices(route), "award_forms": _award_forms(route),
                "units": listing.unit_choices(s, None if user.reads_everything else user.units)}


def current_form(db: Database, name: str) -> dict[str, Any]:
    """A form of the current version (a new dossier, a quarterly report)."""
    with db.read() as s:
        return versions.latest_route(s)[1].forms.schema(name)


def dossier_form(db: Database) -> dict[str, Any]:
    with db.read() as s:
        route = versions.latest_route(s)[1]
        choices = field_choices(s)
    return route.forms.with_choices(route.contract.dossier_form(), choices)


def field_choices(session: Session, keep: str | None = None) -> dict[str, list[str]] | None:
    names = reference_data.field_choices(session, keep)
    return {"field": names} if names is not None else None


def _task_row(item: TaskItem, nom: Nomination, unit_name: str, award_name: str, now: datetime) -> dict[str, Any]:
    return {
        "id": item.id,
        "nomination_id": nom.id,
        "code": listing.dossier_code(nom.id),
        "round_id": None,
        "name": item.name,
        "title": item.title,
        "form": item.form,
        "role": item.role,
        "state": item.state,
        "nominee_name": nom.nominee_name,
        "nominee_kind": nom.nominee_kind,
        "unit_id": nom.unit_id,
        "unit_name": unit_name,
        "award_form": nom.award_form,
        "award_form_name": award_name,
        "process_model_id": nom.process_model_id,
        "year": nom.year,
        "return_count": nom.return_count,
        "returned": nom.return_count > 0,
        "created_at": item.created_at,
        "due_at": item.due_at,
        "overdue": bool(item.due_at and item.due_at < now),
        "escalated": item.escalated_at is not None,
        "waiting": now - item.created_at,
        "claimed_by": item.claimed_by_id,  # who took this shared task (claimed_by_name: filled by claims.name_holders)
        "claimed_by_name": None,
        "claimed_at": item.claimed_at,
    }


def inbox(db: Database, user_id: int, *, step: str | None = None, award_form: str | None = None,
          unit_id: int | None = None, overdue_only: bool = False, with_schema: bool = False) -> list[dict[str, Any]]:
    """My ready tasks in one list, overdue and earliest deadline first: the first page of my dossiers' tasks with my
    ballots and signatures among them (:func:`inbox_page` is the paged, sorted, searched form)."""
    filters = listing.Filters(step=step, award_form=award_form, unit_id=unit_id, overdue=overdue_only)
    page = inbox_page(db, user_id, filters=filters, with_schema=with_schema)
    rows = page["items"] + page["others"]
    now = clock.now()
    rows.sort(key=lambda r: (r["due_at"] is None, r["due_at"] or now, r["created_at"], r["id"]))
    return rows


def inbox_page(db: Database, actor: Actor | int, *, filters: listing.Filters | None = None, sort: str | None = None,
               cursor: str | None = None, with_schema: bool = False, page_size: int = listing.PAGE_SIZE) -> dict[str, Any]:
    """One page of my ready dossier tasks, filtered, searched and sorted, from ``cursor``; ``others`` are my few
    rows that belong to no single dossier (a round's ballot or tie, a decision's signature or registration), listed
    whole on the first page, in their own section, and left out when a filter only a dossier can meet is set.
    A bad sort or cursor is Invalid."""
    now = clock.now()
    sort, key, descending = listing.parse_sort(sort, listing.INBOX_SORTS, listing.INBOX_DEFAULT_SORT)
    after = listing.decode_cursor(cursor, sort, key)
    filters = filters or listing.Filters()
    with db.read() as s:
        user = _user(s, actor)
        where = [TaskItem.state == "ready", *listing.nomination_filters(s, filters)]
        if filters.step:
            where.append(TaskItem.name == filters.step)
        if filters.overdue:
            where.append(TaskItem.due_at < now)
        query = (
            select(TaskItem, Nomination, Unit.name, AwardForm.name, key.column)
            .join(Nomination, TaskItem.nomination_id == Nomination.id)
            .join(Unit, Nomination.unit_id == Unit.id)
            .join(AwardForm, Nomination.award_form == AwardForm.code)
            .options(lazyload(Nomination.unit), load_only(*LISTED, raiseload=True))
            .where(*where)
        )
        found, position = listing.keyset_page(s, query, key, TaskItem.id, descending, after, page_size,
                                              branches=inbox_clauses(user))
        rows = []
        for item, nom, unit, award, _key in found:
            row = _task_row(item, nom, unit, award, now)
            if with_schema:  # each task's form as its nomination's version has it
                row["schema"] = versions.route_for(s, nom.process_model_id).forms.schema(item.form)
            rows.append(row)
        claim_queries.name_holders(s, rows)
        others = [] if after is not None or filters.nomination_only else _subjectless(s, user, now, filters)
        return {"items": rows, "others": others, "sort": sort,
                "next_cursor": listing.encode_cursor(sort, *position) if position else None}


def _subjectless(s: Session, user: Actor, now: datetime, filters: listing.Filters) -> list[dict[str, Any]]:
    """My ballots, ties, signatures and registrations that the filters let through, by deadline."""
    step, award_form, unit_id = filters.step, filters.award_form, filters.unit_id
    rows = []
    if not (step and step not in round_queries.ROUND_TASKS) and not (award_form or unit_id):
        rows += [b for b in round_queries.my_ballots(s, user, now) if not step or b["name"] == step]
    if not (step and step not in (SIGN_TASK, REGISTER_TASK)) and not unit_id:  # a decision's signature, registration
        rows += [t for t in decision_queries.my_tasks(s, user, now, award_form) if not step or t["name"] == step]
    rows = [t for t in rows if not filters.overdue or t["overdue"]]
    rows.sort(key=lambda r: (r["due_at"] is None, r["due_at"] or now, r["created_at"], r["id"]))
    return rows


def task(db: Database, user_id: int, item_id: int) -> dict[str, Any]:
    """One task row (completed ones stay resolvable) with its form and whether I may act."""
    now = clock.now()
    with db.read() as s:
        user = _user(s, user_id)
        item = s.get(TaskItem, item_id)
        if item is None:
            raise NotFound("Không tìm thấy công việc.")
        if item.decision_id is not None:  # a decision's signature or registration: its actors and the readers
            if not (user.can_act(item) or user.reads_everything):
                raise NotFound("Không tìm thấy công việc.")
            row = decision_queries.task_row(s, item, now)
            row["can_act"] = item.state == "ready" and user.can_act(item)
            row["prefill"] = {}
            return row
        if item.round_id is not None:  # a member's ballot of a round (theirs alone to see), or the chairs' tie
            if not round_queries.may_see_task(user, item):
                raise NotFound("Không tìm thấy công việc.")
            row = round_queries.round_task_row(s, item, now)
            row["can_act"] = item.state == "ready"
            row["prefill"] = {}
            return row
        nom = visible_nomination(s, user, item.nomination_id)
        row = _task_row(item, nom, nom.unit.name, s.get(AwardForm, nom.award_form).name, now)
        route = versions.route_for(s, nom.process_model_id)
        step = route.steps.get(item.name)
        row |= claim_queries.actions(s, user, item)
        claim_queries.name_holders(s, [row])
        row["can_act"] = item.state == "ready" and user.can_act(item) and not row["held_by_other"]
        row["hook"] = step.hook if step is not None else None
        dossier_step = step is not None and step.hook == "dossier"
        row["schema"] = route.forms.with_choices(item.form, field_choices(s, nom.field)) if dossier_step \
            else route.forms.schema(item.form)
        row["prefill"] = _dossier(route, nom) if dossier_step else {}
        return row


def _dossier(route: engine.Route, nom: Nomination) -> dict[str, Any]:
    fields = route.forms.field_names(route.contract.dossier_form())
    return {k: getattr(nom, k) for k in fields if getattr(nom, k) is not None}


def nominations(db: Database, actor: Actor | int, *, state: str | None = None, award_form: str | None = None,
                q: str | None = None, filters: listing.Filters | None = None, sort: str | None = None,
                cursor: str | None = None, page_size: int = listing.PAGE_SIZE) -> dict[str, Any]:
    """One page of the nominations I may see, filtered, searched and sorted (newest change first), from ``cursor``;
    ``total`` counts those that match up to ``listing.COUNT_CAP`` (``total_exceeds``: more). ``state``,
    ``award_form`` and ``q`` are shorthands for ``filters``."""
    if filters is None:
        filters = listing.Filters(q=fold(q or ""), award_form=award_form, state=state)
    sort, key, descending = listing.parse_sort(sort, listing.NOMINATION_SORTS, listing.NOMINATIONS_DEFAULT_SORT)
    after = listing.decode_cursor(cursor, sort, key)
    with db.read() as s:
        user = _user(s, actor)
        where = listing.nomination_filters(s, filters)
        if filters.state:
            where.append(Nomination.state == filters.state)
        if filters.step:
            where.append(Nomination.current_step == filters.step)
        # Counted up to a cap: an exact count of 100,000 rows would cost more than the page itself.
        branches = visible_clauses(user)
        total = listing.count_capped(s, select(Nomination.id).where(*where), Nomination.id, branches)
        query = (select(Nomination, Unit.name, AwardForm.name, key.column)
                 .join(Unit, Nomination.unit_id == Unit.id)
                 .join(AwardForm, Nomination.award_form == AwardForm.code)
                 .options(lazyload(Nomination.unit), load_only(*LISTED, raiseload=True))
                 .where(*where))
        found, position = listing.keyset_page(s, query, key, Nomination.id, descending, after, page_size,
                                              branches=branches)
        items = [_summary(n, {n.award_form: award}, unit) for n, unit, award, _key in found]
        return {"items": items, "total": min(total, listing.COUNT_CAP), "total_exceeds": total > listing.COUNT_CAP,
                "sort": sort, "page_size": page_size,
                "next_cursor": listing.encode_cursor(sort, *position) if position else None}


# What a list row reads of a nomination (its summary, an inbox row): the wide columns (achievements, the council's
# result, eligibility) stay in the database, and reading any other raises rather than costing a query a row.
LISTED = (Nomination.id, Nomination.version, Nomination.state, Nomination.award_form, Nomination.nominee_name,
          Nomination.nominee_kind, Nomination.unit_id, Nomination.year, Nomination.return_count, Nomination.current_step,
          Nomination.decision_number, Nomination.updated_at, Nomination.process_model_id)


def _summary(nom: Nomination, award_names: dict[str, str], unit_name: str | None = None) -> dict[str, Any]:
    return {
        "id": nom.id,
        "code": listing.dossier_code(nom.id),
        "version": nom.version,
        "state": nom.state,
        "state_label": STATES.get(nom.state, nom.state),
        "award_form": nom.award_form,
        "award_form_name": award_names.get(nom.award_form, nom.award_form),
        "nominee_name": nom.nominee_name,
        "nominee_kind": nom.nominee_kind,
        "nominee_kind_label": NOMINEE_KINDS.get(nom.nominee_kind, nom.nominee_kind),
        "unit_id": nom.unit_id,
        "unit_name": unit_name or nom.unit.name,
        "year": nom.year,
        "return_count": nom.return_count,
        "returned": nom.return_count > 0,
        "current_step": nom.current_step,
        "decision_number": nom.decision_number,
        "updated_at": nom.updated_at,
    }


def nomination(db: Database, user_id: int, nomination_id: int) -> dict[str, Any]:
    with db.read() as s:
        user = _user(s, user_id)
        nom = visible_nomination(s, user, nomination_id)
        names = dict(s.execute(select(AwardForm.code, AwardForm.name)).all())
        route = versions.route_for(s, nom.process_model_id)
        data = _summary(nom, names) | _dossier(route, nom)
        data["nominee_position"] = nom.nominee_position
        data["nominee_unit"] = nom.nominee_unit
        data["movement"] = nom.movement
        data["field"] = nom.field
        data["achievements"] = nom.achievements
        data["return_count"] = nom.return_count
        data["person_id"], data["collective_id"], data["eligibility"] = nom.person_id, nom.collective_id, nom.eligibility
        data["created_at"] = nom.created_at
        open_items = s.scalars(select(TaskItem).where(TaskItem.nomination_id == nom.id, TaskItem.state == "ready")
                               .order_by(TaskItem.id)).all()
        # One entry per step; a ballot's many per-member rows collapse into one.
        steps: dict[str, dict[str, Any]] = {}
        for item in open_items:
            steps.setdefault(item.name, {"id": item.id, "name": item.name, "title": item.title})
        data["current_tasks"] = list(steps.values())
        data["my_tasks"] = [{"id": i.id, "name": i.name, "title": i.title} for i in open_items if user.can_act(i)]
        # The tally is shown only once the ballot is closed (council_result is set then).
        data["council_result"] = nom.council_result
        data["council_result_text"] = presenting.council(nom.council_result) if nom.council_result else None
        # The per-dossier ballot of routes before council rounds (older versions still run it).
        ballot = route.contract.ballot()
        data["ballot_open"] = ballot is not None and ballot.id in steps
        data["ballot_progress"] = _ballot_progress(s, nom, ballot.id) if data["ballot_open"] else None
        data["can_close_vote"] = data["ballot_open"] and user.can_close_ballot()
        # Council rounds: waiting at the round step (on a round or not yet), and the round that counted the result.
        round_step = route.contract.round_step()
        data["at_round_step"] = round_step is not None and round_step.id in steps
        rounds = round_queries.dossier_rounds(s, nom)
        data["council_round"] = rounds["current"] if data["at_round_step"] else None
        data["result_round"] = rounds["counted"]
        data["can_form_round"] = data["at_round_step"] and data["council_round"] is None and "secretariat" in user.roles
        data["can_attach"] = user.can_attach(nom.state, nom.unit_id)
        data["stepper"] = stepper.build(s, route, nom, list(open_items), clock.now(), data["council_round"],
                                        data["ballot_progress"])
        data |= _outside(route, nom, user)
        data["decisions"] = decision_queries.for_nomination(s, user, nom.id)
        data["attachments"] = [
            {"id": a.id, "name": a.original_name, "content_type": a.content_type, "size": a.size,
             "uploaded_at": a.uploaded_at, "kind": a.kind, "kind_label": attachment_kinds.label(a.kind)}
            for a in s.scalars(select(Attachment).where(Attachment.nomination_id == nom.id).order_by(Attachment.id))
        ]
        data["documents"] = draft_queries.checklist(nom.award_form, [a["kind"] for a in data["attachments"]])
        data["drafting"] = draft_queries.at_dossier_step(route, set(steps))
        data["can_delete_attachments"] = draft_queries.may_delete(user, nom.unit_id, nom.state, data["drafting"])
        return data


def _outside(route: engine.Route, nom: Nomination, user: Actor) -> dict[str, Any]:
    """Submitted above: since when, whether it still waits (and whether I record the result), what came back."""
    wait = route.contract.wait_for(OUTSIDE_RESULT)
    awaiting = wait is not None and nom.state == "submitted" and nom.outside_result is None and nom.current_step == wait.id
    can_record = awaiting and user.can_deliver(wait.role, nom.unit_id)
    return {
        "submitted_above_at": nom.submitted_above_at,
        "awaiting_outside": awaiting,
        "outside_result": nom.outside_result,
        "outside_result_text": presenting.outside(nom.outside_result) if nom.outside_result else None,
        "can_record_outside_result": can_record,
        "outside_form": route.forms.schema(wait.form) if can_record and wait.form in route.forms else None,
    }


def _ballot_progress(s: Session, nom: Nomination, step: str) -> dict[str, int]:
    """How many members have voted (never how): the open ballot's rows, all opened in one transaction."""
    opened = select(func.max(TaskItem.created_at)).where(TaskItem.nomination_id == nom.id, TaskItem.name == step)
    counts = dict(s.execute(
        select(TaskItem.state, func.count()).where(TaskItem.nomination_id == nom.id, TaskItem.name == step,
                                                   TaskItem.created_at == opened.scalar_subquery())
        .group_by(TaskItem.state)
    ).all())
    return {"voted": counts.get("completed", 0), "members": nom.ballot_size or sum(counts.values())}


def history(db: Database, user_id: int, nomination_id: int) -> list[dict[str, Any]]:
    """Audit events oldest first, with the labels people read (step titles, the decision as worded)."""
    with db.read() as s:
        user = _user(s, user_id)
        nom = visible_nomination(s, user, nomination_id)
        route = versions.route_for(s, nom.process_model_id)
        rows = s.execute(
            select(AuditEvent, User.full_name).outerjoin(User, AuditEvent.actor_id == User.id)
            .where(AuditEvent.nomination_id == nomination_id).order_by(AuditEvent.seq)
        ).all()
        dossier = route.forms.schema(route.contract.dossier_form()).get("properties", {})
        titles = {name: prop.get("title", name) for name, prop in dossier.items()}
        award_names = {code: a.name for code, a in route.rules.award_forms.items()}
        behalf = delegation_queries.behalf_labels(s, {e.on_behalf_of_id for e, _ in rows})
        return [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "actor_name": full_name or "Hệ thống",
                "role": e.role,
                "task": e.task,
                "task_title": route.titles.get(e.task, e.task) if e.task else None,
                "action": e.action,
                "action_label": _action_label(route, e.task, e.action),
                "comment": e.comment,
                "changes": e.changes,
                "change_rows": presenting.change_rows(e.changes, titles, award_names),
                "on_behalf_of": e.on_behalf_of,
                "on_behalf_of_label": behalf.get(e.on_behalf_of_id),
            }
            for e, full_name in rows
        ]


def last_return(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest return for supplementation in a :func:`history` (each one counts in ``return_count``), or None."""
    return next((e for e in reversed(events) if e["changes"] and "return_count" in e["changes"]), None)


def _action_label(route, task: str | None, action: str) -> str:
    """A decision reads as the step's own wording ("Ký", "Hồ sơ đầy đủ, tiếp nhận"), else the generic label."""
    step = route.steps.get(task) if task else None
    if step is not None and step.form in route.forms:
        worded = route.forms.choices(step.form, "decision").get(action)
        if worded:
            return worded
    return ACTIONS.get(action, action)


def attachment(db: Database, user_id: int, nomination_id: int, attachment_id: int) -> dict[str, Any]:
    with db.read() as s:
        user = _user(s, user_id)
        visible_nomination(s, user, nomination_id)
        att = s.get(Attachment, attachment_id)
        if att is None or att.nomination_id != nomination_id:
            raise NotFound("Không tìm thấy tệp đính kèm.")
        return {"id": att.id, "name": att.original_name, "stored_name": att.stored_name,
                "content_type": att.content_type, "size": att.size, "kind": att.kind}


def overdue_timers(db: Database) -> dict[str, Any]:
    """Due timers nobody has fired: a stopped scheduler or dead workers show here first (``/healthz``).

    Unlike the other queries it takes no user: it says how many and how late, nothing about whose.
    """
    now = clock.now()
    with db.read() as s:
        overdue, oldest = s.execute(
            select(func.count(Timer.id), func.min(Timer.due_at)).where(Timer.state == "pending", Timer.due_at < now)
        ).one()
    return {"overdue": overdue, "oldest_overdue_seconds": round((now - oldest).total_seconds(), 1) if oldest else None}
