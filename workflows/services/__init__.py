"""The one way in: every state change is a function of this package.

Each is one transaction: lock the nomination, re-check that the task is READY and the caller's,
act through the engine, then write the state, the inbox projection, the timers and the audit
trail together — or change nothing at all. The web app and the workers call only these.
"""

from workflows.services.ballot import close_vote
from workflows.services.firing import fire_batch, fire_due_timers, fire_timers_of
from workflows.services.nominations import MAX_RETURNS, add_attachment, complete_task, create_nomination
from workflows.services.transaction import Outcome, load_actor, lock_nomination, route_context

__all__ = [
    "MAX_RETURNS",
    "Outcome",
    "add_attachment",
    "close_vote",
    "complete_task",
    "create_nomination",
    "fire_batch",
    "fire_due_timers",
    "fire_timers_of",
    "load_actor",
    "lock_nomination",
    "route_context",
]
