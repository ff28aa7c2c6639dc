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
   The target is ``ratio_pg_vs_json >= 0.5``: the service on PostgreSQL at least half as fast as
   the JSON floor.
4. **step time vs stored nominations**: the time of ONE ``complete_task`` (head_review approve)
   when the database holds 1, 1,000 and 10,000 nominations, to show whether anything in a step
   grows with the table sizes. The stored nominations are bulk-copied from two templates run
   through the service (one awarded, one half-way through the council vote) with fresh ids,
   task uuids and decision numbers; the copies are never acted on. Each level times ``--reps``
   steps, each on its own nomination positioned at head_review (not timed) and deleted
   afterwards so that the count stays exact; the median is reported. Tables are ANALYZEd after
   each bulk load (what autovacuum does in production shortly after).

PostgreSQL runs in a dedicated database (``vinhdanh_bench``, created from ``--pg-url`` and dropped
at the end), so it does not collide with the test database. If the server is unreachable the
PostgreSQL figures are skipped and null in the JSON.

Usage: ``python bench/lifecycle.py [--n N] [--pg-url URL] [--quick] [--profile]``. The last line
of output is one JSON object with every figure. ``--profile`` adds a separate cProfile pass over
the PostgreSQL service lifecycle (not counted in the figures) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, delete, event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from workflows import demo, deploy, engine, migrate, services  # noqa: E402
from workflows.accounts import hash_password, new_session_token  # noqa: E402
from workflows.db import Database  # noqa: E402
from workflows.model import AwardRecord, Base, Nomination, TaskItem, Unit, User, UserRole  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "vinhdanh_bench"
COUNCIL = [f"council{i}" for i in range(1, 10)]
ACTIONS_PER_LIFECYCLE = 3 + len(COUNCIL) + 3  # create, draft, head, secretariat, ballots, appraisal, sign
WARMUP = 2

DOSSIER = {
    "nominee_name": "Nguyễn Văn Bench",
    "nominee_kind": "individual",
    "award_form": "bang_khen_bo_truong",
    "year": 2026,
    "nominee_position": "Chuyên viên",
    "movement": "Phong trào thi đua yêu nước năm 2026",
    "field": "Bưu chính",
    "achievements": "Hoàn thành xuất sắc nhiệm vụ năm 2025 và 2026; hai sáng kiến cấp cơ sở được công nhận.",
}
APPROVE = {"decision": "approve"}
# What the service layer puts into task data for this dossier (routing flags come from the award form).
START_DATA = {"needs_vote": True, "above_ministry": False, "council_done": False, "vote_closed": False}
DRAFT_DATA = {"needs_vote": True, "above_ministry": False}
LAST_BALLOT_DATA = {"council_passed": True, "council_done": True}


# --- baselines: the engine alone -------------------------------------------------------------

def _route() -> engine.Route:
    xml = deploy.NOMINATION_ROUTE.read_text(encoding="utf-8")
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


def engine_lifecycle(route: engine.Route, actions: list[tuple[str, dict]], round_trip: bool) -> None:
    workflow = engine.start(route, START_DATA)
    state = engine.dumps(workflow) if round_trip else ""
    for step, data in actions:
        if round_trip:
            workflow = engine.loads(route, state)
        task = next(t for t in engine.ready_user_tasks(workflow) if t.task_spec.bpmn_id == step)
        engine.run_task(workflow, task, dict(data))
        if round_trip:
            state = engine.dumps(workflow)
    if engine.outcome(workflow) != "awarded":
        raise RuntimeError(f"baseline lifecycle ended {engine.outcome(workflow)!r}")


def measure_engine(n: int, round_trip: bool) -> float:
    """Seconds for ``n`` lifecycles."""
    route = _route()
    actions = _engine_actions(list(range(1, len(COUNCIL) + 1)))
    for _ in range(WARMUP):
        engine_lifecycle(route, actions, round_trip)
    started = time.perf_counter()
    for _ in range(n):
        engine_lifecycle(route, actions, round_trip)
    return time.perf_counter() - started


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


@contextmanager
def postgres_database(admin_url: str) -> Iterator[Database]:
    """A fresh ``vinhdanh_bench`` database, dropped on exit."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def recreate(create: bool) -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            if create:
                conn.exec_driver_sql(f"CREATE DATABASE {BENCH_DATABASE}")

    recreate(create=True)
    db = Database(make_url(admin_url).set(database=BENCH_DATABASE).render_as_string(hide_password=False))
    try:
        migrate.upgrade(db)
        yield db
    finally:
        db.dispose()
        recreate(create=False)
        admin.dispose()


# --- the service layer -----------------------------------------------------------------------

class Client:
    """Drives nominations through the services as the web app would, timing its own lookups."""

    def __init__(self, db: Database, users: dict[str, int]) -> None:
        self.db = db
        self.users = users
        self.lookup_seconds = 0.0

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


def measure_service(db: Database, n: int, profile: cProfile.Profile | None = None) -> dict[str, float]:
    """Seconds for ``n`` lifecycles through the services, the part spent in lookups, SQL statements run."""
    client = Client(db, seed_users(db))
    for _ in range(WARMUP):
        client.lifecycle()
    client.lookup_seconds = 0.0
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    if profile is not None:
        profile.enable()
    started = time.perf_counter()
    for _ in range(n):
        client.lifecycle()
    elapsed = time.perf_counter() - started
    if profile is not None:
        profile.disable()
    event.remove(db.engine, "before_cursor_execute", count)
    return {"seconds": elapsed, "lookup_seconds": client.lookup_seconds, "statements": statements[0]}


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


def analyze(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


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
    client = Client(db, seed_users(db))
    for _ in range(WARMUP):
        client.lifecycle()
    templates_ids = [client.lifecycle(), client.lifecycle(ballots=4)]
    templates = [snapshot(db, i) for i in templates_ids]
    delete_nominations(db, _all_nomination_ids(db))  # templates and warm-up: level 1 starts empty
    results: dict[str, dict] = {}
    for size in sorted(sizes):
        missing = size - 1 - count_nominations(db)  # the timed nomination is the last one
        if missing > 0:
            started = time.perf_counter()
            bulk_copy(db, templates, missing)
            analyze(db)
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


def profile_report(profile: cProfile.Profile, n: int, top: int = 15) -> list[str]:
    stats = pstats.Stats(profile).stats  # (file, line, function) -> (cc, nc, tottime, cumtime, callers)
    total = sum(tt for _cc, _nc, tt, _ct, _callers in stats.values())
    lines = [f"profile of {n} PostgreSQL service lifecycles: {total:.2f} s profiled "
             f"({total / n * 1000:.1f} ms per lifecycle under the profiler)"]
    lines.append(f"  top {top} cumulative in workflows/, SpiffWorkflow, sqlalchemy:")
    lines.append(f"    {'cum s':>7} {'ms/life':>8} {'calls':>8}  function")
    entries = sorted(
        ((key, value) for key, value in stats.items() if any(scope in key[0] for scope in PROFILE_SCOPES)),
        key=lambda kv: kv[1][3], reverse=True,
    )
    for (filename, line, function), (_cc, calls, _tt, cumtime, _callers) in entries[:top]:
        where = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        lines.append(f"    {cumtime:7.2f} {cumtime / n * 1000:8.2f} {calls:8d}  {where}:{line}({function})")
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

def _rate_line(label: str, n: int, seconds: float, extra: str = "") -> str:
    per_life = seconds / n * 1000
    return (f"{label:46} {n / seconds:8.1f} nominations/s  {per_life:8.2f} ms/lifecycle  "
            f"{per_life / ACTIONS_PER_LIFECYCLE:6.2f} ms/action{extra}")


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="lifecycles per measurement (default 200, or 20 with --quick)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="an existing PostgreSQL database to connect to as admin")
    parser.add_argument("--quick", action="store_true", help="small run: N=20, sizes 1/100/1000")
    parser.add_argument("--reps", type=int, default=20, help="timed steps per stored-nomination level")
    parser.add_argument("--profile", action="store_true", help="also profile the PostgreSQL service lifecycle")
    args = parser.parse_args(argv)
    n = args.n or (20 if args.quick else 200)
    sizes = [1, 100, 1000] if args.quick else [1, 1000, 10000]
    run_started = time.perf_counter()

    def log(line: str) -> None:
        print(line, flush=True)

    log(f"vinhdanh lifecycle benchmark: N={n}, {len(COUNCIL)} council members, {ACTIONS_PER_LIFECYCLE} actions "
        f"per lifecycle, step-time sizes {sizes} x {args.reps} steps")
    result: dict = {"n": n, "council_members": len(COUNCIL), "actions_per_lifecycle": ACTIONS_PER_LIFECYCLE}

    bare = measure_engine(n, round_trip=False)
    log(_rate_line("A  bare SpiffWorkflow, in memory", n, bare))
    json_floor = measure_engine(n, round_trip=True)
    log(_rate_line("B  JSON floor (dumps/loads every action)", n, json_floor))
    result["bare_per_s"] = round(n / bare, 2)
    result["json_per_s"] = round(n / json_floor, 2)

    pg_url = reachable_pg_url(args.pg_url)
    backends: list[tuple[str, Callable[[], AbstractContextManager[Database]]]] = [("sqlite", sqlite_database)]
    if pg_url is None:
        log(f"PostgreSQL unreachable at {args.pg_url}: skipping the PostgreSQL figures")
    else:
        backends.append(("postgresql", lambda: postgres_database(pg_url)))

    result["sqlite_per_s"] = result["pg_per_s"] = None
    result["lookup_ms_per_lifecycle"] = {}
    result["sql_statements_per_action"] = {}
    for name, open_db in backends:
        with open_db() as db:
            run = measure_service(db, n)
        seconds, lookups = run["seconds"], run["lookup_seconds"]
        key = "pg_per_s" if name == "postgresql" else "sqlite_per_s"
        result[key] = round(n / seconds, 2)
        result["lookup_ms_per_lifecycle"][name] = round(lookups / n * 1000, 3)
        result["sql_statements_per_action"][name] = round(run["statements"] / n / ACTIONS_PER_LIFECYCLE, 1)
        log(_rate_line(f"C/D service layer on {name}", n, seconds))
        log(f"{'':46} client lookups {lookups / n * 1000:.2f} ms/lifecycle of it ({n / (seconds - lookups):.1f}/s "
            f"without them); {run['statements'] / n / ACTIONS_PER_LIFECYCLE:.1f} SQL statements per action incl. lookup")

    result["ratio_pg_vs_json"] = _ratio(result["pg_per_s"], result["json_per_s"])
    result["ratio_pg_vs_bare"] = _ratio(result["pg_per_s"], result["bare_per_s"])
    result["ratio_sqlite_vs_json"] = _ratio(result["sqlite_per_s"], result["json_per_s"])
    result["ratio_sqlite_vs_bare"] = _ratio(result["sqlite_per_s"], result["bare_per_s"])
    result["ratio_json_vs_bare"] = _ratio(result["json_per_s"], result["bare_per_s"])
    log(f"ratios: JSON/bare {result['ratio_json_vs_bare']}; "
        f"SQLite/JSON {result['ratio_sqlite_vs_json']}, SQLite/bare {result['ratio_sqlite_vs_bare']}; "
        f"PostgreSQL/JSON {result['ratio_pg_vs_json']} (goal >= 0.5), PostgreSQL/bare {result['ratio_pg_vs_bare']}")
    if result["ratio_pg_vs_json"] is not None:
        verdict = "meets" if result["ratio_pg_vs_json"] >= 0.5 else "MISSES"
        log(f"PostgreSQL service vs JSON floor {verdict} the goal of 0.5")

    result["step_ms"] = {"sqlite": None, "postgresql": None}
    result["step_ms_p90"] = {"sqlite": None, "postgresql": None}
    for name, open_db in backends:
        log(f"step time (head_review approve via services.complete_task) vs stored nominations, {name}:")
        with open_db() as db:
            levels = measure_step_times(db, sizes, args.reps, log)
        for size, figures in levels.items():
            log(f"  {int(size):>6} stored: median {figures['median']:7.2f} ms  p90 {figures['p90']:7.2f} ms  "
                f"min {figures['min']:7.2f} ms")
        result["step_ms"][name] = {size: round(f["median"], 3) for size, f in levels.items()}
        result["step_ms_p90"][name] = {size: round(f["p90"], 3) for size, f in levels.items()}

    if args.profile and pg_url is not None:
        profile = cProfile.Profile()
        with postgres_database(pg_url) as db:
            measure_service(db, n, profile)
        for line in profile_report(profile, n):
            log(line)

    result["elapsed_s"] = round(time.perf_counter() - run_started, 1)
    log(f"total run time {result['elapsed_s']} s")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
