"""Version bundles: deploying the route with its forms and rules, and finding the one a nomination runs on.

A deploy snapshots the BPMN document, the forms, the award-form catalogue and escalations the
admins keep in tables, and the DMN decision tables (the council rule sets by date, ``bpmn/*.dmn``)
into one ``process_models`` row, hashed together: a change in any part is a new version, and a
running nomination keeps the version it started on. A bundle whose DMN fails
:func:`~workflows.engine.decisions.lint` is refused. Deploys are serialized on a lock row, so two
admins deploying at once get one version each (or the same one, for the same bundle).

Versions deployed before the rules moved to DMN have no decisions: their ``rules`` hold the legacy
council and deadline tables, and their route keeps reading exactly those.
"""

from __future__ import annotations

import json
from importlib import resources

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflows import engine
from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.forms import SCHEMA_SUFFIX
from workflows.domain.rules import AwardFormRule, RuleSet
from workflows.engine import decisions, lint
from workflows.persistence import audit, reference
from workflows.persistence.model import AwardForm, Counter, EscalationRule, Nomination, ProcessModel

BPMN_DIR = resources.files("bpmn")  # package data: a non-editable install has its route and forms
NOMINATION_ROUTE = BPMN_DIR / "nomination.bpmn"


def shipped_forms() -> dict[str, dict]:
    forms_dir = BPMN_DIR / "forms"
    return {entry.name.removesuffix(SCHEMA_SUFFIX): json.loads(entry.read_text(encoding="utf-8"))
            for entry in sorted(forms_dir.iterdir(), key=lambda e: e.name) if entry.name.endswith(SCHEMA_SUFFIX)}


def rules_from_tables(session: Session) -> RuleSet:
    """The award-form catalogue (names, subjects, display order) and escalations as the admins keep them now.

    The rules themselves (who decides, council votes and thresholds, disclosure, step deadlines) are
    the DMN tables' (:func:`current_bundle`); the ``council_rules`` and ``step_deadlines`` tables and the
    forms' ``level``/``needs_vote``/``needs_disclosure`` columns are what legacy versions pinned.
    """
    escalations: dict[str, list[str]] = {}
    for row in session.scalars(select(EscalationRule)):
        escalations.setdefault(row.role, []).append(row.superior_role)
    return RuleSet(
        award_forms={a.code: AwardFormRule(a.code, a.name, a.subject, sort_order=a.sort_order)
                     for a in session.scalars(select(AwardForm))},
        escalations={role: tuple(sorted(sup)) for role, sup in escalations.items()},
    )


def catalogue(rules: RuleSet) -> dict:
    """What a DMN bundle's ``rules`` keeps: the catalogue and the escalations."""
    data = rules.as_dict()
    return {"award_forms": data["award_forms"], "escalations": data["escalations"]}


def current_bundle(session: Session, bpmn_xml: str | None = None,
                   decision_files: dict[str, str] | None = None) -> engine.Bundle:
    """The shipped route, forms and DMN tables with today's catalogue (``bpmn_xml``/``decision_files`` replace
    the shipped ones)."""
    xml = bpmn_xml if bpmn_xml is not None else NOMINATION_ROUTE.read_text(encoding="utf-8")
    files = decision_files if decision_files is not None else decisions.shipped_files()
    return engine.Bundle(xml, shipped_forms(), catalogue(rules_from_tables(session)), dict(sorted(files.items())))


def shipped_bundle(bpmn_xml: str | None = None) -> engine.Bundle:
    """What a fresh database deploys at migrate: the shipped route, forms, catalogue and DMN tables."""
    xml = bpmn_xml if bpmn_xml is not None else NOMINATION_ROUTE.read_text(encoding="utf-8")
    files = dict(sorted(decisions.shipped_files().items()))
    return engine.Bundle(xml, shipped_forms(), catalogue(reference.shipped_catalogue()), files)


def check(bundle: engine.Bundle) -> engine.Route:
    """Lint the DMN, parse and lint the route; :class:`~workflows.engine.RouteError` lists every violation.

    A new version must pin DMN tables in which every form of its catalogue matches exactly one row of
    every rule set, and the sets cover every day from 2024 on (:func:`~workflows.engine.decisions.lint`).
    """
    forms = [a["code"] for a in bundle.rules.get("award_forms", [])]
    problems = decisions.lint(bundle.decisions, forms)
    if problems:
        raise engine.RouteError("Bảng quyết định (DMN) không hợp lệ: " + "; ".join(problems), problems)
    route = engine.parse(bundle)
    violations = lint.lint(route)
    if violations:
        raise engine.RouteError("Quy trình không đúng quy ước: " + "; ".join(violations), violations)
    return route


def deploy(session: Session, bundle: engine.Bundle, key: str = engine.PROCESS_ID,
           actor: Actor | None = None) -> tuple[ProcessModel, bool]:
    """Store ``bundle`` as the next version of ``key`` unless that exact bundle is deployed.

    Returns the process model and whether it is new; refuses (``RouteError``) before storing
    anything if the bundle does not parse or breaks the contract.
    """
    sha = bundle.sha256
    _lock_deploys(session, key)
    existing = session.scalar(select(ProcessModel).where(ProcessModel.key == key, ProcessModel.sha256 == sha))
    if existing is not None:
        return existing, False
    check(bundle)
    version = (session.scalar(select(func.max(ProcessModel.version)).where(ProcessModel.key == key)) or 0) + 1
    now = clock.now()
    pm = ProcessModel(key=key, version=version, sha256=sha, bpmn_xml=bundle.bpmn_xml, forms=bundle.forms,
                      rules=bundle.rules, decisions=bundle.decisions or None, deployed_at=now)
    session.add(pm)
    session.flush()
    audit.record_subject(session, "route", key, at=now, actor=actor, action="deployed",
                         changes={"version": [version - 1 or None, version], "sha256": [None, sha]})
    return pm, True


def _lock_deploys(session: Session, key: str) -> None:
    """Deploys of one key queue on one row (SQLite's write transaction already serializes them)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    name = f"deploy:{key}"[:40]
    session.execute(insert(Counter).values(name=name, year=0, value=0).on_conflict_do_nothing())
    session.execute(select(Counter.value).where(Counter.name == name, Counter.year == 0).with_for_update())


def deploy_bundled_routes(session: Session) -> tuple[ProcessModel, bool]:
    return deploy(session, current_bundle(session))


def route_for(session: Session, process_model_id: int, sha256: str | None = None) -> engine.Route:
    """The parsed route a nomination is pinned to (parsed once per version per process).

    Callers that already read the version's hash (the unit of work's locking query does) pass it
    and save the lookup; nothing maps ids to hashes in memory, since ids are the database's.
    """
    sha = sha256 or session.scalar(select(ProcessModel.sha256).where(ProcessModel.id == process_model_id))

    def load() -> engine.Bundle:
        row = session.execute(select(ProcessModel.bpmn_xml, ProcessModel.forms, ProcessModel.rules, ProcessModel.decisions)
                              .where(ProcessModel.id == process_model_id)).one()
        return engine.Bundle(row.bpmn_xml, row.forms, row.rules, row.decisions or {})

    return engine.get_route(sha, load)


UNFINISHED = ("in_progress", "submitted")  # a nomination whose route still runs


def running(session: Session) -> list[int]:
    """The versions some unfinished nomination runs on, oldest first: one index probe per deployed version (they
    are few), where a DISTINCT over the open tasks would read every one of them."""
    live = exists(select(Nomination.id).where(Nomination.process_model_id == ProcessModel.id,
                                              Nomination.state.in_(UNFINISHED)))
    return list(session.scalars(select(ProcessModel.id).where(live).order_by(ProcessModel.id)))


def latest(session: Session, key: str = engine.PROCESS_ID) -> ProcessModel | None:
    return session.scalar(
        select(ProcessModel).where(ProcessModel.key == key).order_by(ProcessModel.version.desc()).limit(1)
    )


def latest_route(session: Session, key: str = engine.PROCESS_ID) -> tuple[int, engine.Route]:
    """The newest version's id and route: what a new nomination starts on."""
    newest = session.execute(select(ProcessModel.id, ProcessModel.sha256).where(ProcessModel.key == key)
                             .order_by(ProcessModel.version.desc()).limit(1)).first()
    if newest is None:
        raise RuntimeError("no route deployed: run `flask --app webapp migrate`")
    return newest.id, route_for(session, newest.id, newest.sha256)
