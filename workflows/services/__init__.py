"""The one way in: every state change is a function of this package.

Each nomination command is one unit of work (:class:`~.unit_of_work.NominationStep`): lock the
nominations it changes, re-check that the task is READY and the caller's, act through the engine,
then write the state, the inbox projection, the timers and the audit trail together — or change
nothing at all. Other state changes (accounts, calendar, reports, notifications, deploys) are short
transactions here too, each audited. The web app and the workers call only these.

May import everything in ``workflows``; never Flask, RQ or Redis.
"""

from workflows.services.ballot import close_vote
from workflows.services.drafts import delete_attachment, save_draft
from workflows.services.firing import fire_batch, fire_due_timers, fire_timers_of
from workflows.services.nominations import MAX_RETURNS, add_attachment, complete_task, create_nomination
from workflows.services.outside import record_outside_result
from workflows.services.unit_of_work import NominationStep, Outcome

__all__ = [
    "MAX_RETURNS",
    "NominationStep",
    "Outcome",
    "add_attachment",
    "close_vote",
    "complete_task",
    "create_nomination",
    "delete_attachment",
    "fire_batch",
    "fire_due_timers",
    "fire_timers_of",
    "record_outside_result",
    "save_draft",
]
