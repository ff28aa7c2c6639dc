"""SpiffWorkflow behind a small interface: parse a version bundle once, run instances, serialize them.

- :mod:`.route`: a bundle (BPMN, forms, rule data, DMN tables) parsed and cached per hash, with its contract.
- :mod:`.contract`: what the services rely on, read from the elements' extension properties.
- :mod:`.lint`: checks a bundle against that contract at deploy and in the tests.
- :mod:`.runtime`: start, act, fire timers, serialize without the spec.
- :mod:`.scripting`: what the route's expressions may call (deadlines in working days).
- :mod:`.clocked`: the engine reads the product's clock.
- :mod:`.cycles`: repeating timers whose periods are counted in working days.
- :mod:`.decisions`: council rules as DMN tables (one per legal basis, picked by date), evaluated by
  SpiffWorkflow's DMN engine, with their lint; :class:`~.decisions.DecisionRuleSet` is what a route
  with DMN reads its rules from.

May import SpiffWorkflow, lxml and ``workflows.domain``; never SQLAlchemy, Flask, RQ or Redis.
"""

from workflows.engine import clocked  # noqa: F401  (routes the engine's "now" through the product clock)
from workflows.engine.route import PROCESS_ID, Bundle, Route, RouteError, get_route, parse
from workflows.engine.runtime import (
    SERIALIZER_VERSION,
    PendingTimer,
    assignee_of,
    deliver,
    dumps,
    ending_task,
    find_ready_task,
    fire_due_timers,
    loads,
    outcome,
    pending_timers,
    ready_children_of,
    ready_user_tasks,
    reevaluate_timer,
    run_task,
    start,
    timer_due,
    timer_fired,
    waiting_at,
)

__all__ = [
    "PROCESS_ID",
    "SERIALIZER_VERSION",
    "Bundle",
    "PendingTimer",
    "Route",
    "RouteError",
    "assignee_of",
    "deliver",
    "dumps",
    "ending_task",
    "find_ready_task",
    "fire_due_timers",
    "get_route",
    "loads",
    "outcome",
    "parse",
    "pending_timers",
    "ready_children_of",
    "ready_user_tasks",
    "reevaluate_timer",
    "run_task",
    "start",
    "timer_due",
    "timer_fired",
    "waiting_at",
]
