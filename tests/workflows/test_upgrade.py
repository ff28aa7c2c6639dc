"""Upgrading a database that ran the previous release: v1 routes get the contract they had implicitly.

Version 1 documents had no declarations: the code inferred roles from lane ids, hooks from form names
and timer kinds from id suffixes. Migration 0003 writes exactly that onto them, pins them to the forms
and rule tables of the time, and running nominations keep their diagram.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from alembic import command
from sqlalchemy import text

from workflows.engine import lint
from workflows.persistence import migrate, versions
from workflows.persistence.db import Database, Settings

from ..support import legacy_route_xml, shipped_bundle

DECLARED = re.compile(r'\s*<spiffworkflow:property name="(role|hook|decisions|returns|opensBallot|timerKind)" value="[^"]*" />')
EMPTY = re.compile(r"\s*<bpmn:extensionElements>\s*<spiffworkflow:properties>\s*</spiffworkflow:properties>\s*"
                   r"</bpmn:extensionElements>")


def version_one_document() -> str:
    """The route of the releases before batch decisions as the first release deployed it: nothing declared."""
    return EMPTY.sub("", DECLARED.sub("", legacy_route_xml()))


def test_a_version_one_route_is_declared_pinned_and_keeps_working(tmp_path: Path):
    xml = version_one_document()
    assert "opensBallot" not in xml and "timerKind" not in xml
    db = Database(f"sqlite:///{tmp_path / 'old.db'}", Settings(upload_dir=tmp_path / "up"))
    cfg = migrate.alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.execute(text("INSERT INTO award_forms (code, name, subject, level, needs_vote, needs_disclosure, sort_order)"
                          " VALUES ('bang_khen_bo_truong', 'Bằng khen của Bộ trưởng', 'both', 'ministry', 1, 0, 3)"))
        conn.execute(text("INSERT INTO council_rules (award_form, effective_from, quorum_num, quorum_den, threshold_kind,"
                          " threshold_pct) VALUES ('bang_khen_bo_truong', '2024-01-01 00:00:00', 2, 3,"
                          " 'majority_of_present', NULL)"))
        conn.execute(text("INSERT INTO step_deadlines (step, award_form, working_days) VALUES ('draft', NULL, 10)"))
        conn.execute(text("INSERT INTO escalation_rules (role, superior_role) VALUES ('unit_clerk', 'unit_head')"))
        conn.execute(text("INSERT INTO process_models (key, version, sha256, bpmn_xml, deployed_at) VALUES"
                          " ('nomination', 1, :sha, :xml, '2026-11-01 00:00:00')"),
                     {"sha": hashlib.sha256(xml.encode()).hexdigest(), "xml": xml})
    migrate.upgrade(db)
    with db.read() as s:
        route = versions.route_for(s, 1)
        assert lint.lint(route) == []
        shipped = shipped_bundle(legacy_route_xml())
        assert route.contract.steps == versions.check(shipped).contract.steps  # what the code used to infer
        assert route.contract.timers == versions.check(shipped).contract.timers
        assert route.rules.council_rule("bang_khen_bo_truong", route.rules.council[0].starts).quorum_num == 2
        assert set(route.forms.schemas) == set(shipped.forms)
    db.dispose()
