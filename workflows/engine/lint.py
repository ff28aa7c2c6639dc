"""One lint for a route bundle against the contract the services rely on.

Run at deploy (a violation refuses the version) and in the test suite over the shipped bundle.
Each violation names the element it is about, so an admin editing the diagram knows where to look.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from workflows.domain.calendar import WorkingCalendar
from workflows.domain.labels import ROLES
from workflows.engine.contract import _B, HOOKS, MESSAGES, OUTSIDE_RESULT, TIMER_KINDS
from workflows.engine.route import PROCESS_ID, Route
from workflows.engine.scripting import RouteContext

OUTCOMES = frozenset({"awarded", "rejected", "withdrawn", "submitted"})  # the ends a route may reach
DOSSIER_KEYS = frozenset({"award_form", "nominee_kind", "nominee_name"})  # what the dossier hook reads
# What services.outside reads of the outside result's form, and the results it knows.
OUTSIDE_KEYS = frozenset({"result", "decision_number", "decision_date", "issuer", "reason"})
OUTSIDE_RESULTS = ["awarded", "refused"]
_OUTCOME_SCRIPT = re.compile(r"""^\s*outcome\s*=\s*["']([a-z_]+)["']\s*$""")
_FLOW_NODES = ("startEvent", "endEvent", "userTask", "scriptTask", "serviceTask", "task", "businessRuleTask",
               "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "boundaryEvent",
               "intermediateCatchEvent", "intermediateThrowEvent", "callActivity", "subProcess", "manualTask",
               "sendTask", "receiveTask")


def lint(route: Route) -> list[str]:
    """Every violation of the contract, as ``"<element id>: <what is wrong>"`` (empty when the route is sound)."""
    found: list[str] = []
    found += _lanes(route)
    found += _steps(route)
    found += _waits(route)
    found += _timers(route)
    found += _paths(route)
    found += _rules(route)
    return found


def _lanes(route: Route) -> list[str]:
    return [f"{lane}: làn phải khai báo vai trò (role) hợp lệ, đang là {role!r}."
            for lane, role in route.contract.lanes.items() if role not in ROLES]


def _steps(route: Route) -> list[str]:
    found = []
    ballots = [s.id for s in route.steps.values() if s.hook in ("ballot", "round")]
    if len(ballots) > 1:
        found.append(f"{ballots[1]}: quy trình chỉ có một bước bỏ phiếu (đã có {ballots[0]}).")
    waits = [s.id for s in route.steps.values() if s.hook == "decision"]
    if len(waits) > 1:
        found.append(f"{waits[1]}: quy trình chỉ có một bước chờ quyết định (đã có {waits[0]}).")
    for step in route.steps.values():
        where = step.id
        if step.role not in ROLES:
            found.append(f"{where}: công việc phải nằm trong một làn có vai trò hợp lệ.")
        if not step.form or step.form not in route.forms:
            found.append(f"{where}: biểu mẫu {step.form!r} không có trong gói triển khai.")
            continue
        if step.hook not in HOOKS:
            found.append(f"{where}: thuộc tính hook phải là một trong {', '.join(HOOKS)}, đang là {step.hook!r}.")
            continue
        fields = set(route.forms.field_names(step.form))
        if step.hook == "dossier" and not fields >= DOSSIER_KEYS:
            found.append(f"{where}: biểu mẫu hồ sơ thiếu trường {', '.join(sorted(DOSSIER_KEYS - fields))}.")
        if step.hook == "review":
            found += _review(route, step)
        if step.hook == "ballot":
            if not step.parallel or not step.collection or not step.item or not step.completion:
                found.append(f"{where}: bước bỏ phiếu phải là đa phiên song song có tập thành viên và điều kiện kết thúc.")
            if list(route.forms.choices(step.form, "vote")) != ["agree", "disagree"]:
                found.append(f"{where}: phiếu bầu phải có trường vote với đúng hai lựa chọn agree, disagree.")
        elif step.parallel:
            found.append(f"{where}: chỉ bước bỏ phiếu được là đa phiên song song.")
        if step.hook == "round" and step.role != "secretariat":
            found.append(f"{where}: bước chờ đợt xét của Hội đồng phải thuộc làn bộ phận thường trực (secretariat).")
        if step.hook == "decision":
            found += _decision(route, step)
    return found


def _decision(route: Route, step) -> list[str]:
    """A wait for a decision: the secretariat's, completed by the service with approve or with its return."""
    where, found = step.id, []
    if step.role != "secretariat":
        found.append(f"{where}: bước chờ quyết định phải thuộc làn bộ phận thường trực (secretariat).")
    if "approve" not in step.decisions or not step.returns or step.returns not in step.decisions:
        found.append(f"{where}: bước chờ quyết định phải khai báo decisions có approve và returns (quyết định trả lại).")
    offered = list(route.forms.choices(step.form, "decision"))
    if sorted(offered) != sorted(step.decisions):
        found.append(f"{where}: decisions {' '.join(step.decisions)} khác lựa chọn của biểu mẫu ({' '.join(offered)}).")
    if step.signature_deadline and step.signature_deadline not in route.rules.timed_steps():
        found.append(f"{where}: signatureDeadline={step.signature_deadline!r} không có trong bảng thời hạn các bước.")
    return found


def _review(route: Route, step) -> list[str]:
    where, found = step.id, []
    if not step.decisions:
        return [f"{where}: bước duyệt phải khai báo decisions."]
    offered = list(route.forms.choices(step.form, "decision"))
    if sorted(offered) != sorted(step.decisions):
        found.append(f"{where}: decisions {' '.join(step.decisions)} khác lựa chọn của biểu mẫu ({' '.join(offered)}).")
    if step.returns and step.returns not in step.decisions:
        found.append(f"{where}: returns={step.returns!r} không nằm trong decisions.")
    if step.opens_ballot:
        target = route.steps.get(step.opens_ballot)
        if target is None or target.hook != "ballot":
            found.append(f"{where}: opensBallot={step.opens_ballot!r} không phải bước bỏ phiếu.")
    return found


def _waits(route: Route) -> list[str]:
    """Each message wait catches a message a service delivers, keeps its payload, and is the only one for it."""
    found, seen = [], {}
    for wait in route.contract.waits.values():
        where = wait.id
        if wait.message not in MESSAGES:
            found.append(f"{where}: chỉ chờ được thông điệp mà hệ thống gửi ({', '.join(MESSAGES)}), "
                         f"đang là {wait.message!r}.")
            continue
        if wait.message in seen:
            found.append(f"{where}: thông điệp {wait.message!r} đã được chờ ở {seen[wait.message]}.")
        seen[wait.message] = wait.id
        if not wait.variable:
            found.append(f"{where}: phải khai báo spiffworkflow:messageVariable để kết quả vào dữ liệu quy trình.")
        if wait.message == OUTSIDE_RESULT:
            if wait.role != "secretariat":
                found.append(f"{where}: bước chờ kết quả của cấp trên phải thuộc làn bộ phận thường trực (secretariat).")
            if not wait.form or wait.form not in route.forms:
                found.append(f"{where}: biểu mẫu {wait.form!r} không có trong gói triển khai.")
                continue
            fields = set(route.forms.field_names(wait.form))
            if not fields >= OUTSIDE_KEYS:
                found.append(f"{where}: biểu mẫu kết quả thiếu trường {', '.join(sorted(OUTSIDE_KEYS - fields))}.")
            elif sorted(route.forms.choices(wait.form, "result")) != OUTSIDE_RESULTS:
                found.append(f"{where}: trường result phải có đúng hai lựa chọn {', '.join(OUTSIDE_RESULTS)}.")
    return found


def _timers(route: Route) -> list[str]:
    found = []
    context = RouteContext(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), WorkingCalendar(), lambda _step: 5)
    environment = context.script_engine().environment
    for timer in route.contract.timers.values():
        if timer.kind not in TIMER_KINDS:
            found.append(f"{timer.id}: timerKind phải là một trong {', '.join(TIMER_KINDS)}, đang là {timer.kind!r}.")
        if timer.watches is not None and timer.watches in route.contract.waits:
            if timer.kind != "reminder":
                found.append(f"{timer.id}: hẹn giờ gắn vào bước chờ chỉ được là nhắc (reminder).")
        elif timer.watches is not None and timer.watches not in route.steps:
            found.append(f"{timer.id}: chỉ gắn hẹn giờ vào công việc của người dùng hoặc bước chờ thông điệp.")
        if timer.repeats and (timer.watches is None or timer.interrupting):
            found.append(f"{timer.id}: hẹn giờ lặp (timeCycle) phải là sự kiện biên không ngắt (cancelActivity=\"false\").")
        try:
            value = environment.evaluate(timer.expression or "", {})
            parsed = TimerEventDefinition.parse_time_or_duration(value)
        except Exception as exc:  # any error in an admin's expression is a lint finding, not a crash
            found.append(f"{timer.id}: biểu thức hẹn giờ {timer.expression!r} lỗi: {type(exc).__name__}: {exc}")
            continue
        if not isinstance(parsed, datetime) or parsed.tzinfo is None:
            found.append(f"{timer.id}: hẹn giờ phải cho một thời điểm có múi giờ (timeDate), được {value!r}.")
        elif timer.repeats and parsed <= context.now:
            found.append(f"{timer.id}: hẹn giờ lặp phải cho thời điểm sau lúc tính (lần kế tiếp), được {value!r}.")
    return found


def _paths(route: Route) -> list[str]:
    """Every node is reached from a start, and from every node an end is reached."""
    root = etree.fromstring(route.bundle.bpmn_xml.encode("utf-8"))
    process = next(p for p in root.iter(f"{_B}process") if p.get("id") == PROCESS_ID)
    kinds = {}
    for tag in _FLOW_NODES:
        for node in process.iter(f"{_B}{tag}"):
            kinds[node.get("id")] = tag
    forward: dict[str, set[str]] = defaultdict(set)
    for flow in process.iter(f"{_B}sequenceFlow"):
        forward[flow.get("sourceRef")].add(flow.get("targetRef"))
    for boundary in process.iter(f"{_B}boundaryEvent"):
        forward[boundary.get("attachedToRef")].add(boundary.get("id"))
    backward: dict[str, set[str]] = defaultdict(set)
    for source, targets in forward.items():
        for target in targets:
            backward[target].add(source)
    starts = [n for n, kind in kinds.items() if kind == "startEvent"]
    ends = [n for n, kind in kinds.items() if kind == "endEvent"]
    reached, ending = _closure(starts, forward), _closure(ends, backward)
    found = [f"{n}: không đến được từ sự kiện bắt đầu." for n in kinds if n not in reached]
    found += [f"{n}: từ đây không đến được sự kiện kết thúc." for n in kinds if n in reached and n not in ending]
    for script in process.iter(f"{_B}scriptTask"):
        match = _OUTCOME_SCRIPT.match(script.findtext(f"{_B}script") or "")
        if match and match.group(1) not in OUTCOMES:
            found.append(f"{script.get('id')}: kết quả {match.group(1)!r} không thuộc {', '.join(sorted(OUTCOMES))}.")
    return found


def _closure(seeds: list[str], edges: dict[str, set[str]]) -> set[str]:
    seen, todo = set(seeds), list(seeds)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _rules(route: Route) -> list[str]:
    rules, found = route.rules, []
    for award in rules.award_forms.values():
        if award.needs_vote and award.level != "unit" and not any(r.award_form == award.code for r in rules.council):
            found.append(f"{award.code}: hình thức cần Hội đồng bỏ phiếu nhưng chưa có ngưỡng biểu quyết.")
    for deadline in rules.deadlines:
        if deadline.working_days <= 0:
            found.append(f"{deadline.step}: thời hạn phải là số ngày làm việc dương.")
    for role, superiors in rules.escalations.items():
        for superior in (role, *superiors):
            if superior not in ROLES:
                found.append(f"{superior}: vai trò trong bảng báo quá hạn không tồn tại.")
    return found
