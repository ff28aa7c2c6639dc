"""Lifecycle benchmark: what persistence and the service layer cost on top of SpiffWorkflow.

A nomination's lifecycle is the whole route of ``bpmn/nomination.bpmn`` with no returns:
create, draft, head_review, secretariat_check, one ballot per council member (9), appraisal and
minister_sign, ending "awarded" -- 15 actions. One run measures:

1. **bare**: the lifecycle on a parsed route with ``engine.start``/``engine.run_task`` in memory.
   The engine's own cost, the ceiling.
2. **json**: the same, but the state is serialized without the spec (``engine.dumps``) after every
   action and restored (``engine.loads``) before the next one. This is the floor that any
   persistence pays, since every request starts from a stored state.
3. **sqlite** / **postgresql**: the lifecycle through the service layer
   (``services.create_nomination`` + ``services.complete_task``, one DB transaction each: lock,
   checks, engine, state, inbox rows, audit chain). Each action is preceded by the lookup of the
   actor's ready ``TaskItem`` (one indexed read query, as a client listing its inbox does); that
   lookup is inside the timed loop and its share is reported separately.
   The four modes run interleaved, in rounds, so that load from other processes on a shared
   machine hits them alike; the ratios are the robust figures, the absolute rates less so.
   The target is ``ratio_pg_vs_json >= 0.5``: the service on PostgreSQL at least half as fast as
   the JSON floor.
4. **step time vs stored nominations**: the time of ONE ``complete_task`` (head_review approve)
   when the database holds 1, 1,000 and 10,000 nominations, to show whether anything in a step
   grows with the table sizes. The stored nominations are bulk-copied from two templates run
   through the service (one awarded, one half-way through the council vote) with fresh ids,
   task uuids and decision numbers; the copies are never acted on. Each level times ``--reps``
   steps, each on its own nomination positioned at head_review (not timed) and deleted
   afterwards so that the count stays exact; the median is reported. After each bulk load the
   database is vacuumed, analyzed and checkpointed (what autovacuum and the checkpointer do in
   production anyway), so that this background work does not land in the timed steps.

PostgreSQL runs in a dedicated database (``vinhdanh_bench``, created from ``--pg-url`` and dropped
at the end), so it does not collide with the test database. If the server is unreachable the
PostgreSQL figures are skipped and null in the JSON.

Usage: ``python bench/lifecycle.py [--n N] [--pg-url URL] [--quick] [--rounds R] [--reps K] [--profile]``.
The last line of output is one JSON object with every figure. ``--profile`` adds a separate cProfile
pass over the PostgreSQL service lifecycle (not counted in the figures) and prints where the time
goes: top cumulative entries, self time by package, and a breakdown by service function.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, delete, event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bench.common import DOSSIER, fresh_database  # noqa: E402
from workflows import engine, services  # noqa: E402
from workflows.domain.calendar import WorkingCalendar  # noqa: E402
from workflows.engine.scripting import RouteContext  # noqa: E402
from workflows.persistence import migrate, reference, versions  # noqa: E402
from workflows.persistence.db import Database  # noqa: E402
from workflows.persistence.model import AwardRecord, Base, Nomination, TaskItem, Unit, User, UserRole  # noqa: E402
from workflows.services import demo  # noqa: E402
from workflows.services.accounts import hash_password, new_session_token  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "vinhdanh_bench"
COUNCIL = [f"council{i}" for i in range(1, 10)]
ACTIONS_PER_LIFECYCLE = 3 + len(COUNCIL) + 3  # create, draft, head, secretariat, ballots, appraisal, sign
WARMUP = 2

APPROVE = {"decision": "approve"}
# What the service layer puts into task data for this dossier (routing flags come from the award form).
START_DATA = {"needs_vote": True, "needs_disclosure": False, "above_ministry": False, "council_done": False,
              "vote_closed": False}
DRAFT_DATA = {"needs_vote": True, "needs_disclosure": False, "above_ministry": False}
LAST_BALLOT_DATA = {"council_passed": True, "council_done": True}


# --- baselines: the engine alone -------------------------------------------------------------

def _route() -> engine.Route:
    xml = versions.NOMINATION_ROUTE.read_text(encoding="utf-8")
    return engine.get_route(xml, hashlib.sha256(xml.encode("utf-8")).hexdigest())


def _engine_actions(member_ids: list[int]) -> list[tuple[str, dict]]:
    """The route's user steps in order, with the task data the service layer would give each."""
    ballots = [("council_vote", {})] * (len(member_ids) - 1) + [("council_vote", LAST_BALLOT_DATA)]
    return [
        ("draft", DRAFT_DATA),
        ("head_review", APPROVE),
        ("secretariat_check", APPROVE | {"council_members": member_ids, "vote_closed": False}),
        *ballots,
        ("appraisal", APPROVE),
        ("minister_sign", APPROVE),
    ]


def _script_engine():
    """The route's timer expressions need their helpers: the same deadlines the service computes."""
    days = {step: d for step, form, d in reference.STEP_DEADLINES if form is None}
    return RouteContext(datetime.now(UTC), WorkingCalendar(), days.get).script_engine()


def engine_lifecycle(route: engine.Route, actions: list[tuple[str, dict]], round_trip: bool) -> None:
    workflow = engine.start(route, START_DATA, _script_engine())
    state = engine.dumps(workflow) if round_trip else ""
    for step, data in actions:
        if round_trip:
            workflow = engine.loads(route, state, _script_engine())
        task = next(t for t in engine.ready_user_tasks(workflow) if t.task_spec.bpmn_id == step)
        engine.run_task(workflow, task, dict(data))
        if round_trip:
            state = engine.dumps(workflow)
    if engine.outcome(workflow) != "awarded":
        raise RuntimeError(f"baseline lifecycle ended {engine.outcome(workflow)!r}")


def engine_mode(round_trip: bool) -> Callable[[], None]:
    """One lifecycle of baseline A (``round_trip=False``) or B, as a callable."""
    route = _route()
    actions = _engine_actions(list(range(1, len(COUNCIL) + 1)))
    return lambda: engine_lifecycle(route, actions, round_trip)


def measure_throughput(modes: dict[str, Callable[[], object]], n: int, rounds: int) -> dict[str, list[float]]:
    """Seconds of each round of ``n // rounds`` lifecycles, per mode.

    The modes are interleaved round by round, in an order rotated every round, so that load from
    other processes on a shared machine lands on all of them alike and the ratios stay meaningful.
    """
    per_round = max(1, n // rounds)
    names = list(modes)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            lifecycle = modes[name]
            started = time.perf_counter()
            for _ in range(per_round):
                lifecycle()
            times[name].append(time.perf_counter() - started)
    return times


# --- databases -------------------------------------------------------------------------------

def seed_users(db: Database) -> dict[str, int]:
    """The demo units and accounts (demo.UNITS / demo.ACCOUNTS) without demo nominations."""
    password_hash = hash_password(demo.DEMO_PASSWORD)
    with db.write() as s:
        units = {code: Unit(code=code, name=name, is_ministry_office=office) for code, name, office in demo.UNITS}
        s.add_all(units.values())
        s.flush()
        for username, full_name, unit_code, roles in demo.ACCOUNTS:
            user = User(username=username, full_name=full_name, password_hash=password_hash,
                        unit_id=units[unit_code].id, session_token=new_session_token(), is_demo=True)
            user.role_rows = [UserRole(role=r) for r in roles]
            s.add(user)
    with db.read() as s:
        return {username: user_id for username, user_id in s.execute(select(User.username, User.id))}


@contextmanager
def sqlite_database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="vinhdanh-bench-") as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        try:
            migrate.upgrade(db)
            yield db
        finally:
            db.dispose()


def reachable_pg_url(url: str) -> str | None:
    """``url`` or the same with the other usual superuser (postgres/root), whichever connects."""
    candidates = [make_url(url)]
    if candidates[0].username in ("postgres", "root"):
        candidates.append(candidates[0].set(username="root" if candidates[0].username == "postgres" else "postgres"))
    for candidate in candidates:
        probe = create_engine(candidate)
        try:
            with probe.connect() as conn:
                conn.execute(text("SELECT 1"))
            return candidate.render_as_string(hide_password=False)
        except OperationalError:
            continue
        finally:
            probe.dispose()
    return None


def postgres_database(admin_url: str):
    """A fresh ``vinhdanh_bench`` database, dropped on exit."""
    return fresh_database(admin_url, BENCH_DATABASE)


# --- the service layer -----------------------------------------------------------------------

class Client:
    """Drives nominations through the services as the web app would, timing its own lookups."""

    def __init__(self, db: Database, users: dict[str, int]) -> None:
        self.db = db
        self.users = users
        self.lookup_seconds = 0.0
        self.statements = 0
        event.listen(db.engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.statements += 1

    def warm_up(self) -> Client:
        """A few lifecycles first (caches, connection pool, prepared statements), then zero the counters."""
        for _ in range(WARMUP):
            self.lifecycle()
        self.lookup_seconds, self.statements = 0.0, 0
        return self

    def ready_item(self, nomination_id: int, username: str) -> int:
        """The actor's ready task row (ballots are assigned; other steps are open to the role)."""
        started = time.perf_counter()
        query = select(TaskItem.id).where(TaskItem.nomination_id == nomination_id, TaskItem.state == "ready")
        if username in COUNCIL:
            query = query.where(TaskItem.assignee_id == self.users[username])
        with self.db.read() as s:
            item = s.scalars(query.order_by(TaskItem.id).limit(1)).first()
        self.lookup_seconds += time.perf_counter() - started
        if item is None:
            raise RuntimeError(f"no ready task for {username} on nomination {nomination_id}")
        return item

    def step(self, nomination_id: int, username: str, data: dict) -> services.Outcome:
        return services.complete_task(self.db, self.users[username], self.ready_item(nomination_id, username), data)

    def create(self) -> int:
        return services.create_nomination(self.db, self.users["clerk1"], dict(DOSSIER))

    def to_head_review(self) -> int:
        nomination_id = self.create()
        self.step(nomination_id, "clerk1", {})
        return nomination_id

    def lifecycle(self, ballots: int | None = None) -> int:
        """Create and drive one nomination to "awarded" (or stop after ``ballots`` votes)."""
        nomination_id = self.to_head_review()
        self.step(nomination_id, "head1", APPROVE)
        self.step(nomination_id, "secretary", APPROVE)
        for username in COUNCIL[:ballots]:
            self.step(nomination_id, username, {"vote": "agree"})
        if ballots is None:
            self.step(nomination_id, "reviewer", APPROVE)
            outcome = self.step(nomination_id, "minister", APPROVE)
            if outcome.state != "awarded":
                raise RuntimeError(f"service lifecycle ended {outcome.state!r}")
        return nomination_id


# --- step time vs stored nominations ---------------------------------------------------------

CHILD_TABLES = ("instance_states", "task_items", "audit_events", "award_registry")


def snapshot(db: Database, nomination_id: int) -> dict[str, list[dict]]:
    """All rows of one nomination, as plain dicts, to copy from."""
    tables = Base.metadata.tables
    rows: dict[str, list[dict]] = {}
    with db.engine.connect() as conn:
        nominations = tables["nominations"]
        rows["nominations"] = [dict(conn.execute(select(nominations).where(nominations.c.id == nomination_id)).mappings().one())]
        for name in CHILD_TABLES:
            table = tables[name]
            query = select(table).where(table.c.nomination_id == nomination_id).order_by(*table.primary_key.columns)
            rows[name] = [dict(r) for r in conn.execute(query).mappings()]
    return rows


def bulk_copy(db: Database, templates: list[dict[str, list[dict]]], count: int, chunk: int = 500) -> None:
    """Insert ``count`` copies of the templates (round robin) with fresh ids, uuids and numbers."""
    tables = Base.metadata.tables
    nominations = tables["nominations"]
    with db.engine.begin() as conn:
        for offset in range(0, count, chunk):
            batch = [templates[(offset + i) % len(templates)] for i in range(min(chunk, count - offset))]
            numbers = [f"BENCH-{uuid.uuid4().hex}" if t["nominations"][0]["decision_number"] else None for t in batch]
            parents = []
            for template, number in zip(batch, numbers, strict=True):
                row = {k: v for k, v in template["nominations"][0].items() if k != "id"}
                row["decision_number"] = number
                parents.append(row)
            new_ids = conn.execute(
                insert(nominations).returning(nominations.c.id, sort_by_parameter_order=True), parents
            ).scalars().all()
            for name in CHILD_TABLES:
                table = tables[name]
                children = []
                for template, new_id, number in zip(batch, new_ids, numbers, strict=True):
                    for source in template[name]:
                        row = dict(source, nomination_id=new_id)
                        if name != "instance_states":
                            del row["id"]
                        if "task_uuid" in row:
                            row["task_uuid"] = str(uuid.uuid4())
                        if "decision_number" in row:
                            row["decision_number"] = number
                        children.append(row)
                if children:
                    conn.execute(insert(table), children)


def settle(db: Database) -> None:
    """After a bulk load: fresh statistics, and the background work done now rather than while timing."""
    if db.is_sqlite:
        raw = db.engine.raw_connection()  # outside any transaction (the engine's "begin" hook would open one)
        try:
            raw.cursor().execute("ANALYZE")
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
        conn.exec_driver_sql("CHECKPOINT")  # needs superuser or pg_checkpoint, as the bench's admin user is


def delete_nominations(db: Database, ids: list[int]) -> None:
    """Remove nominations with their rows (FKs cascade, except the award registry)."""
    with db.engine.begin() as conn:
        conn.execute(delete(AwardRecord).where(AwardRecord.nomination_id.in_(ids)))
        conn.execute(delete(Nomination).where(Nomination.id.in_(ids)))


def count_nominations(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(Nomination.id)))


def measure_step_times(db: Database, sizes: list[int], reps: int, log: Callable[[str], None]) -> dict[str, dict]:
    """Median (and p90) milliseconds of one head_review step at each stored-nomination count."""
    client = Client(db, seed_users(db)).warm_up()
    templates_ids = [client.lifecycle(), client.lifecycle(ballots=4)]
    templates = [snapshot(db, i) for i in templates_ids]
    delete_nominations(db, _all_nomination_ids(db))  # templates and warm-up: level 1 starts empty
    results: dict[str, dict] = {}
    for size in sorted(sizes):
        missing = size - 1 - count_nominations(db)  # the timed nomination is the last one
        if missing > 0:
            started = time.perf_counter()
            bulk_copy(db, templates, missing)
            settle(db)
            log(f"  loaded {missing} stored nominations in {time.perf_counter() - started:.1f} s")
        samples = []
        for _ in range(reps):
            nomination_id = client.to_head_review()
            item = client.ready_item(nomination_id, "head1")
            stored = count_nominations(db)
            started = time.perf_counter()
            services.complete_task(db, client.users["head1"], item, APPROVE)
            samples.append((time.perf_counter() - started) * 1000)
            delete_nominations(db, [nomination_id])
        if stored != size:
            raise RuntimeError(f"expected {size} stored nominations, found {stored}")
        samples.sort()
        results[str(size)] = {"median": statistics.median(samples), "p90": samples[int(0.9 * (len(samples) - 1))],
                              "min": samples[0]}
    return results


def _all_nomination_ids(db: Database) -> list[int]:
    with db.read() as s:
        return list(s.scalars(select(Nomination.id)))


# --- profile report --------------------------------------------------------------------------

PROFILE_SCOPES = (str(ROOT / "workflows"), "SpiffWorkflow", "sqlalchemy")
BREAKDOWN = [  # (label, file suffix, function): cumulative times, overlapping by design
    ("services.complete_task", "workflows/services.py", "complete_task"),
    ("services.create_nomination", "workflows/services.py", "create_nomination"),
    ("engine.loads (JSON -> workflow)", "workflows/engine.py", "loads"),
    ("engine.dumps (workflow -> JSON)", "workflows/engine.py", "dumps"),
    ("engine.run_task (engine steps)", "workflows/engine.py", "run_task"),
    ("inbox.sync", "workflows/inbox.py", "sync"),
    ("audit.record", "workflows/audit.py", "record"),
    ("forms.validate", "workflows/forms.py", "validate"),
    ("Session.flush (autoflush included)", "sqlalchemy/orm/session.py", "flush"),
    ("Session.execute", "sqlalchemy/orm/session.py", "execute"),
    ("Session.get", "sqlalchemy/orm/session.py", "get"),
    ("Session.refresh", "sqlalchemy/orm/session.py", "refresh"),
    ("transaction commit", "sqlalchemy/orm/session.py", "commit"),
    ("pool checkout", "sqlalchemy/pool/base.py", "_checkout"),
    ("pool pre-ping (psycopg)", "postgresql/_psycopg_common.py", "do_ping"),
    ("psycopg cursor.execute", "psycopg/cursor.py", "execute"),
    ("client lookups (bench)", "bench/lifecycle.py", "ready_item"),
]


PACKAGES = [  # (label, marker in the file name or, for built-ins, the function name): first match wins
    ("psycopg (driver, waiting on the server)", "psycopg"),
    ("sqlalchemy", "sqlalchemy"),
    ("SpiffWorkflow", "SpiffWorkflow"),
    ("jsonschema (form validation)", "jsonschema"),
    ("json (state encode/decode)", "json"),
    ("workflows/ (our code)", str(ROOT / "workflows")),
    ("bench/ (this script)", str(ROOT / "bench")),
]


def _package(filename: str, _line: int, function: str) -> str:
    for label, marker in PACKAGES:
        if marker in filename or (filename == "~" and marker in function):
            return label
    return "other (stdlib, builtins)"


def profile_report(profile: cProfile.Profile, n: int, statements: int, top: int = 15) -> list[str]:
    stats = pstats.Stats(profile).stats  # (file, line, function) -> (cc, nc, tottime, cumtime, callers)
    total = sum(tt for _cc, _nc, tt, _ct, _callers in stats.values())
    lines = [f"profile of {n} PostgreSQL service lifecycles: {total:.2f} s profiled "
             f"({total / n * 1000:.1f} ms per lifecycle under the profiler; {statements / n:.0f} SQL statements "
             f"per lifecycle)"]
    lines.append(f"  top {top} cumulative in workflows/, SpiffWorkflow, sqlalchemy:")
    lines.append(f"    {'cum s':>7} {'ms/life':>8} {'calls':>8}  function")
    entries = sorted(
        ((key, value) for key, value in stats.items() if any(scope in key[0] for scope in PROFILE_SCOPES)),
        key=lambda kv: kv[1][3], reverse=True,
    )
    for (filename, line, function), (_cc, calls, _tt, cumtime, _callers) in entries[:top]:
        where = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        lines.append(f"    {cumtime:7.2f} {cumtime / n * 1000:8.2f} {calls:8d}  {where}:{line}({function})")
    lines.append("  self time by package (adds up to the total):")
    by_package: dict[str, float] = {}
    for key, (_cc, _nc, tottime, _ct, _callers) in stats.items():
        package = _package(*key)
        by_package[package] = by_package.get(package, 0.0) + tottime
    for package, tottime in sorted(by_package.items(), key=lambda kv: kv[1], reverse=True):
        lines.append(f"    {package:34} {tottime / n * 1000:7.2f} ms/lifecycle {100 * tottime / total:5.1f} %")
    lines.append("  breakdown (cumulative, overlapping):")
    for label, suffix, function in BREAKDOWN:
        # several methods may share a name in one file (Session.commit, SessionTransaction.commit):
        # the outermost one, the largest cumulative time, is the one that counts
        matches = [v for k, v in stats.items() if k[0].endswith(suffix) and k[2] == function]
        if matches:
            _cc, calls, _tt, cumtime, _callers = max(matches, key=lambda v: v[3])
            lines.append(f"    {label:34} {cumtime / n * 1000:7.2f} ms/lifecycle {100 * cumtime / total:5.1f} %  ({calls} calls)")
    return lines


# --- main ------------------------------------------------------------------------------------

Backend = tuple[str, Callable[[], AbstractContextManager[Database]]]


def _code_version() -> str:
    """The commit measured, and whether the engine's files differ from it (the tree moves under us)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "workflows", "bpmn"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+uncommitted" if dirty else "")


def _log(line: str) -> None:
    print(line, flush=True)


def _rate_line(label: str, n: int, seconds: float) -> str:
    per_life = seconds / n * 1000
    return (f"{label:46} {n / seconds:8.1f} nominations/s  {per_life:8.2f} ms/lifecycle  "
            f"{per_life / ACTIONS_PER_LIFECYCLE:6.2f} ms/action")


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def run_throughput(n: int, rounds: int, backends: list[Backend], result: dict) -> None:
    """Figures 1-3: every mode measured in the same interleaved rounds."""
    with ExitStack() as stack:
        modes: dict[str, Callable[[], object]] = {"bare": engine_mode(round_trip=False), "json": engine_mode(round_trip=True)}
        clients = {}
        for name, open_db in backends:
            db = stack.enter_context(open_db())
            clients[name] = Client(db, seed_users(db)).warm_up()
            modes[name] = clients[name].lifecycle
        for _ in range(WARMUP):
            modes["bare"]()
            modes["json"]()
        times = measure_throughput(modes, n, rounds)
    done = max(1, n // rounds) * rounds
    labels = {"bare": "A  bare SpiffWorkflow, in memory", "json": "B  JSON floor (dumps/loads every action)",
              "sqlite": "C  service layer on SQLite", "postgresql": "D  service layer on PostgreSQL"}
    result["n"] = done
    result["lookup_ms_per_lifecycle"] = {}
    result["sql_statements_per_action"] = {}
    result["best_round_per_s"] = {}
    for name, rounds_s in times.items():
        seconds = sum(rounds_s)
        key = {"postgresql": "pg_per_s"}.get(name, f"{name}_per_s")
        result[key] = round(done / seconds, 2)
        result["best_round_per_s"][name] = round(done / rounds / min(rounds_s), 2)
        _log(_rate_line(labels[name], done, seconds) + f"  (best round {result['best_round_per_s'][name]:.1f}/s)")
        if name in clients:
            client = clients[name]
            result["lookup_ms_per_lifecycle"][name] = round(client.lookup_seconds / done * 1000, 3)
            result["sql_statements_per_action"][name] = round(client.statements / done / ACTIONS_PER_LIFECYCLE, 1)
            _log(f"{'':46} client lookups {client.lookup_seconds / done * 1000:.2f} ms/lifecycle of it "
                 f"({done / (seconds - client.lookup_seconds):.1f}/s without them); "
                 f"{result['sql_statements_per_action'][name]} SQL statements per action incl. the lookup")
    result.setdefault("sqlite_per_s", None)
    result.setdefault("pg_per_s", None)
    for db_key, db_name in (("pg", "PostgreSQL"), ("sqlite", "SQLite")):
        for base in ("json", "bare"):
            result[f"ratio_{db_key}_vs_{base}"] = _ratio(result[f"{db_key}_per_s"], result[f"{base}_per_s"])
        _log(f"ratio {db_name} service / JSON floor {result[f'ratio_{db_key}_vs_json']}, "
             f"/ bare {result[f'ratio_{db_key}_vs_bare']}")
    result["ratio_json_vs_bare"] = _ratio(result["json_per_s"], result["bare_per_s"])
    _log(f"ratio JSON floor / bare {result['ratio_json_vs_bare']}")
    if result["ratio_pg_vs_json"] is not None:
        verdict = "meets" if result["ratio_pg_vs_json"] >= 0.5 else "MISSES"
        _log(f"PostgreSQL service / JSON floor = {result['ratio_pg_vs_json']}: {verdict} the goal of >= 0.5")


def run_profile(n: int, pg_url: str) -> None:
    """A separate pass under cProfile (slower; not used for any figure)."""
    profile = cProfile.Profile()
    with postgres_database(pg_url) as db:
        client = Client(db, seed_users(db)).warm_up()
        profile.enable()
        for _ in range(n):
            client.lifecycle()
        profile.disable()
        statements = client.statements
    for line in profile_report(profile, n, statements):
        _log(line)


def run_step_times(sizes: list[int], reps: int, backends: list[Backend], result: dict) -> None:
    result["step_ms"] = {"sqlite": None, "postgresql": None}
    result["step_ms_p90"] = {"sqlite": None, "postgresql": None}
    for name, open_db in backends:
        _log(f"step time (head_review approve via services.complete_task) vs stored nominations, {name}:")
        with open_db() as db:
            levels = measure_step_times(db, sizes, reps, _log)
        for size, figures in levels.items():
            _log(f"  {int(size):>6} stored: median {figures['median']:7.2f} ms  p90 {figures['p90']:7.2f} ms  "
                 f"min {figures['min']:7.2f} ms")
        result["step_ms"][name] = {size: round(f["median"], 3) for size, f in levels.items()}
        result["step_ms_p90"][name] = {size: round(f["p90"], 3) for size, f in levels.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="lifecycles per measurement (default 200, or 20 with --quick)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="an existing PostgreSQL database to connect to as admin")
    parser.add_argument("--quick", action="store_true", help="small run: N=20, sizes 1/100/1000")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds the N lifecycles are split into")
    parser.add_argument("--reps", type=int, default=20, help="timed steps per stored-nomination level")
    parser.add_argument("--profile", action="store_true", help="also profile the PostgreSQL service lifecycle")
    args = parser.parse_args(argv)
    n = args.n or (20 if args.quick else 200)
    sizes = [1, 100, 1000] if args.quick else [1, 1000, 10000]
    started = time.perf_counter()
    result: dict = {"n": n, "council_members": len(COUNCIL), "actions_per_lifecycle": ACTIONS_PER_LIFECYCLE,
                    "code": _code_version(), "loadavg_start": round(os.getloadavg()[0], 2)}
    _log(f"vinhdanh lifecycle benchmark: N={n}, {len(COUNCIL)} council members, {ACTIONS_PER_LIFECYCLE} actions "
         f"per lifecycle, step-time sizes {sizes} x {args.reps} steps; code {result['code']}")
    _log(f"load average at start {result['loadavg_start']} on {os.cpu_count()} CPUs (other processes skew every figure)")

    backends: list[Backend] = [("sqlite", sqlite_database)]
    pg_url = reachable_pg_url(args.pg_url)
    if pg_url is None:
        _log(f"PostgreSQL unreachable at {args.pg_url}: skipping the PostgreSQL figures")
    else:
        backends.append(("postgresql", lambda: postgres_database(pg_url)))

    run_throughput(n, args.rounds, backends, result)
    if args.profile and pg_url is not None:
        run_profile(n, pg_url)
    run_step_times(sizes, args.reps, backends, result)

    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    result["loadavg_end"] = round(os.getloadavg()[0], 2)
    _log(f"total run time {result['elapsed_s']} s; load average at end {result['loadavg_end']}")
    first = ["n", "bare_per_s", "json_per_s", "sqlite_per_s", "pg_per_s", "ratio_pg_vs_json", "ratio_sqlite_vs_json",
             "ratio_pg_vs_bare", "ratio_sqlite_vs_bare", "ratio_json_vs_bare", "step_ms"]
    print(json.dumps({key: result[key] for key in first if key in result} | result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
