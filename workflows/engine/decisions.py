"""Council rules as DMN decision tables, one document per legal basis, picked by the dossier's date.

Each ``bpmn/council_rules_*.dmn`` holds one decision whose table has one input, ``award_form``
(a cell is a Python string literal such as ``"bang_khen_bo_truong"``), hit policy UNIQUE, and the
outputs in :data:`OUTPUTS`. Which dates a document covers is declared on its ``decision`` as
SpiffWorkflow extension properties, the same ``spiffworkflow:properties`` the BPMN carries::

    <decision id="council_rules_98_2023" name="...">
      <description>legal basis and period, for people</description>
      <extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="legal_basis" value="Nghị định 98/2023/NĐ-CP" />
          <spiffworkflow:property name="effective_from" value="2024-01-01" />
          <spiffworkflow:property name="effective_to" value="2025-06-30" />   <!-- omit: still in force -->
        </spiffworkflow:properties>
      </extensionElements>
      <decisionTable hitPolicy="UNIQUE"> ... </decisionTable>
    </decision>

Dates are calendar days in Vietnam's time zone, both ends inclusive. SpiffWorkflow's DMN parser
ignores the decision's ``extensionElements`` and the schema allows them, so a document stays valid
DMN 1.3 that the library parses; this module reads the properties itself.

Rows are evaluated by SpiffWorkflow's own :class:`DMNEngine` on a stand-in task (the engine only
reads ``task.data`` and ``task.workflow.script_engine``), never by reading the cells ourselves.
The library evaluates cells with plain ``eval``; a document an admin may edit is therefore refused
at load unless every cell is a literal or a comparison of the input with literals (no names, calls,
attributes or subscripts), which leaves nothing to escape through.

Traps of SpiffWorkflow 3.2.0's DMN (each checked): UNIQUE returns the first matching row and never
checks that it is the only one, and no match writes nothing and raises nothing (both are what
:func:`lint` is for); an XML comment inside ``decisionTable`` crashes the parser with
``AttributeError``; DMN 1.3 annotation columns (``<annotation>``, what dmn-js writes) are rejected as
"Unknown type in decision table" (notes go in ``<description>`` of an output or a rule, or in a
``textAnnotation``); an empty output cell yields ``""``, not ``None``; FEEL's ``true`` is a NameError
(cells are Python: ``True``, ``None``).
"""

from __future__ import annotations

import ast
import copy
import functools
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from workflows import caches
from workflows.domain.clock import VN_TZ  # UTC+7 all year: Asia/Ho_Chi_Minh has had no DST since 1975
from workflows.domain.council import CouncilRuleData
from workflows.domain.errors import Invalid
from workflows.domain.rules import RuleSet

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
INPUT = "award_form"
AUTHORITIES = ("unit_head", "minister", "prime_minister", "government", "president")
LEVEL_OF = {"unit_head": "unit", "minister": "ministry"}  # every other authority is above the ministry
THRESHOLD_KINDS = ("pct_of_all", "majority_of_present")
STEP_OUTPUTS = {  # output -> the step name the route's deadlines use (reference.py's STEP_DEADLINES)
    "draft_days": "draft",
    "head_review_days": "head_review",
    "secretariat_check_days": "secretariat_check",
    "council_days": "council_vote",
    "appraisal_days": "appraisal",
    "minister_sign_days": "minister_sign",
    "outside_follow_up_days": "outside_result",  # the period of the reminders while the outside result is awaited
}
OUTPUTS = ("authority", "council_votes", "quorum_num", "quorum_den", "threshold_kind", "threshold_pct", "chair_votes",
           "quota", "disclosure_days", *STEP_OUTPUTS)
RULES_SINCE = date(2024, 1, 1)  # Law 06/2022/QH15: every date from here on needs exactly one rule set


class DecisionError(ValueError):
    """A decision document cannot be loaded or evaluated; the message names the file (and the form)."""

    def __init__(self, file: str, message: str, award_form: str | None = None) -> None:
        self.file, self.award_form = file, award_form
        where = f"{file}, hình thức {award_form}" if award_form else file
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class FormRules:
    """What one rule set says about one award form."""

    award_form: str
    rule_set: str  # the decision id, e.g. council_rules_152_2025
    authority: str  # unit_head | minister | prime_minister | government | president
    council_votes: bool  # the ministry's council votes on it
    quorum_num: int
    quorum_den: int
    threshold_kind: str | None  # pct_of_all | majority_of_present; None when the council does not vote
    threshold_pct: int | None
    chair_votes: bool
    quota: int | None  # yearly number the ministry may award or propose; None: no quota
    disclosure_days: int | None  # public disclosure before the vote, in working days; None: no disclosure
    draft_days: int
    head_review_days: int
    secretariat_check_days: int
    council_days: int
    appraisal_days: int
    minister_sign_days: int
    outside_follow_up_days: int

    def step_days(self) -> dict[str, int]:
        """Working days per route step, under the step names the deadlines use today."""
        days = {step: getattr(self, output) for output, step in STEP_OUTPUTS.items()}
        if self.disclosure_days is not None:
            days["disclosure"] = self.disclosure_days
        return days

    @property
    def level(self) -> str:
        """unit | ministry | above, as the route and the catalogue name who decides."""
        return LEVEL_OF.get(self.authority, "above")

    def routing_flags(self) -> dict[str, bool]:
        """What the route's gateways read: the council votes, the candidates are published first (orders and
        state honours: the rows with a disclosure period), the decision is taken above the ministry."""
        return {"needs_vote": self.council_votes, "needs_disclosure": self.disclosure_days is not None,
                "above_ministry": self.level == "above"}

    def arithmetic(self) -> CouncilRuleData:
        return CouncilRuleData(self.quorum_num, self.quorum_den, self.threshold_kind, self.threshold_pct)


@dataclass(frozen=True)
class RuleTable:
    """One DMN document: a decision table and the period it is in force."""

    file: str
    decision_id: str
    name: str
    legal_basis: str
    effective_from: date
    effective_to: date | None  # None: in force until a later set replaces it
    engine: DMNEngine = field(repr=False, compare=False)

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def evaluate(self, award_form: str) -> FormRules:
        """The row for this form, through SpiffWorkflow's engine; :class:`DecisionError` if none or if invalid."""
        values = self.outputs(award_form)
        if values is None:
            raise DecisionError(self.file, "không khớp dòng nào của bảng quyết định.", award_form)
        problems = check_outputs(values)
        if problems:
            raise DecisionError(self.file, "; ".join(problems), award_form)
        return FormRules(award_form=award_form, rule_set=self.decision_id, **values)

    def outputs(self, award_form: str) -> dict[str, Any] | None:
        """The raw outputs of the row the engine picks (UNIQUE: the first match), or None when no row matches."""
        task = self._task(award_form)
        if not self._run(lambda: self.engine.decide(task), award_form):
            return None
        return dict(self._run(lambda: self.engine.result(task), award_form))

    def matching_rows(self, award_form: str) -> list[int]:
        """Numbers (from 1) of every row that matches, which UNIQUE itself never looks for."""
        table = copy.copy(self.engine.decision_table)
        table.hit_policy = HitPolicy.COLLECT.value  # the same engine, made to look past the first match
        task = self._task(award_form)
        return [rule.row_number for rule in self._run(lambda: DMNEngine(table).decide(task), award_form)]

    def _task(self, award_form: str) -> _Task:
        return _Task(self.file, {INPUT: award_form})

    def _run(self, call, award_form: str):
        try:
            return call()
        except Exception as exc:  # the engine raises WorkflowTaskException (or anything eval raises)
            kind = getattr(exc, "error_type", None) or type(exc).__name__
            raise DecisionError(self.file, f"lỗi khi tính bảng quyết định ({kind}): {exc}", award_form) from exc


@dataclass(frozen=True)
class RuleTables:
    """Every rule set of a bundle, in order of their start."""

    tables: tuple[RuleTable, ...]

    def rule_set_for(self, on: date | datetime) -> RuleTable:
        """The set in force on a day in Vietnam (an aware datetime is converted to Vietnam's date first)."""
        day = local_date(on)
        found = [t for t in self.tables if t.in_force(day)]
        if not found:
            raise DecisionError("council_rules", f"không có bộ quy tắc nào có hiệu lực ngày {day:%d/%m/%Y}.")
        return max(found, key=lambda t: t.effective_from)

    def form_rules(self, award_form: str, on: date | datetime) -> FormRules:
        return self.rule_set_for(on).evaluate(award_form)


def local_date(on: date | datetime) -> date:
    if isinstance(on, datetime):
        if on.tzinfo is None:
            raise ValueError("Thời điểm phải có múi giờ để quy về ngày theo giờ Việt Nam.")
        return on.astimezone(VN_TZ).date()
    return on


def load(files: Mapping[str, str], *, checked: bool = False) -> RuleTables:
    """Parse every ``*.dmn`` in a mapping of file name -> XML text (what a version bundle can pin); ``checked``:
    they were validated against the DMN schema before (a deployed version's), so that is not done again."""
    tables = [load_table(name, text, checked=checked) for name, text in sorted(files.items()) if name.endswith(".dmn")]
    return RuleTables(tuple(sorted(tables, key=lambda t: (t.effective_from, t.file))))


def load_table(file: str, xml: str, *, checked: bool = False) -> RuleTable:
    """One document, schema-validated (unless ``checked``) and parsed by SpiffWorkflow; :class:`DecisionError`
    names what is wrong."""
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise DecisionError(file, f"không phải XML hợp lệ: {exc}") from exc
    parser = SpiffBpmnParser(validator=None if checked else BpmnValidator())
    try:
        parser.add_dmn_xml(root, filename=file)  # validates against the DMN schema of its namespace
        [(decision_id, dmn_parser)] = parser.dmn_parsers.items()
        dmn_parser.parse()
    except Exception as exc:  # ValidationException, or the parser's own crashes on unexpected content
        raise DecisionError(file, f"tài liệu DMN không hợp lệ: {type(exc).__name__}: {exc}") from exc
    decision = dmn_parser.decision
    if len(decision.decisionTables) != 1:
        raise DecisionError(file, "quyết định phải có đúng một bảng quyết định.")
    table = decision.decisionTables[0]
    _check_structure(file, table)
    properties = _properties(root, decision_id)
    start, end = _date(file, properties, "effective_from"), _date(file, properties, "effective_to", required=False)
    engine = DMNEngine(table)
    return RuleTable(file=file, decision_id=decision_id, name=decision.name, legal_basis=properties.get("legal_basis", ""),
                     effective_from=start, effective_to=end, engine=engine)


def _check_structure(file: str, table) -> None:
    if table.hit_policy != HitPolicy.UNIQUE.value:
        raise DecisionError(file, f"chính sách khớp (hitPolicy) phải là UNIQUE, đang là {table.hit_policy}.")
    if [i.expression.strip() if i.expression else None for i in table.inputs] != [INPUT]:
        raise DecisionError(file, f"bảng phải có đúng một đầu vào với biểu thức {INPUT}.")
    names = [o.name for o in table.outputs]
    missing = [n for n in OUTPUTS if n not in names]
    extra = [n for n in names if n not in OUTPUTS] + sorted({n for n in names if names.count(n) > 1})
    if missing or extra:
        raise DecisionError(file, f"đầu ra phải đúng là {', '.join(OUTPUTS)} (thiếu: {', '.join(missing) or 'không'}; "
                                  f"thừa hoặc trùng: {', '.join(extra) or 'không'}).")
    for rule in table.rules:
        for entry in rule.inputEntries:
            for text in entry.lhs:
                if text is not None and not _safe_test(text):
                    raise DecisionError(file, f"dòng {rule.row_number}: ô điều kiện {text!r} chỉ được so sánh {INPUT} với hằng.")
        for entry in rule.outputEntries:
            if entry.text and not _safe_literal(entry.text):
                raise DecisionError(file, f"dòng {rule.row_number}: ô kết quả {entry.text!r} phải là một hằng "
                                          "(chuỗi trong nháy kép, số, True, False, None).")


_TEST_NODES = (ast.Expression, ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Name,
               ast.Load, ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.And, ast.Or, ast.Not,
               ast.USub, ast.UAdd)
_QUESTION = re.compile(r"""\?(?=(?:[^'"]|['"][^'"]*['"])*$)""")  # a `?` outside quotes, as the engine finds it


def _safe_test(text: str) -> bool:
    """An input cell: a literal, or a comparison of the input (``?``, or implied on the left) with literals."""
    source = _QUESTION.sub("dmninputexpr", text)
    for candidate in (source, f"dmninputexpr {source}"):
        try:
            tree = ast.parse(candidate, mode="eval")
        except SyntaxError:
            continue
        return all(isinstance(node, _TEST_NODES) and (not isinstance(node, ast.Name) or node.id in (INPUT, "dmninputexpr"))
                   for node in ast.walk(tree))
    return False


def _safe_literal(text: str) -> bool:
    try:
        ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _properties(root, decision_id: str) -> dict[str, str]:
    decision = next(d for d in root.iter("{*}decision") if d.get("id") == decision_id)
    found = {}
    for extension in decision.findall("{*}extensionElements"):
        for prop in extension.iter(f"{{{SPIFF_NS}}}property"):
            found[prop.get("name")] = prop.get("value") or ""
    return found


def _date(file: str, properties: Mapping[str, str], name: str, required: bool = True) -> date | None:
    value = properties.get(name, "").strip()
    if not value:
        if required:
            raise DecisionError(file, f"quyết định thiếu thuộc tính spiffworkflow:property {name} (ngày YYYY-MM-DD).")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise DecisionError(file, f"{name}={value!r} không phải ngày dạng YYYY-MM-DD.") from exc


def check_outputs(values: Mapping[str, Any]) -> list[str]:
    """Type and range problems of one row's outputs (empty when sound)."""
    found = []

    def is_int(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if values.get("authority") not in AUTHORITIES:
        found.append(f"authority phải là một trong {', '.join(AUTHORITIES)}, đang là {values.get('authority')!r}")
    for name in ("council_votes", "chair_votes"):
        if not isinstance(values.get(name), bool):
            found.append(f"{name} phải là True hoặc False, đang là {values.get(name)!r}")
    num, den = values.get("quorum_num"), values.get("quorum_den")
    if not (is_int(num) and is_int(den) and 0 < num < den):
        found.append(f"tỷ lệ có mặt phải là số nguyên 0 < quorum_num < quorum_den, đang là {num!r}/{den!r}")
    kind, pct = values.get("threshold_kind"), values.get("threshold_pct")
    if values.get("council_votes") is True and kind not in THRESHOLD_KINDS:
        found.append(f"threshold_kind phải là một trong {', '.join(THRESHOLD_KINDS)} khi Hội đồng bỏ phiếu, đang là {kind!r}")
    elif values.get("council_votes") is False and kind is not None:
        found.append(f"threshold_kind phải là None khi Hội đồng không bỏ phiếu, đang là {kind!r}")
    if kind == "pct_of_all" and not (is_int(pct) and 0 < pct <= 100):
        found.append(f"threshold_pct phải là số nguyên trong (0, 100] với pct_of_all, đang là {pct!r}")
    elif kind != "pct_of_all" and pct is not None:
        found.append(f"threshold_pct phải là None với {kind!r}, đang là {pct!r}")
    quota = values.get("quota")
    if quota is not None and not (is_int(quota) and quota >= 0):
        found.append(f"quota phải là None hoặc số nguyên không âm, đang là {quota!r}")
    days = values.get("disclosure_days")
    if days is not None and not (is_int(days) and days > 0):
        found.append(f"disclosure_days phải là None hoặc số ngày làm việc dương, đang là {days!r}")
    for name in STEP_OUTPUTS:
        if not (is_int(values.get(name)) and values[name] > 0):
            found.append(f"{name} phải là số ngày làm việc dương, đang là {values.get(name)!r}")
    unknown = set(values) - set(OUTPUTS)
    if unknown:
        found.append(f"đầu ra không dùng: {', '.join(sorted(unknown))}")
    return found


def lint(files: Mapping[str, str], award_forms: Iterable[str], since: date = RULES_SINCE) -> list[str]:
    """Every problem of a bundle's decision tables, in Vietnamese, each naming the file and the form.

    Every form matches exactly one row in every set (evaluated by the engine, then every row tried,
    since UNIQUE does not check), every row serves a known form, outputs have the right types and
    ranges, and the sets' periods neither overlap nor leave a day uncovered from ``since`` on.
    """
    forms, found, tables = list(award_forms), [], []
    dmn_files = {name: text for name, text in files.items() if name.endswith(".dmn")}
    if not dmn_files:
        return ["council_rules: gói triển khai không có bảng quyết định (.dmn) nào."]
    for name, text in sorted(dmn_files.items()):
        try:
            tables.append(load_table(name, text))
        except DecisionError as exc:
            found.append(str(exc))
    ids: dict[str, str] = {}
    for table in tables:
        if table.decision_id in ids:
            found.append(f"{table.file}: mã quyết định {table.decision_id} trùng với {ids[table.decision_id]}.")
        ids.setdefault(table.decision_id, table.file)
        found += _lint_table(table, forms)
    if len(tables) == len(dmn_files):
        found += _lint_periods(sorted(tables, key=lambda t: (t.effective_from, t.file)), since)
    return found


def _lint_table(table: RuleTable, forms: list[str]) -> list[str]:
    found, used, failed = [], set(), False
    for form in forms:
        try:
            rows = table.matching_rows(form)
            used |= set(rows)
            if not rows:
                found.append(f"{table.file}, hình thức {form}: không khớp dòng nào của bảng quyết định.")
                continue
            if len(rows) > 1:
                found.append(f"{table.file}, hình thức {form}: khớp {len(rows)} dòng ({', '.join(map(str, rows))}); "
                             "UNIQUE chỉ lấy dòng đầu, mỗi hình thức phải khớp đúng một dòng.")
            table.evaluate(form)
        except DecisionError as exc:
            failed = failed or exc.__cause__ is not None  # the engine failed: which rows match is unknown
            found.append(str(exc))
    for rule in table.engine.decision_table.rules:
        if not failed and rule.row_number not in used:
            found.append(f"{table.file}, dòng {rule.row_number}: không khớp hình thức khen thưởng nào đang có.")
    return found


def _lint_periods(tables: list[RuleTable], since: date) -> list[str]:
    found = []
    for table in tables:
        if table.effective_to is not None and table.effective_to < table.effective_from:
            found.append(f"{table.file}: effective_to {table.effective_to:%d/%m/%Y} trước effective_from "
                         f"{table.effective_from:%d/%m/%Y}.")
    if tables[0].effective_from > since:
        found.append(f"{tables[0].file}: không có bộ quy tắc nào cho từ {since:%d/%m/%Y} đến "
                     f"{tables[0].effective_from - timedelta(days=1):%d/%m/%Y}.")
    for before, after in itertools.pairwise(tables):
        if before.effective_to is None or after.effective_from <= before.effective_to:
            found.append(f"{after.file}: hiệu lực từ {after.effective_from:%d/%m/%Y} chồng lên {before.file} "
                         f"(đến {'nay' if before.effective_to is None else f'{before.effective_to:%d/%m/%Y}'}).")
        elif after.effective_from > before.effective_to + timedelta(days=1):
            found.append(f"{after.file}: không có bộ quy tắc nào cho từ {before.effective_to + timedelta(days=1):%d/%m/%Y} "
                         f"đến {after.effective_from - timedelta(days=1):%d/%m/%Y}.")
    last = tables[-1]
    if last.effective_to is not None:
        found.append(f"{last.file}: bộ quy tắc cuối hết hiệu lực {last.effective_to:%d/%m/%Y}, sau đó không có bộ nào "
                     "(bỏ effective_to ở bộ đang áp dụng).")
    return found


def shipped_files() -> dict[str, str]:
    """The decision tables this release ships (``bpmn/*.dmn``, package data), name -> XML text."""
    folder = resources.files("bpmn")
    return {item.name: item.read_text(encoding="utf-8") for item in folder.iterdir() if item.name.endswith(".dmn")}


@functools.cache
def shipped() -> RuleTables:
    return load(shipped_files())


caches.register(shipped.cache_clear)


def rule_set_for(on: date | datetime, files: Mapping[str, str] | None = None) -> RuleTable:
    """The rule set in force on a day: from ``files`` (a bundle's pinned documents) or the shipped ones."""
    return (load(files) if files is not None else shipped()).rule_set_for(on)


@dataclass(frozen=True)
class DecisionRuleSet(RuleSet):
    """A version's rules when its bundle pins DMN tables: every rule the route reads comes from the table in
    force on the dossier's date (its submission; before it, the day of the step).

    The catalogue (names, subjects, display order) and the escalations stay plain data in the bundle's
    ``rules``; the legacy ``council`` and ``deadlines`` tables and the forms' ``level``/``needs_*`` fields are
    not read. Each form's row is evaluated once per table and remembered with the parsed route.
    """

    tables: RuleTables = field(default_factory=lambda: RuleTables(()))
    _rows: dict[tuple[str, str], FormRules] = field(default_factory=dict, compare=False, repr=False)

    def form_rules(self, award_form: str, on: date | datetime) -> FormRules:
        table = self.tables.rule_set_for(on)
        key = (table.decision_id, award_form)
        found = self._rows.get(key)
        if found is None:
            self.award(award_form)  # an unknown code is the user's mistake, not the table's
            found = self._rows[key] = table.evaluate(award_form)
        return found

    def date_for(self, created_at: datetime, submitted_at: datetime | None, now: datetime) -> datetime:
        """The submission (the unit head's approval) once it happened by ``now``; before it, ``now``."""
        return submitted_at if submitted_at is not None and submitted_at <= now else now

    def level(self, code: str, on: datetime) -> str:
        return self.form_rules(code, on).level

    def timed_steps(self) -> set[str]:
        return {*STEP_OUTPUTS.values(), "disclosure"}

    def routing_flags(self, code: str, on: datetime) -> dict[str, bool]:
        return self.form_rules(code, on).routing_flags()

    def council_rule(self, award_form: str, on: datetime) -> FormRules:
        rules = self.form_rules(award_form, on)
        if not rules.council_votes:
            raise Invalid("Hình thức khen thưởng này không do Hội đồng bỏ phiếu theo bộ quy tắc đang áp dụng.")
        return rules

    def step_days(self, award_form: str, on: datetime) -> dict[str, int]:
        return self.form_rules(award_form, on).step_days()


def rule_set(rules: Mapping[str, Any], files: Mapping[str, str] | None, *, checked: bool = False) -> RuleSet:
    """What a bundle's route reads: its DMN tables when it pins some, else its legacy rule tables exactly."""
    legacy = RuleSet.from_dict(dict(rules))
    if not files:
        return legacy
    return DecisionRuleSet(award_forms=legacy.award_forms, escalations=legacy.escalations,
                           tables=load(files, checked=checked))


# A stand-in for the task the engine expects: it reads task.data and task.workflow.script_engine,
# and builds its error messages from task.task_spec.bpmn_name and task.workflow.spec.file.
_SCRIPT_ENGINE = PythonScriptEngine(environment=TaskDataEnvironment({"__builtins__": {}}))


class _Spec:
    def __init__(self, file: str) -> None:
        self.name = self.bpmn_name = self.file = file


class _Workflow:
    def __init__(self, file: str) -> None:
        self.script_engine = _SCRIPT_ENGINE
        self.spec = _Spec(file)
        self.top_workflow = self
        self.parent_workflow = None


class _Task:
    def __init__(self, file: str, data: dict[str, Any]) -> None:
        self.workflow = _Workflow(file)
        self.task_spec = self.workflow.spec
        self.data = data

