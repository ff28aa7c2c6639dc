"""The route's contract: what the services rely on, declared on the BPMN elements.

Each element carries ``spiffworkflow:properties`` (the extension SpiffWorkflow's modeler writes):

- a lane: ``role`` (a role code; the lane's user tasks belong to that role);
- a user task: ``formJsonSchemaFilename``, ``hook`` (``dossier``: edits the dossier; ``review``: a
  decision among ``decisions``, of which ``returns`` counts as a return for supplementation, and
  ``opensBallot`` names the ballot an approval may lead to; ``ballot``: one secret vote per member,
  on a parallel multi-instance task, as versions before council rounds had it; ``round``: the dossier
  waits in the secretariat's hands for a council round, whose close completes it with the result;
  ``decision``: the dossier waits in the secretariat's hands for the decision or submission that
  covers it and several others, whose signature (and, for a decision, registration) completes it
  with ``approve``, or whose return completes it with its ``returns`` decision; ``signatureDeadline``
  names the step deadline that times the signature);
- a timer boundary event: ``timerKind`` (``reminder``, ``escalation`` or ``window``); a ``timeCycle``
  repeats, each next time computed by its expression in working days (:mod:`.cycles`);
- a message wait (a receive task or an intermediate catch event with a message): the message it
  catches, named by ``messageRef`` (one of :data:`MESSAGES`, the messages a service delivers), the
  variable its payload lands in (``spiffworkflow:messageVariable``) and the form the payload is
  validated against (``formJsonSchemaFilename``); its lane says who delivers it.

Nothing is inferred from element ids: a renamed step keeps working, a missing declaration is a
lint error naming the element (:mod:`workflows.engine.lint`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
HOOKS = ("dossier", "review", "ballot", "round", "decision")
TIMER_KINDS = ("reminder", "escalation", "window")
# The messages a service delivers to a waiting instance (the service named after each).
OUTSIDE_RESULT = "outside_result"  # the decision (or refusal) of the Prime Minister / the President: services.outside
MESSAGES = (OUTSIDE_RESULT,)
_B = f"{{{BPMN_NS}}}"


@dataclass(frozen=True)
class Step:
    """A user task as the services see it."""

    id: str
    title: str
    role: str | None
    form: str | None  # the form's name (its file without ``.schema.json``)
    hook: str | None
    decisions: tuple[str, ...] = ()
    returns: str | None = None  # the decision that sends the dossier back for supplementation
    opens_ballot: str | None = None
    parallel: bool = False  # one task per item of a collection (the ballot: one per member)
    collection: str | None = None  # the multi-instance input collection
    item: str | None = None  # the variable each instance gets its item in (a member's id)
    completion: str | None = None  # the multi-instance completion condition
    signature_deadline: str | None = None  # a decision step: the step deadline the minister's signature is due by


@dataclass(frozen=True)
class TimerEvent:
    id: str
    title: str
    kind: str | None
    watches: str | None  # the task a boundary timer is attached to
    expression: str | None  # timeDate / timeDuration / timeCycle text
    absolute: bool = False  # a moment the calendar computes (timeDate, timeCycle): what a calendar change can move
    repeats: bool = False  # a timeCycle: fires once per period until its host ends
    interrupting: bool = True  # a boundary event's cancelActivity


@dataclass(frozen=True)
class Wait:
    """Where an instance waits for a message a service delivers (the outside result)."""

    id: str
    title: str
    role: str | None  # the lane's role: who delivers the message
    message: str | None  # the message name (``bpmn:message/@name``)
    variable: str | None  # where the payload lands in task data
    form: str | None  # the payload's form (its file without ``.schema.json``)


@dataclass(frozen=True)
class Contract:
    steps: dict[str, Step] = field(default_factory=dict)
    timers: dict[str, TimerEvent] = field(default_factory=dict)
    waits: dict[str, Wait] = field(default_factory=dict)
    lanes: dict[str, str | None] = field(default_factory=dict)  # lane id -> declared role
    titles: dict[str, str] = field(default_factory=dict)  # every named element, for history

    def ballot(self) -> Step | None:
        return next((s for s in self.steps.values() if s.hook == "ballot"), None)

    def round_step(self) -> Step | None:
        """The step where a dossier waits for the council's round (routes with rounds)."""
        return next((s for s in self.steps.values() if s.hook == "round"), None)

    def wait_for(self, message: str) -> Wait | None:
        """The wait that catches ``message`` (routes before it have none)."""
        return next((w for w in self.waits.values() if w.message == message), None)

    def decision_step(self) -> Step | None:
        """The step where a dossier waits for the decision that covers it (routes with batch decisions)."""
        return next((s for s in self.steps.values() if s.hook == "decision"), None)

    def dossier_form(self) -> str | None:
        """The form of the step that edits the dossier (what a new nomination is validated against)."""
        return next((s.form for s in self.steps.values() if s.hook == "dossier"), None)


def properties(element) -> dict[str, str]:
    found = {}
    for prop in element.iterfind(f"{_B}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"):
        found[prop.get("name")] = prop.get("value", "")
    return found


def read(xml: str, process_id: str) -> Contract:
    """The contract of one process in a BPMN document (the caller has already parsed it for the engine)."""
    root = etree.fromstring(xml.encode("utf-8"))
    process = next(p for p in root.iter(f"{_B}process") if p.get("id") == process_id)
    messages = {m.get("id"): m.get("name") for m in root.iter(f"{_B}message")}
    lanes: dict[str, str | None] = {}
    role_of_node: dict[str, str | None] = {}
    for lane in process.iter(f"{_B}lane"):
        role = properties(lane).get("role") or None
        lanes[lane.get("id")] = role
        for ref in lane.iterfind(f"{_B}flowNodeRef"):
            role_of_node[(ref.text or "").strip()] = role
    contract = Contract(lanes=lanes)
    for element in process.iter():
        if not isinstance(element.tag, str) or element.get("id") is None:
            continue
        element_id, name = element.get("id"), element.get("name")
        if name:
            contract.titles[element_id] = name
        if element.tag == f"{_B}userTask":
            contract.steps[element_id] = _step(element, role_of_node.get(element_id))
        elif element.tag == f"{_B}boundaryEvent" and element.find(f"{_B}timerEventDefinition") is not None:
            contract.timers[element_id] = _timer(element, element.get("attachedToRef"))
        elif element.tag in (f"{_B}intermediateCatchEvent", f"{_B}startEvent") and \
                element.find(f"{_B}timerEventDefinition") is not None:
            contract.timers[element_id] = _timer(element, None)
        if element.tag in (f"{_B}receiveTask", f"{_B}intermediateCatchEvent"):
            ref = element.get("messageRef") if element.tag == f"{_B}receiveTask" else None
            definition = element.find(f"{_B}messageEventDefinition")
            if definition is not None:
                ref = definition.get("messageRef")
            if ref is not None or definition is not None:
                contract.waits[element_id] = _wait(element, role_of_node.get(element_id), messages.get(ref))
    return contract


def _wait(element, role: str | None, message: str | None) -> Wait:
    variable = next((v.text.strip() for v in element.iter(f"{{{SPIFF_NS}}}messageVariable") if v.text), None)
    form = properties(element).get("formJsonSchemaFilename") or None
    return Wait(id=element.get("id"), title=element.get("name") or element.get("id"), role=role, message=message,
                variable=variable or None, form=form.removesuffix(".schema.json") if form else None)


def _step(element, role: str | None) -> Step:
    props = properties(element)
    form = props.get("formJsonSchemaFilename") or None
    loop = element.find(f"{_B}multiInstanceLoopCharacteristics")
    parallel = loop is not None and loop.get("isSequential", "false") != "true"
    collection = completion = item = None
    if loop is not None:
        collection = (loop.findtext(f"{_B}loopDataInputRef") or "").strip() or None
        input_item = loop.find(f"{_B}inputDataItem")
        item = input_item.get("id") if input_item is not None else None
        completion = (loop.findtext(f"{_B}completionCondition") or "").strip() or None
    return Step(
        id=element.get("id"),
        title=element.get("name") or element.get("id"),
        role=role,
        form=form.removesuffix(".schema.json") if form else None,
        hook=props.get("hook") or None,
        decisions=tuple(props.get("decisions", "").split()),
        returns=props.get("returns") or None,
        opens_ballot=props.get("opensBallot") or None,
        parallel=parallel,
        collection=collection,
        item=item,
        completion=completion,
        signature_deadline=props.get("signatureDeadline") or None,
    )


def _timer(element, watches: str | None) -> TimerEvent:
    definition = element.find(f"{_B}timerEventDefinition")
    expression, absolute, repeats = None, False, False
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        text = definition.findtext(f"{_B}{tag}")
        if text is not None:
            expression, absolute, repeats = text.strip(), tag in ("timeDate", "timeCycle"), tag == "timeCycle"
    return TimerEvent(id=element.get("id"), title=element.get("name") or element.get("id"),
                      kind=properties(element).get("timerKind") or None, watches=watches, expression=expression,
                      absolute=absolute, repeats=repeats, interrupting=element.get("cancelActivity", "true") != "false")
