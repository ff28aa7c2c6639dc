"""version bundles (forms and rules pinned with the BPMN), audit events for any subject, ballot size

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00
"""

import hashlib
import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

FORMS_DIR = Path(__file__).resolve().parents[4] / "bpmn" / "forms"


def upgrade() -> None:
    with op.batch_alter_table('council_rules') as batch_op:
        batch_op.add_column(sa.Column('chair_votes', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('nominations') as batch_op:
        batch_op.add_column(sa.Column('ballot_size', sa.Integer(), nullable=True))
    with op.batch_alter_table('task_items') as batch_op:
        batch_op.create_index('ix_task_items_assignee_nomination', ['assignee_id', 'nomination_id'], unique=False)

    with op.batch_alter_table('process_models') as batch_op:
        batch_op.add_column(sa.Column('forms', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('rules', sa.JSON(), nullable=True))
    _pin_existing_versions()
    with op.batch_alter_table('process_models') as batch_op:
        batch_op.alter_column('forms', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('rules', existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=20), nullable=False, server_default='nomination'))
        batch_op.add_column(sa.Column('subject_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('on_behalf_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('on_behalf_of', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('encoding', sa.Integer(), nullable=False, server_default='1'))
    op.execute("UPDATE audit_events SET subject_id = CAST(nomination_id AS VARCHAR(64))")
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.alter_column('subject_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('nomination_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('uq_audit_events_nomination_seq', type_='unique')
        batch_op.create_unique_constraint('uq_audit_events_subject_seq', ['subject_type', 'subject_id', 'seq'])
        batch_op.create_foreign_key(op.f('fk_audit_events_on_behalf_of_id_users'), 'users', ['on_behalf_of_id'], ['id'])
        batch_op.create_index('ix_audit_events_nomination', ['nomination_id', 'seq'], unique=False)
    op.create_table('audit_heads',
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('subject_type', 'subject_id', name=op.f('pk_audit_heads'))
    )


def _pin_existing_versions() -> None:
    """Versions deployed before bundles ran with the forms on disk and the live rule tables: pin those."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, bpmn_xml FROM process_models")).all()
    if not rows:
        return
    forms = {p.name.removesuffix(".schema.json"): json.loads(p.read_text(encoding="utf-8"))
             for p in sorted(FORMS_DIR.glob("*.schema.json"))}
    award_forms = [dict(r._mapping) for r in conn.execute(sa.text(
        "SELECT code, name, subject, level, needs_vote, needs_disclosure, sort_order FROM award_forms"))]
    for a in award_forms:
        a["needs_vote"], a["needs_disclosure"] = bool(a["needs_vote"]), bool(a["needs_disclosure"])
    council = []
    for r in conn.execute(sa.text("SELECT award_form, effective_from, quorum_num, quorum_den, threshold_kind, "
                                  "threshold_pct FROM council_rules")):
        start = r.effective_from if isinstance(r.effective_from, str) else r.effective_from.isoformat()
        council.append({"award_form": r.award_form, "effective_from": _iso_utc(start), "quorum_num": r.quorum_num,
                        "quorum_den": r.quorum_den, "threshold_kind": r.threshold_kind,
                        "threshold_pct": r.threshold_pct, "chair_votes": False})
    deadlines = [{"step": r.step, "award_form": r.award_form, "working_days": r.working_days} for r in conn.execute(
        sa.text("SELECT step, award_form, working_days FROM step_deadlines"))]
    escalations: dict[str, list[str]] = {}
    for r in conn.execute(sa.text("SELECT role, superior_role FROM escalation_rules")):
        escalations.setdefault(r.role, []).append(r.superior_role)
    rules = {
        "award_forms": sorted(award_forms, key=lambda a: (a["sort_order"], a["code"])),
        "council": sorted(council, key=lambda r: (r["award_form"], r["effective_from"])),
        "deadlines": sorted(deadlines, key=lambda d: (d["step"], d["award_form"] or "")),
        "escalations": {role: sorted(sup) for role, sup in sorted(escalations.items())},
    }
    table = sa.table("process_models", sa.column("id"), sa.column("bpmn_xml"), sa.column("forms", sa.JSON), sa.column("rules", sa.JSON),
                     sa.column("sha256"))
    for row in rows:
        xml = _declare_contract(row.bpmn_xml, forms)
        body = json.dumps({"bpmn": xml, "forms": forms, "rules": rules, "v": 1},
                          sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        conn.execute(table.update().where(table.c.id == row.id).values(
            bpmn_xml=xml, forms=forms, rules=rules, sha256=hashlib.sha256(body.encode("utf-8")).hexdigest()))


BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


def _declare_contract(xml: str, forms: dict) -> str:
    """Write down, on the elements, the contract the code of that time inferred from ids and form names.

    Version 1 documents had lane ids as role codes, a hook implied by the form (dossier, vote, a review
    otherwise), the ballot opened by the secretariat's check, and timer kinds as id suffixes. Declaring
    exactly that keeps their running nominations on their diagram while the services read declarations.
    """
    from lxml import etree

    root = etree.fromstring(xml.encode("utf-8"))

    def declare(element, props: dict) -> None:
        ext = element.find(f"{BPMN}extensionElements")
        if ext is None:
            ext = etree.Element(f"{BPMN}extensionElements")
            element.insert(0, ext)
        holder = ext.find(f"{SPIFF}properties")
        if holder is None:
            holder = etree.SubElement(ext, f"{SPIFF}properties")
        have = {p.get("name") for p in holder}
        for name, value in props.items():
            if name not in have:
                etree.SubElement(holder, f"{SPIFF}property", name=name, value=value)

    for lane in root.iter(f"{BPMN}lane"):
        declare(lane, {"role": lane.get("id")})
    tasks = list(root.iter(f"{BPMN}userTask"))

    def form_of(task) -> str:
        for prop in task.iter(f"{SPIFF}property"):
            if prop.get("name") == "formJsonSchemaFilename":
                return prop.get("value", "").removesuffix(".schema.json")
        return ""

    ballot = next((t.get("id") for t in tasks if form_of(t) == "vote"), None)
    for task in tasks:
        form = form_of(task)
        if form == "dossier":
            declare(task, {"hook": "dossier"})
        elif form == "vote":
            declare(task, {"hook": "ballot"})
        elif form in forms:
            choices = [c["const"] for c in forms[form].get("properties", {}).get("decision", {}).get("oneOf", [])]
            props = {"hook": "review", "decisions": " ".join(choices)}
            if "return" in choices:
                props["returns"] = "return"
            if form == "secretariat_check" and ballot:
                props["opensBallot"] = ballot
            declare(task, props)
    for boundary in root.iter(f"{BPMN}boundaryEvent"):
        for kind in ("reminder", "escalation", "window"):
            if boundary.get("id", "").endswith(f"_{kind}"):
                declare(boundary, {"timerKind": kind})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _iso_utc(text: str) -> str:
    from datetime import UTC, datetime

    value = datetime.fromisoformat(text.replace(" ", "T"))
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def downgrade() -> None:
    op.drop_table('audit_heads')
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.drop_index('ix_audit_events_nomination')
        batch_op.drop_constraint(op.f('fk_audit_events_on_behalf_of_id_users'), type_='foreignkey')
        batch_op.drop_constraint('uq_audit_events_subject_seq', type_='unique')
        batch_op.create_unique_constraint('uq_audit_events_nomination_seq', ['nomination_id', 'seq'])
        batch_op.drop_column('encoding')
        batch_op.drop_column('on_behalf_of')
        batch_op.drop_column('on_behalf_of_id')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_type')
    with op.batch_alter_table('process_models') as batch_op:
        batch_op.drop_column('rules')
        batch_op.drop_column('forms')
    with op.batch_alter_table('task_items') as batch_op:
        batch_op.drop_index('ix_task_items_assignee_nomination')
    with op.batch_alter_table('nominations') as batch_op:
        batch_op.drop_column('ballot_size')
    with op.batch_alter_table('council_rules') as batch_op:
        batch_op.drop_column('chair_votes')
