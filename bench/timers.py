"""Timer benchmark: how fast due timers fire through real RQ workers, and how late they fire.

Timers are the one part of the product that runs without a user: ``workers.scheduler`` enqueues
``workers.jobs.fire_due_timers`` every ``TIMER_SWEEP_SECONDS`` (default 5), and ``rq worker``
processes run it (``services.fire_due_timers`` -> ``services.fire_batch``: one unit of work per batch
of due nominations nobody else holds, each locked, its engine state restored, its due timers fired,
and its timer rows, notifications, audit events and state written, with a savepoint per nomination).
This benchmark runs exactly that code in real processes -- the Procfile's ``worker`` and ``scheduler``
commands, read from it at run time (``rq worker --url $REDIS_URL --worker-class rq.worker.SimpleWorker
vinhdanh`` and
``python -m workers.scheduler``) -- on a real PostgreSQL database and a real Redis, and measures:

1. **burst**: N timers (default 10,000) due at the same moment, already due when the workers start
   (reminders are all due at 08:00 on a working day, so a burst is the normal morning). The work is
   enqueued before the workers start as K ``fire_due_timers`` jobs (``--limit`` nominations each,
   ``workers`` jobs per batch) so that the workers share the work; each job takes due nominations in
   small batches locked ``FOR UPDATE SKIP LOCKED``, so concurrent jobs take different nominations.
   ``--burst-via scheduler`` enqueues nothing and lets the real scheduler's sweeps do it, as in
   production. If the queue runs dry while timers are still due, one more job
   is enqueued (counted as a mop-up). Measured: seconds from starting the workers to the last
   timer row leaving "pending" (target <= 60 s), timers per
   second, worker CPU per timer and the machine's CPU use, and correctness: each timer row leaves
   "pending" exactly once (a trigger in the bench database logs every exit, one small INSERT per
   fired timer, and its time is the burst's end), one audit event and one
   notification per fired timer, no nomination with more reminder/escalation events than fired
   timers of that kind, no timer "cancelled", and every copied nomination's audit chain verifies.
   Where the CPU went: the workers', the PostgreSQL backends' and the rest of the machine's, per
   timer, and the busiest processes (the machine may be shared). ``--burst-via scheduler`` instead
   enqueues nothing and lets the real scheduler's sweeps do the work, as production would.
   By default N timers = N nominations with ONE due timer each (the draft reminder; the draft
   escalation is moved a year ahead): the cost of firing is per nomination (state restored and
   saved), so this is the harder case. ``--per-nomination 2`` makes both timers due: N/2
   nominations x 2 timers.
2. **trickle**: timers due at a steady rate (5 per second for 60 s, 20 s with ``--quick``), spread
   in real time, while the workers and the real scheduler run (once per ``--sweeps`` value, each
   setting TIMER_SWEEP_SECONDS for the scheduler; default 5 and 1). Firing lag = ``timers.closed_at``
   (the firing transaction's clock, taken when it starts) - ``timers.due_at``: p50, p95, max; the lag
   to the row's update inside that transaction (trigger time, close to its commit) is given too.
3. **profile** (when the burst misses its target, or with ``--profile``): ``services.fire_timers_of``
   in this process over a fresh copy set, first timed (ms and SQL statements per fired timer), then
   under cProfile: top cumulative entries, self time by package and a breakdown by function; also
   the SQL of one fire and the cost of a call that finds nothing due (what the second worker's
   visits to an already fired nomination cost).

Getting 10,000 due timers fast: one template nomination is created through the service with the
clock frozen 60 days back (``clock.frozen``), so its draft reminder and escalation timers exist
(their due times computed by the route's working-day expressions). Its rows (nominations,
instance_states, task_items, timers, audit_events) are then bulk-copied with fresh ids. In each copy
every uuid of the template's serialized state is replaced by a fresh uuid4 (one mapping per copy,
used for the copied ``task_items``/``timers`` rows too, as both ``task_uuid`` columns are unique and
must name the engine's tasks), and the timers' ``event_value`` (the ISO due time the engine fires
on, in the task's internal data) is rewritten to the wanted instant, the same one written to the
``timers.due_at`` column; a few copies are restored through the engine to check that the engine's
pending timers and the table agree. The audit events are re-pointed at the new nomination and their
hash chain is recomputed (with ``workflows.persistence.audit``'s own digest), with ``audit_seq``/``audit_hash``
set to the new head, so ``verify_chain`` holds for the copies after firing.

Everything runs in a dedicated PostgreSQL database (``vinhdanh_bench_timers``, created from
``--pg-url``, dropped at the end) and a dedicated Redis database (``--redis-url``, default db 13,
emptied with FLUSHDB before and after; no other Redis database is touched). The worker and scheduler
processes are stopped at the end, on failure too; their logs are printed when something fails.

Usage: ``python bench/timers.py [--n 10000] [--workers 2] [--quick] [--per-nomination 1|2]
[--burst-via jobs|scheduler] [--limit 500] [--sweeps 5,1|none] [--profile]``. The last line of
output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import pstats
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402
from rq import Queue  # noqa: E402
from rq.job import Job  # noqa: E402
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry  # noqa: E402
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition  # noqa: E402
from sqlalchemy import event, insert, select, text  # noqa: E402

from bench.common import DOSSIER, fresh_database  # noqa: E402
from workers import jobs, scheduler  # noqa: E402
from workflows import engine, services  # noqa: E402
from workflows.domain import clock  # noqa: E402
from workflows.domain.clock import VN_TZ  # noqa: E402
from workflows.persistence import audit, versions  # noqa: E402
from workflows.persistence.db import Database  # noqa: E402
from workflows.persistence.model import AuditEvent, Base, InstanceState, Nomination, Timer, User  # noqa: E402
from workflows.services import demo  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
BENCH_DATABASE = "vinhdanh_bench_timers"
QUEUE = scheduler.QUEUE
JOB_LIMIT = 5000  # the default limit of jobs.fire_due_timers / services.fire_due_timers
TARGET_S = 60.0
FAR = timedelta(days=365)  # where a timer that must not fire is moved
TABLES = ("nominations", "instance_states", "task_items", "timers", "audit_events")
TIMER_ACTIONS = {"reminder": "reminder_sent", "escalation": "escalated"}
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# Logs every exit of a timer row from "pending" (bench database only): a double fire shows as two.
EXIT_LOG_DDL = [
    "CREATE TABLE bench_timer_exits (timer_id integer NOT NULL, new_state text NOT NULL, "
    "at timestamptz NOT NULL DEFAULT clock_timestamp())",
    "CREATE FUNCTION bench_log_timer_exit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO bench_timer_exits (timer_id, new_state) VALUES (OLD.id, NEW.state); RETURN NEW; END $$",
    "CREATE TRIGGER bench_timer_exit AFTER UPDATE ON timers FOR EACH ROW "
    "WHEN (OLD.state = 'pending' AND NEW.state IS DISTINCT FROM 'pending') EXECUTE FUNCTION bench_log_timer_exit()",
]


def _log(line: str) -> None:
    print(line, flush=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _pct(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of ``values`` (None if empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


# --- database and redis ----------------------------------------------------------------------

@contextmanager
def postgres_database(admin_url: str) -> Iterator[Database]:
    """A fresh bench database with the schema, reference data, route and demo people; dropped on exit."""
    with fresh_database(admin_url, BENCH_DATABASE) as db:
        demo.seed_people(db)
        with db.engine.begin() as conn:
            for ddl in EXIT_LOG_DDL:
                conn.exec_driver_sql(ddl)
        yield db


def settle(db: Database) -> None:
    """After a bulk load: fresh statistics, and vacuum/checkpoint done now rather than while measuring."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
        conn.exec_driver_sql("CHECKPOINT")


def commits(db: Database) -> int:
    """Transactions committed in the bench database so far (see ``run_burst`` for what counts)."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")
        conn.commit()
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        return conn.exec_driver_sql(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").scalar()


def scalar(db: Database, sql: str, **params) -> object:
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


# --- the template and its copies -------------------------------------------------------------

@dataclass
class Template:
    """One nomination's rows, and its serialized state cut at every uuid and timer due time."""

    rows: dict[str, list[dict]]
    parts: list[str]  # literal, slot, literal, slot, ..., literal
    uuids: list[str]
    timer_kinds: dict[str, str]  # "event_value" token of the state -> timer kind

    def render(self, mapping: dict[str, str], dues: dict[str, datetime]) -> str:
        out = self.parts[:]
        for i in range(1, len(out), 2):
            slot = out[i]
            kind = self.timer_kinds.get(slot)
            out[i] = mapping[slot] if kind is None else f'"event_value":"{dues[kind].astimezone(VN_TZ).isoformat()}"'
        return "".join(out)


def make_template(db: Database) -> Template:
    """A nomination created through the service 60 days ago: its draft reminder and escalation exist."""
    with db.read() as s:
        clerk = s.scalar(select(User.id).where(User.username == "clerk1"))
    with clock.frozen(_now() - timedelta(days=60)):
        nomination_id = services.create_nomination(db, clerk, dict(DOSSIER))
    tables = Base.metadata.tables
    rows: dict[str, list[dict]] = {}
    with db.engine.connect() as conn:
        for name in TABLES:
            table = tables[name]
            key = table.c.id if name == "nominations" else table.c.nomination_id
            order = table.c.seq if name == "audit_events" else next(iter(table.primary_key.columns))
            rows[name] = [dict(r) for r in conn.execute(select(table).where(key == nomination_id).order_by(order)).mappings()]
    with db.read() as s:
        if audit.verify_nomination(s, nomination_id) is not None:
            raise RuntimeError("the template's own audit chain does not verify")
    kinds = sorted(t["kind"] for t in rows["timers"])
    if kinds != ["escalation", "reminder"] or len(rows["instance_states"]) != 1:
        raise RuntimeError(f"template: expected a draft reminder and escalation, found {kinds}")
    state = rows["instance_states"][0]["state"]
    doc = json.loads(state)
    tokens: dict[str, str] = {}
    for timer in rows["timers"]:
        value = doc["tasks"][timer["task_uuid"]]["internal_data"]["event_value"]
        if TimerEventDefinition.parse_time_or_duration(value) != timer["due_at"]:
            raise RuntimeError(f"template: event_value {value} does not match due_at {timer['due_at']}")
        token = f'"event_value":"{value}"'
        if state.count(token) != 1:
            raise RuntimeError(f"template: {token} occurs {state.count(token)} times in the state")
        tokens[token] = timer["kind"]
    pattern = "(" + "|".join([UUID_RE, *map(re.escape, tokens)]) + ")"
    parts = re.split(pattern, state)
    uuids = sorted({p for i, p in enumerate(parts) if i % 2 and p not in tokens})
    for table in ("task_items", "timers"):
        for row in rows[table]:
            if row["task_uuid"] not in uuids:
                raise RuntimeError(f"template: {table}.task_uuid {row['task_uuid']} is not in the state")
    # Gone from the database: only its rows, kept here, are copied.
    with db.engine.begin() as conn:
        conn.execute(tables["nominations"].delete().where(tables["nominations"].c.id == nomination_id))
    return Template(rows, parts, uuids, tokens)


def load_copies(db: Database, template: Template, dues: list[dict[str, datetime]], chunk: int = 1000) -> list[int]:
    """Insert one copy of the template per entry of ``dues`` (timer kind -> due time); returns their ids."""
    tables = Base.metadata.tables
    with db.engine.begin() as conn:
        ids = list(conn.execute(text(
            "SELECT nextval(pg_get_serial_sequence('nominations', 'id')) FROM generate_series(1, :n)"), {"n": len(dues)}
        ).scalars())
        for offset in range(0, len(dues), chunk):
            batch: dict[str, list[dict]] = {name: [] for name in TABLES}
            for nomination_id, due in zip(ids[offset:offset + chunk], dues[offset:offset + chunk], strict=True):
                _copy(template, nomination_id, due, batch)
            for name in TABLES:
                conn.execute(insert(tables[name]), batch[name])
    return ids


def _copy(template: Template, nomination_id: int, due: dict[str, datetime], out: dict[str, list[dict]]) -> None:
    mapping = {u: str(uuid.uuid4()) for u in template.uuids}
    draft_due = due["escalation"]  # the inbox shows the escalation's time as the task's due time
    events, prev = [], audit.GENESIS
    for source in template.rows["audit_events"]:
        row = {k: v for k, v in source.items() if k != "id"} | {"nomination_id": nomination_id, "prev_hash": prev}
        row["hash"] = prev = audit._digest(prev, audit._fields(AuditEvent(**row)))
        events.append(row)
    out["nominations"].append(template.rows["nominations"][0] | {
        "id": nomination_id, "audit_seq": len(events), "audit_hash": prev})
    out["instance_states"].append(template.rows["instance_states"][0] | {
        "nomination_id": nomination_id, "state": template.render(mapping, due)})
    for source in template.rows["task_items"]:
        row = {k: v for k, v in source.items() if k != "id"}
        out["task_items"].append(row | {"nomination_id": nomination_id, "task_uuid": mapping[row["task_uuid"]],
                                        "due_at": draft_due if row["name"] == "draft" else row["due_at"]})
    for source in template.rows["timers"]:
        row = {k: v for k, v in source.items() if k != "id"}
        out["timers"].append(row | {"nomination_id": nomination_id, "task_uuid": mapping[row["task_uuid"]],
                                    "due_at": due[row["kind"]]})
    out["audit_events"].extend(events)


def check_copies(db: Database, ids: list[int]) -> None:
    """Restore a few copies through the engine: its pending timers must be the table's pending rows."""
    with db.read() as s:
        for nomination_id in {ids[0], ids[len(ids) // 2], ids[-1]}:
            nom = s.get(Nomination, nomination_id)
            route = versions.route_for(s, nom.process_model_id)
            workflow = engine.loads(route, s.get(InstanceState, nomination_id).state)
            in_engine = {(p.task_uuid, p.due_at) for p in engine.pending_timers(workflow, route)}
            in_table = {(u, d) for u, d in s.execute(select(Timer.task_uuid, Timer.due_at).where(
                Timer.nomination_id == nomination_id, Timer.state == "pending"))}
            if in_engine != in_table:
                raise RuntimeError(f"copy {nomination_id}: engine timers {in_engine} != timer rows {in_table}")


# --- processes -------------------------------------------------------------------------------

class Processes:
    """The rq workers and the scheduler this benchmark started, and nothing else."""

    def __init__(self, logdir: Path, db_url: str, redis_url: str) -> None:
        self.logdir = logdir
        self.env = os.environ | {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
        self.running: dict[str, subprocess.Popen] = {}
        self.cpu: dict[str, float] = {}

    def start(self, name: str, argv: list[str], **env: str) -> None:
        log = (self.logdir / f"{name}.log").open("ab")
        self.running[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env | env, stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL)
        log.close()

    def procfile(self, kind: str) -> list[str]:
        """The Procfile's command for ``kind`` (worker, scheduler), run with this virtualenv's executables."""
        line = next((v for k, _, v in (row.partition(":") for row in (ROOT / "Procfile").read_text().splitlines())
                     if k.strip() == kind), None)
        if line is None:
            raise RuntimeError(f"no {kind!r} line in the Procfile")
        argv = shlex.split(os.path.expandvars(line.replace("${REDIS_URL}", self.env["REDIS_URL"])))
        executables = {"rq": str(Path(sys.executable).parent / "rq"), "python": sys.executable, "python3": sys.executable}
        return [executables.get(argv[0], argv[0]), *argv[1:]]

    def start_workers(self, count: int, tag: str) -> None:
        for i in range(count):
            self.start(f"{tag}-worker{i + 1}", self.procfile("worker"))

    def start_scheduler(self, tag: str, sweep_s: int) -> None:
        self.start(f"{tag}-scheduler", self.procfile("scheduler"), TIMER_SWEEP_SECONDS=str(sweep_s))

    def cpu_seconds(self, prefix: str) -> float:
        """User + system CPU of the running processes whose name starts with ``prefix``."""
        return sum(process_cpu(proc.pid) or 0.0 for name, proc in self.running.items()
                   if name.startswith(prefix) and proc.poll() is None)

    def dead(self) -> list[str]:
        return [f"{name} (exit {proc.returncode})" for name, proc in self.running.items() if proc.poll() is not None]

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (rq: warm shutdown, the current job finishes), then SIGKILL after ``timeout``."""
        for proc in self.running.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.running.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.running.clear()

    def tail(self, lines: int = 15) -> list[str]:
        out = []
        for path in sorted(self.logdir.glob("*.log")):
            text_lines = path.read_text(errors="replace").splitlines()
            out.append(f"--- {path.name} (last {min(lines, len(text_lines))} of {len(text_lines)} lines)")
            out.extend(text_lines[-lines:])
        return out


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process (Linux /proc), None if unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def cpu_ticks() -> tuple[float, float, float]:
    """(busy, total, stolen) CPU seconds of the whole machine since boot, all CPUs together.

    Stolen: time the hypervisor gave this virtual machine's CPUs to someone else.
    """
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    values += [0] * (8 - len(values))
    idle = values[3] + values[4]  # idle + iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values[:7]) - idle) / tick, sum(values) / tick, values[7] / tick


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """pid -> (command line, CPU seconds) of every process on the machine."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            cpu = process_cpu(int(entry.name))
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                continue
            if cpu is not None:
                found[int(entry.name)] = (command or f"[{entry.name}]", cpu)
    return found


def top_consumers(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], top: int = 6) -> list[dict]:
    """The processes that used the most CPU between two snapshots (ones born and gone in between are missed)."""
    used = []
    for pid, (command, cpu) in after.items():
        delta = cpu - before[pid][1] if pid in before else cpu
        if delta > 0:
            used.append({"pid": pid, "cpu_s": round(delta, 2), "command": command[:90]})
    return sorted(used, key=lambda u: u["cpu_s"], reverse=True)[:top]


class BackendCpu:
    """CPU used by the PostgreSQL server processes serving the bench database, from a starting point.

    Backends are sampled on every poll (a backend that ends between two polls loses its last
    interval); those already connected at the start count from their CPU at that moment.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.readable = True
        self.sample()
        self.base = dict(self.last)

    def sample(self) -> None:
        with self.db.engine.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
            for pid in pids:
                cpu = process_cpu(pid)
                if cpu is None:
                    self.readable = False
                else:
                    self.last[pid] = cpu

    def seconds(self) -> float | None:
        if not self.readable:
            return None
        return sum(cpu - self.base.get(pid, 0.0) for pid, cpu in self.last.items())


def job_stats(redis: Redis, job_ids: list[str] | None = None) -> dict:
    """What the fire_due_timers jobs did: (given ids, or every such job in the registries)."""
    queue = Queue(QUEUE, connection=redis)
    if job_ids is None:
        job_ids = FinishedJobRegistry(queue=queue).get_job_ids() + FailedJobRegistry(queue=queue).get_job_ids()
    fired, seconds, statuses = [], [], {}
    for job in Job.fetch_many(job_ids, connection=redis):
        if job is None or job.func_name != "workers.jobs.fire_due_timers":
            continue
        status = job.get_status(refresh=False)
        status = getattr(status, "value", status)
        statuses[status] = statuses.get(status, 0) + 1
        if status == "finished":
            fired.append(job.return_value() or 0)
            if job.started_at and job.ended_at:
                seconds.append((job.ended_at - job.started_at).total_seconds())
    return {"jobs": sum(statuses.values()), "statuses": statuses, "fired": fired, "seconds": seconds,
            "with_work": sum(1 for f in fired if f)}


# --- correctness -----------------------------------------------------------------------------

def check_firing(db: Database, ids: list[int]) -> dict:
    """Exactly-once evidence for the timers of nominations ``ids`` (see the module docstring)."""
    params = {"ids": ids}
    sql = {
        "fired": "SELECT count(*) FROM timers WHERE nomination_id = ANY(:ids) AND state = 'fired'",
        "cancelled": "SELECT count(*) FROM timers WHERE nomination_id = ANY(:ids) AND state = 'cancelled'",
        "exits": "SELECT count(*) FROM bench_timer_exits x JOIN timers t ON t.id = x.timer_id "
                 "WHERE t.nomination_id = ANY(:ids)",
        "timers_exited_twice": "SELECT count(*) FROM (SELECT x.timer_id FROM bench_timer_exits x JOIN timers t "
                               "ON t.id = x.timer_id WHERE t.nomination_id = ANY(:ids) "
                               "GROUP BY x.timer_id HAVING count(*) > 1) d",
        "audit_events": "SELECT count(*) FROM audit_events WHERE nomination_id = ANY(:ids) "
                        "AND action IN ('reminder_sent', 'escalated')",
        "notifications": "SELECT count(*) FROM notifications WHERE nomination_id = ANY(:ids) "
                         "AND kind IN ('reminder', 'escalation')",
    }
    found = {key: scalar(db, query, **params) for key, query in sql.items()}
    excess = 0
    for kind, action in TIMER_ACTIONS.items():
        excess += scalar(db, """
            WITH a AS (SELECT nomination_id, count(*) AS c FROM audit_events
                       WHERE nomination_id = ANY(:ids) AND action = :action GROUP BY nomination_id),
                 t AS (SELECT nomination_id, count(*) AS c FROM timers
                       WHERE nomination_id = ANY(:ids) AND kind = :kind AND state = 'fired' GROUP BY nomination_id)
            SELECT count(*) FROM a LEFT JOIN t USING (nomination_id) WHERE a.c > coalesce(t.c, 0)""",
                         ids=ids, action=action, kind=kind)
    found["nominations_with_excess_events"] = excess
    found["duplicates"] = (max(0, found["audit_events"] - found["fired"]) + found["timers_exited_twice"]
                           + max(0, found["exits"] - found["fired"] - found["cancelled"]) + excess)
    found["broken_audit_chains"] = broken_chains(db, ids)
    return found


def broken_chains(db: Database, ids: list[int]) -> int:
    with db.read() as s:
        heads = {nid: (seq, head) for nid, seq, head in s.execute(
            select(Nomination.id, Nomination.audit_seq, Nomination.audit_hash).where(Nomination.id.in_(ids)))}
        chains: dict[int, list[AuditEvent]] = {}
        for event_row in s.scalars(select(AuditEvent).where(AuditEvent.nomination_id.in_(ids))
                                   .order_by(AuditEvent.nomination_id, AuditEvent.seq)):
            chains.setdefault(event_row.nomination_id, []).append(event_row)
    return sum(1 for nid in ids if audit.verify_chain(chains.get(nid, []), heads[nid]) is not None)


# --- 1. burst --------------------------------------------------------------------------------

def run_burst(db: Database, redis: Redis, procs: Processes, template: Template, args: argparse.Namespace) -> dict:
    per_nomination = args.per_nomination
    nominations = math.ceil(args.n / per_nomination)
    timers_total = nominations * per_nomination
    due = _now() - timedelta(minutes=1)
    dues = [{"reminder": due, "escalation": due if per_nomination == 2 else due + FAR}] * nominations
    started = time.perf_counter()
    ids = load_copies(db, template, dues)
    check_copies(db, ids)
    settle(db)
    load_s = time.perf_counter() - started
    what = (f"{nominations} nominations x 1 due timer (draft reminder; escalation moved {FAR.days} days ahead)"
            if per_nomination == 1 else f"{nominations} nominations x 2 due timers (draft reminder + escalation)")
    _log(f"burst: {timers_total} timers = {what}, all due at {due:%H:%M:%S} UTC; loaded in {load_s:.1f} s")
    _log(f"burst: worker command (Procfile): {shlex.join(procs.procfile('worker'))}")

    redis.flushdb()
    queue = Queue(QUEUE, connection=redis)
    via_scheduler = args.burst_via == "scheduler"
    job_ids: list[str] = []
    if via_scheduler:
        _log(f"burst: no job enqueued by hand: {args.workers} rq workers and python -m workers.scheduler "
             f"(TIMER_SWEEP_SECONDS={scheduler.SWEEP_SECONDS}: one fire_due_timers job with the default limit "
             f"{JOB_LIMIT} per sweep) start together")
    else:
        batches = math.ceil(nominations / args.limit)
        job_ids = [jobs.enqueue(queue, "fire_due_timers", args.limit).id for _ in range(batches * args.workers)]
        _log(f"burst: enqueued {len(job_ids)} workers.jobs.fire_due_timers(limit={args.limit}) jobs "
             f"({batches} batches x {args.workers} workers) before starting {args.workers} rq workers")

    pending_sql = "SELECT count(*) FROM timers WHERE state = 'pending' AND due_at < now()"
    backends = BackendCpu(db)
    processes0 = cpu_by_process()
    commits0 = commits(db)
    busy0, total0, stolen0 = cpu_ticks()
    t0 = _now()
    procs.start_workers(args.workers, "burst")
    if via_scheduler:
        procs.start_scheduler("burst", scheduler.SWEEP_SECONDS)
    mopups, last_report, deadline = 0, time.monotonic(), time.monotonic() + args.timeout
    started_registry = StartedJobRegistry(queue=queue)
    idle_since: float | None = None
    worker_cpu = 0.0
    while True:
        time.sleep(0.2)
        pending = scalar(db, pending_sql)
        worker_cpu = max(worker_cpu, procs.cpu_seconds("burst-worker"))
        backends.sample()
        if pending == 0:
            break
        if procs.dead():
            raise RuntimeError(f"burst: worker died: {procs.dead()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"burst: {pending} timers still pending after {args.timeout} s")
        if not via_scheduler and queue.count == 0 and started_registry.count == 0:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 1.0:  # jobs all ran, timers still due: one more sweep
                job_ids.append(jobs.enqueue(queue, "fire_due_timers", args.limit).id)
                mopups += 1
                idle_since = None
        else:
            idle_since = None
        if time.monotonic() - last_report >= 5:
            done = timers_total - pending
            elapsed = (_now() - t0).total_seconds()
            _log(f"  {elapsed:5.1f} s: {done} fired ({done / elapsed:.0f}/s), {pending} due, {queue.count} jobs queued")
            last_report = time.monotonic()
    busy1, total1, stolen1 = cpu_ticks()
    consumers = top_consumers(processes0, cpu_by_process())
    machine_s, pg_s = busy1 - busy0, backends.seconds()
    other_s = None if pg_s is None else machine_s - worker_cpu - pg_s
    # The remaining queued jobs find nothing due; let them finish so their job figures are complete.
    drain_deadline = time.monotonic() + 30
    while (queue.count or started_registry.count) and time.monotonic() < drain_deadline:
        time.sleep(0.2)
    procs.stop()
    time.sleep(1.5)  # ended backends report their statistics
    committed = commits(db) - commits0 - 1  # minus the statistics flush of commits() itself
    stats = job_stats(redis, job_ids or None)
    # Commits include each pooled connection's pre-ping (autocommit) and one write transaction per batch.

    first, last = (scalar(db, "SELECT min(at) FROM bench_timer_exits"), scalar(db, "SELECT max(at) FROM bench_timer_exits"))
    seconds = (last - t0).total_seconds()
    checks = check_firing(db, ids)
    result = {
        "timers": timers_total, "nominations": nominations, "timers_per_nomination": per_nomination,
        "workers": args.workers, "seconds": _r(seconds, 2), "per_s": _r(timers_total / seconds, 1),
        "first_fire_s": _r((first - t0).total_seconds(), 2), "drain_s": _r((last - first).total_seconds(), 2),
        "target_s": TARGET_S, "meets_target": seconds <= TARGET_S,
        "duplicates": checks["duplicates"], "fired": checks["fired"], "cancelled": checks["cancelled"],
        "row_exits": checks["exits"], "timers_exited_twice": checks["timers_exited_twice"],
        "audit_events": checks["audit_events"], "notifications": checks["notifications"],
        "nominations_with_excess_events": checks["nominations_with_excess_events"],
        "broken_audit_chains": checks["broken_audit_chains"],
        "db_commits": committed, "commits_per_fired_timer": _r(committed / timers_total, 2),
        "via": "scheduler" if via_scheduler else "enqueued jobs", "jobs": stats["jobs"],
        "job_limit": JOB_LIMIT if via_scheduler else args.limit, "mopup_jobs": mopups, "jobs_with_work": stats["with_work"],
        "job_statuses": stats["statuses"],
        "fired_per_job_median": _r(statistics.median(stats["fired"]) if stats["fired"] else None, 1),
        "job_seconds_max": _r(max(stats["seconds"]) if stats["seconds"] else None, 2),
        "worker_cpu_s": _r(worker_cpu, 2), "worker_cpu_ms_per_timer": _r(worker_cpu / timers_total * 1000, 2),
        "postgres_cpu_ms_per_timer": None if pg_s is None else _r(pg_s / timers_total * 1000, 2),
        "other_cpu_ms_per_timer": None if other_s is None else _r(other_s / timers_total * 1000, 2),
        "machine_cpu_ms_per_timer": _r(machine_s / timers_total * 1000, 2),
        "machine_cpu_busy_pct": _r(100 * machine_s / max(1e-9, total1 - total0), 1),
        "machine_cpu_stolen_pct": _r(100 * (stolen1 - stolen0) / max(1e-9, total1 - total0), 1),
        "top_cpu_processes": consumers,
        "load_s": _r(load_s, 1),
    }
    verdict = "meets" if result["meets_target"] else "MISSES"
    _log(f"burst: {timers_total} timers fired in {seconds:.1f} s with {args.workers} workers = {result['per_s']:.0f} "
         f"timers/s (first fire after {result['first_fire_s']} s, then {result['drain_s']} s to the last): "
         f"{verdict} the {TARGET_S:.0f} s target")
    _log(f"burst: machine CPU {result['machine_cpu_busy_pct']} % busy ({result['machine_cpu_stolen_pct']} % stolen by the "
         f"hypervisor) on {os.cpu_count()} CPUs while firing = "
         f"{result['machine_cpu_ms_per_timer']} ms CPU per timer: rq workers {result['worker_cpu_ms_per_timer']} ms, "
         f"PostgreSQL backends of the bench database {result['postgres_cpu_ms_per_timer']} ms, everything else "
         f"(this script's polling, other processes on the machine) {result['other_cpu_ms_per_timer']} ms")
    _log("burst: top CPU consumers on the machine while firing (processes alive at both ends of the window):")
    for consumer in consumers:
        _log(f"    {consumer['cpu_s']:7.2f} s  pid {consumer['pid']:<7} {consumer['command']}")
    _log(f"burst: fire_due_timers jobs {stats['jobs']} ({mopups} mop-ups), {stats['with_work']} fired something, median "
         f"{result['fired_per_job_median']} timers per job, longest job {result['job_seconds_max']} s, "
         f"statuses {stats['statuses']}")
    _log(f"burst: {committed} commits in the bench database = {result['commits_per_fired_timer']} per fired timer "
         f"(batches of {services.firing.BATCH} nominations per transaction, plus the pool's pre-pings)")
    _log(f"burst: checks: fired rows {checks['fired']}, row exits from pending {checks['exits']} "
         f"(timers exiting twice {checks['timers_exited_twice']}), cancelled {checks['cancelled']}, timer audit events "
         f"{checks['audit_events']}, notifications {checks['notifications']}, nominations with more timer events than "
         f"fired timers {checks['nominations_with_excess_events']}, broken audit chains {checks['broken_audit_chains']}"
         f" -> duplicates {checks['duplicates']}")
    problems = [f"{key}={result[key]}" for key in ("duplicates", "cancelled", "broken_audit_chains")
                if result[key]] + ([f"fired={checks['fired']}"] if checks["fired"] != timers_total else [])
    if problems:
        _log(f"burst: WRONG: {', '.join(problems)}")
    return result


# --- 2. trickle ------------------------------------------------------------------------------

def run_trickle(db: Database, redis: Redis, procs: Processes, template: Template, args: argparse.Namespace,
                sweep_s: int) -> dict:
    count = int(args.rate * args.duration)
    first_due = _now() + timedelta(seconds=6)  # after loading and starting the processes
    dues = [{"reminder": first_due + timedelta(seconds=i / args.rate)} for i in range(count)]
    for due in dues:
        due["escalation"] = due["reminder"] + FAR
    ids = load_copies(db, template, dues)
    check_copies(db, ids)
    redis.flushdb()
    tag = f"trickle{sweep_s}"
    procs.start_workers(args.workers, tag)
    procs.start_scheduler(tag, sweep_s)
    _log(f"trickle (sweep {sweep_s} s): {count} timers due {args.rate}/s over {args.duration} s from "
         f"{first_due:%H:%M:%S} UTC; {args.workers} rq workers + python -m workers.scheduler "
         f"(TIMER_SWEEP_SECONDS={sweep_s})")
    deadline = time.monotonic() + 6 + args.duration + 3 * sweep_s + 30
    unfired_sql = "SELECT count(*) FROM timers WHERE nomination_id = ANY(:ids) AND kind = 'reminder' AND state = 'pending'"
    while True:
        time.sleep(0.5)
        unfired = scalar(db, unfired_sql, ids=ids)
        if not unfired:
            break
        if procs.dead():
            raise RuntimeError(f"trickle: process died: {procs.dead()}")
        if time.monotonic() > deadline:
            _log(f"trickle (sweep {sweep_s} s): {unfired} timers still pending at the deadline")
            break
    time.sleep(1)
    procs.stop()
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT extract(epoch FROM t.closed_at - t.due_at), extract(epoch FROM x.at - t.due_at) FROM timers t "
            "JOIN bench_timer_exits x ON x.timer_id = t.id WHERE t.nomination_id = ANY(:ids) AND t.state = 'fired'"),
            {"ids": ids}).all()
    lags = [float(a) for a, _ in rows]
    commits = [float(b) for _, b in rows]
    checks = check_firing(db, ids)
    stats = job_stats(redis)
    result = {
        "sweep_s": sweep_s, "timers": count, "rate_per_s": args.rate, "duration_s": args.duration,
        "fired": checks["fired"], "unfired": count - checks["fired"],
        "p50_s": _r(_pct(lags, 50)), "p95_s": _r(_pct(lags, 95)), "max_s": _r(max(lags, default=None)),
        "min_s": _r(min(lags, default=None)), "mean_s": _r(statistics.fmean(lags) if lags else None),
        "update_p50_s": _r(_pct(commits, 50)), "update_max_s": _r(max(commits, default=None)),
        "duplicates": checks["duplicates"], "cancelled": checks["cancelled"],
        "broken_audit_chains": checks["broken_audit_chains"], "sweep_jobs": stats["jobs"],
        "sweep_jobs_with_work": stats["with_work"], "job_statuses": stats["statuses"],
    }
    _log(f"trickle (sweep {sweep_s} s): lag closed_at - due_at p50 {result['p50_s']} s, p95 {result['p95_s']} s, "
         f"max {result['max_s']} s (min {result['min_s']}, mean {result['mean_s']}); to the row update p50 "
         f"{result['update_p50_s']} s, max {result['update_max_s']} s")
    _log(f"trickle (sweep {sweep_s} s): fired {checks['fired']}/{count}, duplicates {checks['duplicates']}, cancelled "
         f"{checks['cancelled']}, broken audit chains {checks['broken_audit_chains']}; {stats['jobs']} sweep jobs ran "
         f"({stats['with_work']} fired something), statuses {stats['statuses']}")
    return result


# --- 3. profile ------------------------------------------------------------------------------

PROFILE_SCOPES = (str(ROOT / "workflows"), "SpiffWorkflow", "sqlalchemy", "psycopg")
BREAKDOWN = [  # (label, file path fragment, function names): cumulative, overlapping by design
    ("services firing (all)", "workflows/services/firing.py", ("fire_timers_of", "fire_batch")),
    ("engine.loads (JSON -> workflow)", "workflows/engine/", ("loads",)),
    ("engine.fire_due_timers", "workflows/engine/", ("fire_due_timers",)),
    ("engine.dumps (workflow -> JSON)", "workflows/engine/", ("dumps",)),
    ("engine.pending_timers", "workflows/engine/", ("pending_timers",)),
    ("unit of work route_context", "workflows/services/unit_of_work.py", ("route_context",)),
    ("unit of work lock", "workflows/services/unit_of_work.py", ("lock_where", "_locked", "_load")),
    ("unit of work write", "workflows/services/unit_of_work.py", ("write",)),
    ("calendar.load", "workflows/persistence/calendars.py", ("load",)),
    ("inbox.sync", "workflows/projections/inbox.py", ("sync",)),
    ("timers.sync", "workflows/projections/timers.py", ("sync",)),
    ("endings.react_to_timer", "workflows/services/endings.py", ("react_to_timer",)),
    ("notify.assignees", "workflows/services/notify.py", ("assignees",)),
    ("notify.with_roles", "workflows/services/notify.py", ("with_roles",)),
    ("notify.send", "workflows/services/notify.py", ("send",)),
    ("audit.record", "workflows/persistence/audit.py", ("record",)),
    ("Session.flush", "sqlalchemy/orm/session.py", ("flush",)),
    ("Session.execute", "sqlalchemy/orm/session.py", ("execute",)),
    ("Session.scalars", "sqlalchemy/orm/session.py", ("scalars",)),
    ("transaction commit", "sqlalchemy/orm/session.py", ("commit",)),
    ("pool checkout", "sqlalchemy/pool/base.py", ("_checkout",)),
    ("pool pre-ping (psycopg)", "postgresql/_psycopg_common.py", ("do_ping",)),
    ("psycopg cursor.execute", "psycopg/cursor.py", ("execute",)),
]
PACKAGES = [
    ("psycopg (driver, waiting on the server)", "psycopg"),
    ("sqlalchemy", "sqlalchemy"),
    ("SpiffWorkflow", "SpiffWorkflow"),
    ("json (state encode/decode)", "json"),
    ("workflows/ (our code)", str(ROOT / "workflows")),
]


def _package(filename: str, function: str) -> str:
    for label, marker in PACKAGES:
        if marker in filename or (filename == "~" and marker in function):
            return label
    return "other (stdlib, builtins)"


def run_profile(db: Database, template: Template, count: int) -> dict:
    """``services.fire_timers_of`` in this process: timed over half the copies, profiled over the other half."""
    due = _now() - timedelta(minutes=1)
    ids = load_copies(db, template, [{"reminder": due, "escalation": due + FAR}] * count)
    settle(db)
    statements: list[str] = []

    def count_statement(_conn, _cursor, statement: str, *_args) -> None:
        statements.append(statement)

    half = count // 2
    fired = services.fire_timers_of(db, ids[0])  # warm-up, not counted
    event.listen(db.engine, "before_cursor_execute", count_statement)
    try:
        fired += services.fire_timers_of(db, ids[1])
        one_fire = statements[:]
        started = time.perf_counter()
        fired += sum(services.fire_timers_of(db, nid) for nid in ids[2:half])
        timed_s = time.perf_counter() - started
        timed_statements = len(statements) - len(one_fire)
        started = time.perf_counter()
        again = sum(services.fire_timers_of(db, nid) for nid in ids[2:half])  # nothing due any more
        noop_s = time.perf_counter() - started
        profile = cProfile.Profile()
        profile.enable()
        fired_profiled = sum(services.fire_timers_of(db, nid) for nid in ids[half:])
        profile.disable()
    finally:
        event.remove(db.engine, "before_cursor_execute", count_statement)
    if fired != half or fired_profiled != count - half or again:
        raise RuntimeError(f"profile: fired {fired} + {fired_profiled} of {count}")
    n, timed = count - half, half - 2
    result = {"timers": count, "ms_per_fire": _r(timed_s / timed * 1000, 2),
              "fires_per_s_one_process": _r(timed / timed_s, 1), "sql_per_fire": _r(timed_statements / timed, 1),
              "ms_per_noop_call": _r(noop_s / timed * 1000, 2)}
    _log(f"profile: services.fire_timers_of in one process, no profiler, {timed} fires: {result['ms_per_fire']} ms per "
         f"fired timer ({result['fires_per_s_one_process']}/s), {result['sql_per_fire']} SQL statements each:")
    for statement in one_fire:
        _log(f"    {' '.join(statement.split())[:124]}")
    _log(f"profile: a call that finds nothing due (the nomination already fired, as the second worker finds half of "
         f"its batch): {result['ms_per_noop_call']} ms")
    stats = pstats.Stats(profile).stats
    total = sum(tt for _cc, _nc, tt, _ct, _callers in stats.values())
    _log(f"profile: {n} fires under cProfile, {total:.2f} s = {total / n * 1000:.2f} ms per fire; top 20 cumulative:")
    _log(f"    {'cum s':>7} {'ms/fire':>8} {'calls':>8}  function")
    scoped = sorted(((k, v) for k, v in stats.items() if any(s in k[0] for s in PROFILE_SCOPES)),
                    key=lambda kv: kv[1][3], reverse=True)
    top = []
    for (filename, line, function), (_cc, calls, _tt, cumtime, _callers) in scoped[:20]:
        where = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        _log(f"    {cumtime:7.2f} {cumtime / n * 1000:8.2f} {calls:8d}  {where}:{line}({function})")
        top.append({"function": f"{where}:{line}({function})", "ms_per_fire": _r(cumtime / n * 1000, 2)})
    _log("profile: self time by package:")
    by_package: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        label = _package(filename, function)
        by_package[label] = by_package.get(label, 0.0) + tottime
    for label, tottime in sorted(by_package.items(), key=lambda kv: kv[1], reverse=True):
        _log(f"    {label:40} {tottime / n * 1000:7.2f} ms/fire {100 * tottime / total:5.1f} %")
    _log("profile: breakdown (cumulative, overlapping):")
    breakdown = {}
    for label, fragment, functions in BREAKDOWN:
        matches = [v for k, v in stats.items() if fragment in k[0] and k[2] in functions]
        if matches:
            _cc, calls, _tt, cumtime, _callers = max(matches, key=lambda v: v[3])
            breakdown[label] = _r(cumtime / n * 1000, 2)
            _log(f"    {label:36} {cumtime / n * 1000:7.2f} ms/fire {100 * cumtime / total:5.1f} %  ({calls} calls)")
    result |= {"profiled_ms_per_fire": _r(total / n * 1000, 2), "top": top[:10], "breakdown_ms": breakdown,
               "self_ms_by_package": {k: _r(v / n * 1000, 2) for k, v in by_package.items()}}
    return result


# --- main ------------------------------------------------------------------------------------

def _code_version() -> str:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "workflows", "workers", "bpmn"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+uncommitted" if dirty else "")


def _raise_on_sigterm() -> Callable[[], None]:
    """Turn SIGTERM into SystemExit, so that the cleanup below runs when the benchmark is stopped."""
    def handler(*_args) -> None:
        raise SystemExit(143)

    previous = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="timers in the burst (default 10000, or 1000 with --quick)")
    parser.add_argument("--workers", type=int, default=2, help="rq worker processes")
    parser.add_argument("--quick", action="store_true", help="small run: 1,000 burst timers, a 20 s trickle, sweep 5 only")
    parser.add_argument("--per-nomination", type=int, choices=(1, 2), default=1,
                        help="due timers per nomination in the burst (1: the reminder; 2: reminder and escalation)")
    parser.add_argument("--burst-via", choices=("jobs", "scheduler"), default="jobs",
                        help="burst: enqueue the jobs up front (default), or run the real scheduler and enqueue nothing")
    parser.add_argument("--limit", type=int, default=JOB_LIMIT, help="limit of each enqueued fire_due_timers job")
    parser.add_argument("--rate", type=float, default=5.0, help="trickle: timers due per second")
    parser.add_argument("--duration", type=float, help="trickle: seconds (default 60, or 20 with --quick)")
    parser.add_argument("--sweeps", help="trickle: TIMER_SWEEP_SECONDS values to run (default '5,1', or '5' with "
                        "--quick; 'none' skips the trickle)")
    parser.add_argument("--profile", action="store_true", help="profile fire_timers_of even if the burst meets its target")
    parser.add_argument("--profile-n", type=int, help="copies fired in the profile pass (default 400, or 100 with --quick)")
    parser.add_argument("--timeout", type=float, default=900, help="give up on the burst after so many seconds")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="an existing PostgreSQL database to connect to as admin")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="a Redis database for this benchmark alone (FLUSHDB)")
    args = parser.parse_args(argv)
    args.n = args.n or (1000 if args.quick else 10000)
    args.duration = args.duration or (20.0 if args.quick else 60.0)
    sweeps_arg = args.sweeps or ("5" if args.quick else f"{scheduler.SWEEP_SECONDS},1")
    sweeps = [] if sweeps_arg == "none" else list(dict.fromkeys(int(v) for v in sweeps_arg.split(",")))
    profile_n = args.profile_n or (100 if args.quick else 400)

    started = time.perf_counter()
    result: dict = {"burst": None, "trickle": None, "trickle_by_sweep": {}, "profile": None, "code": _code_version(),
                    "cpus": os.cpu_count(), "loadavg_start": round(os.getloadavg()[0], 2)}
    _log(f"vinhdanh timer benchmark: burst {args.n} timers with {args.workers} rq workers, trickle {args.rate}/s for "
         f"{args.duration:.0f} s at sweeps {sweeps} s; code {result['code']}; {result['cpus']} CPUs, load average "
         f"{result['loadavg_start']} (other processes skew every figure)")
    restore_sigterm = _raise_on_sigterm()
    redis = Redis.from_url(args.redis_url)
    redis.ping()
    if redis.dbsize():
        _log(f"note: {args.redis_url} held {redis.dbsize()} keys; emptied (FLUSHDB) as this benchmark's own database")
    redis.flushdb()
    with tempfile.TemporaryDirectory(prefix="vinhdanh-timers-") as logdir:
        try:
            with postgres_database(args.pg_url) as db:
                procs = Processes(Path(logdir), db.url, args.redis_url)
                failed = True
                try:  # the processes stop before the database is dropped, on failure too
                    template = make_template(db)
                    result["burst"] = run_burst(db, redis, procs, template, args)
                    for sweep_s in sweeps:
                        result["trickle_by_sweep"][str(sweep_s)] = run_trickle(db, redis, procs, template, args, sweep_s)
                    result["trickle"] = result["trickle_by_sweep"].get(str(sweeps[0])) if sweeps else None
                    if args.profile or not result["burst"]["meets_target"]:
                        result["profile"] = run_profile(db, template, profile_n)
                    failed = False
                finally:
                    procs.stop()
                    if failed:
                        for line in procs.tail():
                            _log(line)
        finally:
            redis.flushdb()
            redis.close()
            restore_sigterm()
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    result["loadavg_end"] = round(os.getloadavg()[0], 2)
    _log(f"total run time {result['elapsed_s']} s; load average at end {result['loadavg_end']}")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
