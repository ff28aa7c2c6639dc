"""The one scheduler process: ``python -m workers.scheduler``.

With ``REDIS_URL`` it runs RQ's cron scheduler, which enqueues the jobs below for RQ workers
(``rq worker vinhdanh``). Without Redis (embedded mode, ``make run``) it runs the same job
functions itself. Either way the sweep reads the database's timer table, so a timer whose
Redis job was lost still fires at the next sweep. Never start this from the web app.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import time
from collections.abc import Callable

from redis import Redis
from rq.cron import CronScheduler

from workflows import config

from . import QUEUE, jobs

SWEEP_SECONDS = int(os.environ.get("TIMER_SWEEP_SECONDS", "5"))  # the longest a due timer waits

# (job, every so many seconds)
SCHEDULE: list[tuple[Callable[[], int], int]] = [
    (jobs.fire_due_timers, SWEEP_SECONDS),
    (jobs.deliver_outbox, 15),
    (jobs.open_quarterly_reports, 3600),
    (jobs.remind_quarterly_reports, 300),
    (jobs.sweep_rounds, 60),
    (jobs.send_digests, 600),  # acts once a day, from 07:00 Vietnam time
    (jobs.resume_registry_imports, 60),
]

log = logging.getLogger("workers.scheduler")


def cron_scheduler(connection: Redis) -> CronScheduler:
    scheduler = CronScheduler(connection=connection, name="vinhdanh-scheduler")
    # A periodic sweep is its own retry: a failed run stays in the failed-job registry (the admin
    # page shows it) and the next run, one interval later, does the same work from the database.
    for func, every in SCHEDULE:
        scheduler.register(func, QUEUE, interval=every, job_timeout=600, failure_ttl=7 * 24 * 3600)
    return scheduler


def run_embedded(stop_after: float | None = None) -> None:
    """Run the schedule in this process; ``stop_after`` seconds bound it (for tests)."""
    stopping = False

    def _stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    started = time.monotonic()
    next_run = {func: 0.0 for func, _ in SCHEDULE}
    while not stopping and (stop_after is None or time.monotonic() - started < stop_after):
        for func, every in SCHEDULE:
            if time.monotonic() >= next_run[func]:
                try:
                    func()
                except Exception:  # keep the schedule alive; the next round retries
                    log.exception("scheduled job %s failed", func.__name__)
                next_run[func] = time.monotonic() + every
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedded", action="store_true", help="run jobs in this process even if REDIS_URL is set")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    redis_url = config.redis_url()
    if redis_url and not args.embedded:
        log.info("scheduling on RQ (queue %s)", QUEUE)
        cron_scheduler(Redis.from_url(redis_url)).start()
    else:
        log.info("embedded mode: running jobs in this process every %ss", SWEEP_SECONDS)
        run_embedded()


if __name__ == "__main__":
    main()
