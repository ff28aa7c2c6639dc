"""RQ jobs: small importable functions taking ids, idempotent, safe to retry.

Each one runs a sweep through the service layer; running it twice, or in several workers at
once, does the work once (the database decides, see ``workflows.services.fire_batch``).
"""

from __future__ import annotations

import logging

from rq import Retry

from workflows import services
from workflows.services import digest, outbox, registry_import, reports, round_deadline

from .runtime import database

log = logging.getLogger(__name__)

# Retries declared per job, for one-off enqueues (``enqueue`` below: the benchmark, an operator);
# the scheduler's periodic runs retry by running again one interval later. Immediate retries need no
# RQ scheduler: workers run without ``--with-scheduler``, whose forked scheduler outlives a SIGKILLed
# worker and hides its death from the supervisor (honcho never restarts it).
RETRIES = {
    "fire_due_timers": Retry(max=3),
    "deliver_outbox": Retry(max=3),
    "open_quarterly_reports": Retry(max=5),
    "remind_quarterly_reports": Retry(max=3),
    "sweep_rounds": Retry(max=3),
    "send_digests": Retry(max=3),
    "import_registry": Retry(max=1),
    "resume_registry_imports": Retry(max=3),
}


def fire_due_timers(limit: int = 5000) -> int:
    """Fire every timer that is due (up to ``limit`` nominations); returns how many fired."""
    fired = services.fire_due_timers(database(), limit)
    if fired:
        log.info("fired %d timers", fired)
    return fired


def deliver_outbox(limit: int = 50) -> int:
    db = database()
    if not db.settings.smtp_host:
        return 0
    return outbox.deliver(db, outbox.smtp_sender(db.settings), limit)


def remind_quarterly_reports() -> int:
    """Reminders and escalations for quarterly reports; each sent once per report."""
    return reports.remind_due(database())


def open_quarterly_reports() -> int:
    """Open this quarter's report for every unit; a rerun creates nothing new."""
    return reports.create_for_quarter(database())


def sweep_rounds() -> int:
    """Council rounds: reminders to members who have not voted, and the end of voting at the deadline."""
    return round_deadline.sweep(database())


def send_digests() -> int:
    """The daily notification digests (from 07:00 Vietnam time); each user's day is written once."""
    return digest.send_digests(database())


def import_registry(import_id: int) -> dict:
    """A registry CSV import the secretariat started: all rows or none (a second run finds it claimed)."""
    return registry_import.execute(database(), import_id)


def resume_registry_imports() -> int:
    """Registry imports whose worker died or whose Redis job was lost: queued again, then run here."""
    return registry_import.resume_stalled(database())


def enqueue(queue, name: str, *args: object):
    """Enqueue a job of this module by name, with its declared retries."""
    return queue.enqueue(f"{__name__}.{name}", *args, retry=RETRIES[name], job_timeout=600)
