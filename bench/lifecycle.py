"""Lifecycle benchmark: what persistence and the service layer cost on top of SpiffWorkflow.

A nomination's lifecycle is the whole route as it was before council rounds and batch decisions
(``tests/fixtures/nomination_per_dossier_ballot.bpmn``, deployed over the bundled one) with no
returns: create, draft, head_review, secretariat_check, one ballot per council member (9), appraisal
and minister_sign, ending "awarded" -- 15 actions, each one step of one dossier, so the figures
measure a step's hot path, which today's route shares. (Today's route counts the council's votes in
rounds, ``bench/round.py``, and signs a batch decision for many dossiers, not measured here yet.)
The client drives it as the web app does: each demo user's :class:`~workflows.domain.actor.Actor` is loaded once after seeding
(``persistence.scope.load_actor``) and handed to ``services.create_nomination`` and
``services.complete_task``, as a request hands over the actor it already loaded, so no action
pays for loading its actor. One run measures:

1. **bare**: the lifecycle on a parsed route (``engine.parse`` of the shipped bundle: BPMN, forms,
   rules) with ``engine.start``/``engine.run_task`` in memory. The engine's own cost, the ceiling.
2. **json**: the same, but the state is serialized without the spec (``engine.dumps``) after every
   action and restored (``engine.loads``) before the next one. This is the floor that any
   persistence pays, since every request starts from a stored state.
3. **sqlite** / **postgresql**: the lifecycle through the service layer (one unit of work,
   ``services.NominationStep``, per action: lock, checks, engine, state, inbox rows, timers, audit
   chain, one commit). Each action is preceded by the lookup of the actor's ready ``TaskItem``
   (one indexed read query, as a client listing its inbox does); that lookup is inside the timed
   loop and its share is reported separately.
   The four modes run interleaved, in rounds, so that load from other processes on a shared
   machine hits them alike; the ratios are the robust figures, the absolute rates less so.
   The target is ``ratio_pg_vs_json >= 0.5``: the service on PostgreSQL at least half as fast as
   the JSON floor.
4. **step time vs stored nominations, per kind of step**: at each level (1, 1,000, 10,000 and
   100,000 stored nominations; 1, 100, 1,000 with ``--quick``; ``--sizes`` to choose) each of
   ``--reps`` repetitions (20; 10 with ``--quick``) carries one fresh nomination through the whole
   route and times every kind of step on its own: ``create`` (``create_nomination``), ``draft``
   (the dossier submitted), ``head_review``, ``secretariat_check`` (opens the ballot),
   ``vote_first``, ``vote_last`` (closes the ballot with the council's result), ``appraisal`` and
   ``minister_sign`` (ends "awarded", takes a decision number); the seven middle votes run
   untimed. Only the service call is inside a timer: the lookup of the ready task and a
   ``gc.collect()`` come first (the process's long-lived objects are frozen out of the collector
   once set up, so that costs microseconds). The timed nomination is the last stored one and is
   deleted after its lifecycle, so the count stays exact; one untimed lifecycle warms each level.

   Each repetition alternates with one on a **reference** database of the same backend that holds
   only its timed nomination, so both see the same load from other processes. Reported per kind:
   median and p90 at each level, and the **growth**: the median at the largest level over the
   reference's median measured alongside it (the goal: <= 1.2 for every kind); ``sequential`` is
   the median at the largest level over the median at the first, measured minutes earlier under
   whatever load there was then, and the reference's drift between those times shows how much
   of that is load.

   The stored nominations are bulk copies of three templates run through the service, in the mix
   of a ministry a few years in (by new id modulo 20): 17 of 20 awarded (14 task rows, 17 audit
   events, 12 closed timer rows, a registry row), 2 of 20 half-way through the council vote (4
   ballots cast, 5 ready ballot rows assigned to council members, 2 pending timers), 1 of 20
   waiting at head_review (a ready row for the unit's head, 2 pending timers). Copies get fresh
   nomination ids, task and timer uuids, decision numbers and audit subjects (``subject_id`` = the
   new id as text; their hash chains do not verify, nothing checks them). A copy's
   ``instance_states.state`` is a stub of a few bytes instead of the template's ~23 KiB serialized
   workflow: copies are never acted on, and what the timed steps meet of them is their rows'
   locking and index behaviour, not their payload (so the table is smaller than production's:
   no difference to a read by key, a big one to a full scan). The copying happens inside the
   database -- one ``INSERT ... SELECT`` per table from ``bench_template_*`` tables joined to a
   number series, no row through Python -- 10,000 nominations per transaction; on SQLite with a
   256 MiB page cache for the load, on PostgreSQL with the foreign-key triggers off for it
   (``session_replication_role = replica``, superuser; the rows are consistent by construction).
   100,000 nominations (~4.6 million rows) take under a minute on either. After each load the
   database is vacuumed, analyzed and checkpointed (what autovacuum and the checkpointer do in
   production anyway), so that this background work does not land in the timed steps.
5. **SQL statements per action, per kind**: counted on the engine's ``before_cursor_execute``
   event around the service call of each kind in one lifecycle per backend (SQLite's ``BEGIN`` is
   a statement there, a commit is not; PostgreSQL's pool pre-ping is not either); ``lookup`` is the
   client's inbox read before each action. Every lifecycle of every level is checked to issue the
   same counts.

PostgreSQL runs in a dedicated database (``vinhdanh_bench``, created from ``--pg-url`` and dropped
at the end), so it does not collide with the test database. If the server is unreachable the
PostgreSQL figures are skipped and null in the JSON.

Usage: ``python bench/lifecycle.py [--n N] [--pg-url URL] [--quick] [--sizes 1,1000,...] [--rounds R]
[--reps K] [--profile]``. The last line of output is one JSON object with every figure; besides the
throughput figures and ratios: ``step_ms_by_kind`` {backend: {kind: {size: median ms}}},
``step_ms_p90_by_kind`` (the same, p90), ``step_ms_reference_by_kind`` (the reference's medians
alongside each level), ``step_growth`` and ``step_growth_sequential`` {backend: {kind: ratio}},
``statements_per_action`` {backend: {kind: n}}, ``bulk_load_s`` {backend: {size: seconds}}, and
``step_ms``/``step_ms_p90`` {backend: {size: ms}}: head_review, the one step earlier runs timed.
``--profile`` adds a separate cProfile pass over the PostgreSQL service lifecycle (not counted in
the figures) and prints where the time goes: top cumulative entries, self time by package, and a
breakdown by service function.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/concurrent.py is named like the standard library's ``concurrent`` package: run as a script, this
# folder would come first on sys.path and shadow ``concurrent.futures`` (asyncio, hence SQLAlchemy, imports it).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import AbstractContextManager, ExitStack, contextmanager  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from sqlalchemy import (  # noqa: E402
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    case,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    text,
)
from sqlalchemy.engine import Connection, make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bench.common import DOSSIER, PER_DOSSIER_ROUTE, attach_documents, deploy_per_dossier_route, fresh_database  # noqa: E402
from workflows import engine, services  # noqa: E402
from workflows.domain.actor import Actor  # noqa: E402
from workflows.domain.calendar import WorkingCalendar  # noqa: E402
from workflows.engine.scripting import RouteContext  # noqa: E402
from workflows.persistence import migrate, versions  # noqa: E402
from workflows.persistence.db import Database  # noqa: E402
from workflows.persistence.model import AwardRecord, Base, Nomination, TaskItem, Unit, User, UserRole  # noqa: E402
from workflows.persistence.scope import load_actor  # noqa: E402
from workflows.services import demo  # noqa: E402
from workflows.services.accounts import hash_password, new_session_token  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "vinhdanh_bench"
COUNCIL = [f"council{i}" for i in range(1, 10)]
ACTIONS_PER_LIFECYCLE = 3 + len(COUNCIL) + 3  # create, draft, head, secretariat, ballots, appraisal, sign
WARMUP = 2

APPROVE = {"decision": "approve"}
AGREE = {"vote": "agree"}
# What the service layer puts into task data for this dossier (routing flags come from the award form).
START_DATA = {"needs_vote": True, "needs_disclosure": False, "above_ministry": False, "council_done": False,
              "vote_closed": False}
DRAFT_DATA = {"needs_vote": True, "needs_disclosure": False, "above_ministry": False}
LAST_BALLOT_DATA = {"council_passed": True, "council_done": True}

# The route's steps as the client takes them: (kind timed in figure 4, or None; username; form data).
ROUTE = [
    ("draft", "clerk1", {}),
    ("head_review", "head1", APPROVE),
    ("secretariat_check", "secretary", APPROVE),
    *[("vote_first" if i == 0 else "vote_last" if i == len(COUNCIL) - 1 else None, username, AGREE)
      for i, username in enumerate(COUNCIL)],
    ("appraisal", "reviewer", APPROVE),
    ("minister_sign", "minister", APPROVE),
]
KINDS = ["create", *(kind for kind, _user, _data in ROUTE if kind)]
GROWTH_GOAL = 1.2


# --- baselines: the engine alone -------------------------------------------------------------

def shipped_bundle() -> engine.Bundle:
    """What the benchmark databases deploy: the shipped bundle with the route signed and voted per dossier."""
    return versions.shipped_bundle(PER_DOSSIER_ROUTE.read_text(encoding="utf-8"))


def _route() -> engine.Route:
    return engine.parse(shipped_bundle())


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


def _script_engine(route: engine.Route):
    """The route's timer expressions need their helpers: the same deadlines the service computes."""
    now = datetime.now(UTC)
    days = route.rules.step_days(DOSSIER["award_form"], now)
    return RouteContext(now, WorkingCalendar(), days.get).script_engine()


def engine_lifecycle(route: engine.Route, actions: list[tuple[str, dict]], round_trip: bool) -> None:
    workflow = engine.start(route, START_DATA, _script_engine(route))
    state = engine.dumps(workflow) if round_trip else ""
    for step, data in actions:
        if round_trip:
            workflow = engine.loads(route, state, _script_engine(route))
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
def sqlite_database(name: str = BENCH_DATABASE) -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="vinhdanh-bench-") as tmp:
        db = Database(f"sqlite:///{tmp}/{name}.db")
        try:
            migrate.upgrade(db)
            deploy_per_dossier_route(db)
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
def postgres_database(admin_url: str, name: str = BENCH_DATABASE) -> Iterator[Database]:
    """A fresh database (``vinhdanh_bench`` unless named) on the per-dossier route, dropped on exit."""
    with fresh_database(admin_url, name) as db:
        deploy_per_dossier_route(db)
        yield db


# --- the service layer -----------------------------------------------------------------------

class Client:
    """Drives nominations through the services as the web app would, timing its own lookups.

    ``users`` maps usernames to ids; each user's Actor is loaded once here, and every service call
    gets the Actor, as the web app passes the one its request already loaded.
    """

    def __init__(self, db: Database, users: dict[str, int]) -> None:
        self.db = db
        self.users = users
        with db.read() as s:
            self.actors: dict[str, Actor] = {username: load_actor(s, user_id) for username, user_id in users.items()}
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

    def complete(self, username: str, item_id: int, data: dict) -> services.Outcome:
        return services.complete_task(self.db, self.actors[username], item_id, dict(data))

    def step(self, nomination_id: int, username: str, data: dict) -> services.Outcome:
        return self.complete(username, self.ready_item(nomination_id, username), data)

    def create_only(self) -> int:
        return services.create_nomination(self.db, self.actors["clerk1"], dict(DOSSIER))

    def create(self) -> int:
        """A new dossier with its required documents (attached outside any timer)."""
        nomination_id = self.create_only()
        attach_documents(self.db, self.actors["clerk1"], nomination_id)
        return nomination_id

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
            self.step(nomination_id, username, AGREE)
        if ballots is None:
            self.step(nomination_id, "reviewer", APPROVE)
            outcome = self.step(nomination_id, "minister", APPROVE)
            if outcome.state != "awarded":
                raise RuntimeError(f"service lifecycle ended {outcome.state!r}")
        return nomination_id

    def timed_lifecycle(self) -> tuple[int, dict[str, float], dict[str, int]]:
        """One lifecycle with each kind of step timed on its own: (nomination id, ms per kind, statements per kind).

        Only the service call is inside a timer; the ready-task lookup and a garbage collection come first.
        """
        ms: dict[str, float] = {}
        statements: dict[str, int] = {}

        def timed(kind: str | None, call: Callable[[], object]) -> object:
            if kind is None:
                return call()
            gc.collect()
            before = self.statements
            started = time.perf_counter()
            result = call()
            ms[kind] = (time.perf_counter() - started) * 1000
            statements[kind] = self.statements - before
            return result

        nomination_id = timed("create", self.create_only)
        attach_documents(self.db, self.actors["clerk1"], nomination_id)  # untimed: the submission checks them
        outcome = None
        for kind, username, data in ROUTE:
            before = self.statements
            item = self.ready_item(nomination_id, username)
            statements["lookup"] = self.statements - before
            outcome = timed(kind, lambda username=username, item=item, data=data: self.complete(username, item, data))
        if outcome is None or outcome.state != "awarded":
            raise RuntimeError(f"timed lifecycle ended {outcome and outcome.state!r}")
        return nomination_id, ms, statements


# --- stored nominations: templates and bulk copies -------------------------------------------

CHILD_TABLES = ("instance_states", "task_items", "audit_events", "timers", "award_registry")
COPIED_TABLES = ("nominations", *CHILD_TABLES)
# (template, share of 20): what the stored nominations look like; the timed steps never touch them.
MIX = (("awarded", 17), ("mid_ballot", 2), ("at_head_review", 1))
STUB_STATE = '{"bench": "stub state of a bulk copy, never restored"}'
COPY_CHUNK = 10_000  # nominations per transaction


def make_templates(client: Client) -> dict[str, int]:
    """One nomination of each kind in ``MIX``, run through the service."""
    return {"awarded": client.lifecycle(), "mid_ballot": client.lifecycle(ballots=4),
            "at_head_review": client.to_head_review()}


class Copier:
    """Bulk copies of template nominations, made inside the database.

    The templates' rows are kept in ``bench_template_*`` tables (same columns, no constraints), so the
    originals can be deleted and level 1 starts empty. A chunk is one ``INSERT ... SELECT`` per table
    from the templates joined to a number series (``bench_series``) and the mix (``bench_mix``: the
    new id modulo 20 gives the template), with the nomination ids chosen explicitly and
    everything that must be unique made fresh in SQL.
    """

    def __init__(self, db: Database, template_ids: dict[str, int]) -> None:
        self.db = db
        self.pg = not db.is_sqlite
        meta = MetaData()
        self.series = Table("bench_series", meta, Column("i", Integer, primary_key=True))
        self.mix = Table("bench_mix", meta, Column("k", Integer, primary_key=True), Column("template_id", Integer))
        self.templates = {name: Table(f"bench_template_{name}", meta,
                                      *[Column(c.name, c.type) for c in Base.metadata.tables[name].c])
                          for name in COPIED_TABLES}
        self.mix_size = sum(share for _name, share in MIX)
        ids = list(template_ids.values())
        with db.engine.begin() as conn:
            meta.create_all(conn)
            conn.execute(insert(self.series), [{"i": i} for i in range(COPY_CHUNK)])
            slots = [template_ids[name] for name, share in MIX for _ in range(share)]
            conn.execute(insert(self.mix), [{"k": k, "template_id": t} for k, t in enumerate(slots)])
            for name, template in self.templates.items():
                source = Base.metadata.tables[name]
                key = source.c.id if name == "nominations" else source.c.nomination_id
                conn.execute(insert(template).from_select(list(source.c.keys()), select(source).where(key.in_(ids))))
        self.statements = {name: self._statement(name) for name in COPIED_TABLES}

    def _uuid(self):
        if self.pg:
            return cast(func.gen_random_uuid(), String)
        h = "lower(hex(randomblob({}))) "
        return literal_column(f"{h.format(4)}|| '-' || {h.format(2)}|| '-4' || substr({h.format(2)}, 2) || '-' || "
                              f"{h.format(2)}|| '-' || {h.format(6)}", String)

    def _statement(self, name: str):
        table, template = Base.metadata.tables[name], self.templates[name]
        new_id = bindparam("base", type_=Integer) + self.series.c.i
        replaced = {"nomination_id": new_id, "task_uuid": self._uuid(), "subject_id": cast(new_id, String)}
        if "decision_number" in template.c:
            replaced["decision_number"] = case((template.c.decision_number.is_(None), null()),
                                               else_=literal("BENCH-", String) + cast(new_id, String))
        if name == "nominations":
            replaced["id"] = new_id
        if name == "instance_states":
            replaced["state"] = literal(STUB_STATE, String)
        columns = [c.name for c in table.c if c.name != "id" or name == "nominations"]
        key = template.c.id if name == "nominations" else template.c.nomination_id
        query = (
            select(*[replaced[c].label(c) if c in replaced else template.c[c] for c in columns])
            .select_from(self.series.join(self.mix, self.mix.c.k == new_id % self.mix_size)
                         .join(template, key == self.mix.c.template_id))
            .where(self.series.c.i < bindparam("count", type_=Integer))
            .order_by(self.series.c.i, *[template.c[c.name] for c in table.primary_key.columns if c.name != key.name])
        )
        return insert(table).from_select(columns, query)

    def copy(self, count: int) -> None:
        """``count`` more copies, one transaction per ``COPY_CHUNK``."""
        if count <= 0:
            return
        with self.db.engine.connect() as conn:
            cache_size = None
            if not self.pg:  # a large page cache for the load only; the pooled connection gets its own back after
                cache_size = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
                conn.exec_driver_sql("PRAGMA cache_size = -262144")
                conn.commit()
            try:
                for offset in range(0, count, COPY_CHUNK):
                    with conn.begin():
                        self._chunk(conn, min(COPY_CHUNK, count - offset))
            finally:
                if cache_size is not None:
                    conn.exec_driver_sql(f"PRAGMA cache_size = {cache_size}")
                    conn.commit()

    def _chunk(self, conn: Connection, count: int) -> None:
        if self.pg:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # no FK triggers (superuser)
            base = conn.scalar(text("SELECT nextval(pg_get_serial_sequence('nominations', 'id'))"))
        else:
            base = (conn.scalar(select(func.max(Nomination.id))) or 0) + 1
        for name in COPIED_TABLES:
            conn.execute(self.statements[name], {"base": base, "count": count})
        if self.pg:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('nominations', 'id'), :last)"),
                         {"last": base + count - 1})


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


def _all_nomination_ids(db: Database) -> list[int]:
    with db.read() as s:
        return list(s.scalars(select(Nomination.id)))


def _percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {"median": statistics.median(samples), "p90": samples[int(0.9 * (len(samples) - 1))], "min": samples[0]}


def measure_step_times(db: Database, reference: Database, sizes: list[int], reps: int,
                       log: Callable[[str], None]) -> dict:
    """Per kind of step and stored-nomination level: percentiles of the milliseconds on ``db`` and, timed in
    alternation with them, on ``reference`` (which holds only its timed nomination); statements per kind."""
    client = Client(db, seed_users(db)).warm_up()
    base = Client(reference, seed_users(reference)).warm_up()
    copier = Copier(db, make_templates(client))
    for each in (db, reference):  # templates and warm-up: level 1 starts empty
        delete_nominations(each, _all_nomination_ids(each))
    settle(reference)
    # The process's long-lived objects (parsed route, schemas, modules) out of the collector's way: the
    # gc.collect() before each timed call then costs microseconds instead of ~80 ms.
    gc.collect()
    gc.freeze()
    sides = {"stored": client, "reference": base}
    times: dict[str, dict[str, dict[str, dict[str, float]]]] = {side: {kind: {} for kind in KINDS} for side in sides}
    statements: dict[str, dict[str, int]] = {}
    loads: dict[str, float] = {}
    for size in sorted(sizes):
        missing = size - 1 - count_nominations(db)  # the timed nomination is the last one
        started = time.perf_counter()
        copier.copy(missing)
        copied = time.perf_counter() - started
        settle(db)  # at every level, the first too: each starts with fresh statistics and a clean WAL
        if missing > 0:
            settled = time.perf_counter() - started - copied
            loads[str(size)] = round(copied + settled, 1)
            log(f"  loaded {missing} stored nominations in {copied:.1f} s, settled in {settled:.1f} s")
        for side in sides.values():  # untimed warm-up of this level
            delete_nominations(side.db, [side.timed_lifecycle()[0]])
        samples: dict[str, dict[str, list[float]]] = {side: {kind: [] for kind in KINDS} for side in sides}
        counts: list[dict[str, int]] = []
        load = os.getloadavg()[0]
        for rep in range(reps):
            for side in (["stored", "reference"] if rep % 2 == 0 else ["reference", "stored"]):
                nomination_id, ms, counted = sides[side].timed_lifecycle()
                if side == "stored" and rep == 0 and (stored := count_nominations(db)) != size:
                    raise RuntimeError(f"expected {size} stored nominations, found {stored}")
                delete_nominations(sides[side].db, [nomination_id])
                for kind, value in ms.items():
                    samples[side][kind].append(value)
                counts.append(counted)
        if any(c != counts[0] for c in counts):
            log(f"  NOTE: statement counts differ between the lifecycles at {size}: {counts}")
        statements[str(size)] = counts[0]
        for side in sides:
            for kind in KINDS:
                times[side][kind][str(size)] = _percentiles(samples[side][kind])
        log(f"  {size:>7} stored: {reps} lifecycles, each with one on the reference database "
            f"(load average {load:.2f} -> {os.getloadavg()[0]:.2f})")
    return {"times": times["stored"], "reference": times["reference"], "statements": statements, "loads": loads}


# --- profile report --------------------------------------------------------------------------

PROFILE_SCOPES = (str(ROOT / "workflows"), "SpiffWorkflow", "sqlalchemy")
BREAKDOWN = [  # (label, file suffix, function): cumulative times, overlapping by design
    ("services.complete_task", "workflows/services/nominations.py", "complete_task"),
    ("services.create_nomination", "workflows/services/nominations.py", "create_nomination"),
    ("NominationStep._locked (locking read)", "workflows/services/unit_of_work.py", "_locked"),
    ("NominationStep._load (restore, open rows)", "workflows/services/unit_of_work.py", "_load"),
    ("NominationStep.write (projections, state)", "workflows/services/unit_of_work.py", "write"),
    ("scope.load_actor (0: actors passed in)", "workflows/persistence/scope.py", "load_actor"),
    ("versions.route_for (route cache)", "workflows/persistence/versions.py", "route_for"),
    ("engine.loads (JSON -> workflow)", "workflows/engine/runtime.py", "loads"),
    ("engine.dumps (workflow -> JSON)", "workflows/engine/runtime.py", "dumps"),
    ("engine.run_task (engine steps)", "workflows/engine/runtime.py", "run_task"),
    ("engine.pending_timers", "workflows/engine/runtime.py", "pending_timers"),
    ("inbox.sync", "workflows/projections/inbox.py", "sync"),
    ("timers.sync", "workflows/projections/timers.py", "sync"),
    ("ballot.open_ballot", "workflows/services/ballot.py", "open_ballot"),
    ("ballot.vote", "workflows/services/ballot.py", "vote"),
    ("endings.finish (award, decision number)", "workflows/services/endings.py", "finish"),
    ("audit.record", "workflows/persistence/audit.py", "record"),
    ("forms.validate", "workflows/domain/forms.py", "validate"),
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


def _defines(suffix: str, function: str) -> bool:
    path = ROOT / suffix
    return path.is_file() and f"def {function}(" in path.read_text(encoding="utf-8")


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
        lines.append(f"    {package:42} {tottime / n * 1000:7.2f} ms/lifecycle {100 * tottime / total:5.1f} %")
    lines.append("  breakdown (cumulative, overlapping):")
    for label, suffix, function in BREAKDOWN:
        # several methods may share a name in one file (Session.commit, SessionTransaction.commit):
        # the outermost one, the largest cumulative time, is the one that counts
        matches = [v for k, v in stats.items() if k[0].endswith(suffix) and k[2] == function]
        if matches:
            _cc, calls, _tt, cumtime, _callers = max(matches, key=lambda v: v[3])
            lines.append(f"    {label:42} {cumtime / n * 1000:7.2f} ms/lifecycle {100 * cumtime / total:5.1f} %  ({calls} calls)")
        elif suffix.startswith(("workflows/", "bench/")) and not _defines(suffix, function):
            lines.append(f"    {label:42} STALE: {suffix} defines no {function}() any more")
        else:
            lines.append(f"    {label:42}    not called")
    return lines


# --- main ------------------------------------------------------------------------------------

Backend = tuple[str, Callable[..., AbstractContextManager[Database]]]  # (name, open a database, optionally named)


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
        shipped = shipped_bundle().sha256
        for name, open_db in backends:
            db = stack.enter_context(open_db())
            with db.read() as s:
                deployed = versions.latest(s).sha256
            if deployed != shipped:
                _log(f"NOTE: {name} deployed another bundle than the baselines parse ({deployed[:12]} vs {shipped[:12]})")
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


def _cell(figures: dict[str, float]) -> str:
    return f"{figures['median']:7.2f} ({figures['p90']:6.2f})"


def run_step_times(sizes: list[int], reps: int, backends: list[Backend], result: dict) -> None:
    """Figures 4 and 5: per kind of step, the time at each stored-nomination level and the statements."""
    for key in ("step_ms", "step_ms_p90", "step_ms_by_kind", "step_ms_p90_by_kind", "step_ms_reference_by_kind",
                "step_growth", "step_growth_sequential", "statements_per_action", "bulk_load_s"):
        result[key] = {"sqlite": None, "postgresql": None}
    result["stored_mix"] = {name: share / sum(s for _n, s in MIX) for name, share in MIX}
    result["stored_states"] = "stub"
    levels = [str(size) for size in sorted(sizes)]
    first, last = levels[0], levels[-1]
    for name, open_db in backends:
        _log(f"step time vs stored nominations, {name}: ms per service call, median (p90) of {reps} lifecycles per level")
        _log(f"  (stored copies: {', '.join(f'{share}/20 {kind}' for kind, share in MIX)}; their workflow state is a "
             f"stub of {len(STUB_STATE)} bytes, only their rows' locking and index behaviour count)")
        with open_db() as db, open_db(BENCH_DATABASE + "_reference") as reference:
            measured = measure_step_times(db, reference, sizes, reps, _log)
        times, base, statements = measured["times"], measured["reference"], measured["statements"][first]
        growth = {kind: round(times[kind][last]["median"] / base[kind][last]["median"], 3) for kind in KINDS}
        sequential = {kind: round(times[kind][last]["median"] / times[kind][first]["median"], 3) for kind in KINDS}
        _log(f"  {'kind':18}" + "".join(f"{int(size):>17}" for size in levels)
             + f"  {'reference':>17}  growth  sequential  statements")
        for kind in KINDS:
            flag = "" if growth[kind] <= GROWTH_GOAL else "  > goal"
            _log(f"  {kind:18}" + "".join(f"  {_cell(times[kind][size])}" for size in levels)
                 + f"  {_cell(base[kind][last])}  {growth[kind]:6.2f}  {sequential[kind]:10.2f}  {statements[kind]:10d}{flag}")
        _log(f"  {'lookup (client)':18}" + " " * (17 * len(levels) + 19) + f"  {'':6}  {'':10}  {statements['lookup']:10d}")
        _log(f"  reference: the same steps on a database holding only the timed nomination, alternating with the "
             f"{int(last)}-stored lifecycles;")
        _log(f"  growth = median at {int(last)} / reference median; sequential = median at {int(last)} / median at "
             f"{int(first)} (measured earlier, under other load)")
        drift = {kind: base[kind][last]["median"] / base[kind][first]["median"] for kind in KINDS}
        _log(f"  the reference's own drift from the first level to the last (load): "
             f"{min(drift.values()):.2f} .. {max(drift.values()):.2f}")
        over = [kind for kind in KINDS if growth[kind] > GROWTH_GOAL]
        verdict = f"{', '.join(over)} MISS" if over else "every kind meets"
        _log(f"  growth at {int(last)} stored: {verdict} the goal of <= {GROWTH_GOAL}")
        for key, figures, figure in (("step_ms_by_kind", times, "median"), ("step_ms_p90_by_kind", times, "p90"),
                                     ("step_ms_reference_by_kind", base, "median")):
            result[key][name] = {kind: {size: round(f[figure], 3) for size, f in figures[kind].items()} for kind in KINDS}
        result["step_growth"][name] = growth
        result["step_growth_sequential"][name] = sequential
        result["statements_per_action"][name] = statements
        result["bulk_load_s"][name] = measured["loads"]
        result["step_ms"][name] = result["step_ms_by_kind"][name]["head_review"]  # what earlier runs reported
        result["step_ms_p90"][name] = result["step_ms_p90_by_kind"][name]["head_review"]


def _sizes(value: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {value!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes are stored-nomination counts, each at least 1")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="lifecycles per measurement (default 200, or 20 with --quick)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="an existing PostgreSQL database to connect to as admin")
    parser.add_argument("--quick", action="store_true", help="small run: N=20, sizes 1/100/1000, 10 reps")
    parser.add_argument("--sizes", type=_sizes, help="stored-nomination levels, e.g. 1,1000,100000 "
                        "(default 1,1000,10000,100000, or 1,100,1000 with --quick)")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds the N lifecycles are split into")
    parser.add_argument("--reps", type=int, help="timed lifecycles per stored-nomination level (default 20, or 10 with --quick)")
    parser.add_argument("--profile", action="store_true", help="also profile the PostgreSQL service lifecycle")
    args = parser.parse_args(argv)
    n = args.n or (20 if args.quick else 200)
    reps = args.reps or (10 if args.quick else 20)
    sizes = args.sizes or ([1, 100, 1000] if args.quick else [1, 1000, 10000, 100000])
    started = time.perf_counter()
    result: dict = {"n": n, "council_members": len(COUNCIL), "actions_per_lifecycle": ACTIONS_PER_LIFECYCLE,
                    "code": _code_version(), "loadavg_start": round(os.getloadavg()[0], 2), "sizes": sizes,
                    "reps": reps}
    _log(f"vinhdanh lifecycle benchmark: N={n}, {len(COUNCIL)} council members, {ACTIONS_PER_LIFECYCLE} actions "
         f"per lifecycle, step-time sizes {sizes} x {reps} lifecycles; code {result['code']}")
    _log(f"load average at start {result['loadavg_start']} on {os.cpu_count()} CPUs (other processes skew every figure)")

    backends: list[Backend] = [("sqlite", sqlite_database)]
    pg_url = reachable_pg_url(args.pg_url)
    if pg_url is None:
        _log(f"PostgreSQL unreachable at {args.pg_url}: skipping the PostgreSQL figures")
    else:
        backends.append(("postgresql", lambda name=BENCH_DATABASE: postgres_database(pg_url, name)))

    run_throughput(n, args.rounds, backends, result)
    if args.profile and pg_url is not None:
        run_profile(n, pg_url)
    run_step_times(sizes, reps, backends, result)

    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    result["loadavg_end"] = round(os.getloadavg()[0], 2)
    _log(f"total run time {result['elapsed_s']} s; load average at end {result['loadavg_end']}")
    first = ["n", "bare_per_s", "json_per_s", "sqlite_per_s", "pg_per_s", "ratio_pg_vs_json", "ratio_sqlite_vs_json",
             "ratio_pg_vs_bare", "ratio_sqlite_vs_bare", "ratio_json_vs_bare", "step_growth", "step_ms_by_kind",
             "statements_per_action"]
    print(json.dumps({key: result[key] for key in first if key in result} | result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
