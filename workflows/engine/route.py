"""A deployed route: the parsed diagram with its contract, forms and rules, parsed once per process.

A :class:`Bundle` is what a process-model version pins: the BPMN, the forms, the rule data and the
DMN decision tables, hashed together. :func:`get_route` parses a bundle at most once per process and caches the result
by hash; the cache may make a step faster, never different (see :mod:`workflows.caches`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from workflows import caches
from workflows.domain.forms import FormSet
from workflows.domain.rules import RuleSet
from workflows.engine import contract as contracts
from workflows.engine import decisions
from workflows.engine.cycles import use_working_day_cycles

PROCESS_ID = "nomination"


class RouteError(ValueError):
    """The bundle cannot be deployed: schema, parse or contract errors, each naming its element."""

    def __init__(self, message: str, violations: list[str] | None = None) -> None:
        super().__init__(message)
        self.violations = violations or [message]


@dataclass(frozen=True)
class Bundle:
    """What a version pins: the BPMN document, its forms (name -> JSON Schema), its rule data and its DMN tables.

    ``decisions`` maps a DMN file name to its XML (``bpmn/*.dmn``). Versions deployed before the rules
    moved to DMN have none: their ``rules`` hold the legacy tables, which their route keeps reading.
    """

    bpmn_xml: str
    forms: dict[str, dict[str, Any]]
    rules: dict[str, Any]
    decisions: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """One hash over the parts, canonically encoded, so any change makes a new version.

        A bundle without DMN hashes exactly as before ("v": 1), so a stored legacy version keeps its hash.
        """
        parts: dict[str, Any] = {"bpmn": self.bpmn_xml, "forms": self.forms, "rules": self.rules, "v": 1}
        if self.decisions:
            parts |= {"decisions": self.decisions, "v": 2}
        body = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass
class Route:
    sha256: str
    spec: Any
    subprocess_specs: dict
    contract: contracts.Contract
    forms: FormSet
    rules: RuleSet
    bundle: Bundle

    @property
    def steps(self) -> dict[str, contracts.Step]:
        return self.contract.steps

    @property
    def titles(self) -> dict[str, str]:
        return self.contract.titles


def parse(bundle: Bundle, sha256: str | None = None, *, deployed: bool = False) -> Route:
    """Validate (the BPMN against its XSD, the forms against JSON Schema's meta-schema) and parse a bundle, or
    raise :class:`RouteError`. The contract is linted at deploy.

    ``deployed``: the bundle is a stored version, which passed every check when it was deployed (and its row is
    the source of truth), so the two document validations, three quarters of a parse, are not repeated by each
    process that reads it.
    """
    parser = SpiffBpmnParser(validator=None if deployed else BpmnValidator())
    try:
        parser.add_bpmn_str(bundle.bpmn_xml.encode("utf-8"))
        spec = parser.get_spec(PROCESS_ID)
        subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
    except Exception as exc:  # the library raises many types for a bad document
        raise RouteError(str(exc)) from exc
    for process_spec in (spec, *subprocess_specs.values()):
        _wire_loop_tasks(process_spec)
        use_working_day_cycles(process_spec)  # a timeCycle repeats in working days (see .cycles)
    try:
        forms = FormSet(bundle.forms, checked=deployed)
    except ValueError as exc:
        raise RouteError(str(exc)) from exc
    try:
        rules = decisions.rule_set(bundle.rules, bundle.decisions, checked=deployed)
    except decisions.DecisionError as exc:
        raise RouteError(str(exc)) from exc
    return Route(sha256=sha256 or bundle.sha256, spec=spec, subprocess_specs=subprocess_specs,
                 contract=contracts.read(bundle.bpmn_xml, PROCESS_ID), forms=forms, rules=rules, bundle=bundle)


def _wire_loop_tasks(process_spec) -> None:
    """Connect each multi-instance task to its children's completion, as restoring a spec does.

    The library connects a child spec's ``completed_event`` to its loop's ``merge_child`` only
    when the loop first creates children (``create_child``) or when a spec is deserialized. A
    route parsed in a process that never started that loop (another web worker, an RQ worker, a
    restart during the vote) would otherwise restore a ballot whose completed votes never reach
    the parent: the last vote completes and nothing moves. Wiring it at parse time makes every
    process's route the same, whatever it has run.
    """
    for task_spec in process_spec.task_specs.values():
        if isinstance(task_spec, LoopTask):
            child = process_spec.task_specs[task_spec.task_spec]
            if not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


_routes: dict[str, Route] = {}
_routes_lock = threading.Lock()


@caches.register
def _forget_routes() -> None:
    with _routes_lock:
        _routes.clear()


def get_route(sha256: str, load: Callable[[], Bundle]) -> Route:
    """The parsed route of a deployed version, parsed at most once per process (``load`` reads the bundle on a miss)."""
    route = _routes.get(sha256)
    if route is None:
        with _routes_lock:
            route = _routes.get(sha256)
            if route is None:
                route = _routes[sha256] = parse(load(), sha256, deployed=True)
    return route
