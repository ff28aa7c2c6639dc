"""Concurrency benchmark: the JSON API under gunicorn on PostgreSQL, with 1, 8 and 32 concurrent clients.

The product's web process as the Procfile's ``web`` line runs it (``gunicorn --workers 4 --threads 4
'webapp:create_app()'``, a real subprocess) on a fresh PostgreSQL database (``vinhdanh_bench_concurrent``,
created from ``--pg-url``, migrated, the route signed per dossier deployed over the bundled one (today's
route waits for a batch decision after appraisal), with the demo people, dropped at the end). Each client is a
thread of this process with its own keep-alive connection; it carries its nominations one after the
other through the whole route of ``bang_khen_bo_truong`` -- ``POST /api/v1/nominations``, then for
each of the 14 steps (draft, unit head, secretariat, 9 ballots, appraisal, minister) the actor's
``GET /api/v1/tasks?name=STEP`` to find the task and ``POST /api/v1/tasks/{id}/complete``. Clients
act on their own nominations only, so no answer but 200/201 is expected; a 409 would be counted
apart from the errors (any other status or exception), which must be 0.

Per level: task completions per second (completions / wall time of the level, creates and lookups
included, as a client lives it), the latency of each ``POST .../complete`` as the client saw it and
as gunicorn logged it (p50, p95), the lookups' latency, how many gunicorn workers served the
completions, the CPU this process (the clients) used, and the load average.

Baseline, measured in the same run on the same database: ONE client in this process calling the
service layer directly (``services.create_nomination``, the same indexed lookup of the actor's ready
task row, ``services.complete_task``), the same route -- the rate the product gets without HTTP,
Flask, JSON and authentication, in one process. It is measured before the HTTP levels and again
after them; both figures and their mean are given, and each level's rate is compared with the mean.
On a 2-CPU machine the server, PostgreSQL and the clients share the CPUs, so the ratio at 8 and 32
clients says how much concurrency buys on this machine, not on a production one.

Usage: ``python bench/concurrent.py [--pg-url URL] [--clients 1,8,32] [--completions 420] [--quick]``.
Each level carries ``max(2, ceil(completions / (14 x clients)))`` nominations per client. The last
line of output is one JSON object with every figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the standard library's ``concurrent`` package: run as a script, its folder would
# come first on sys.path and shadow ``concurrent.futures`` for everything imported below.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

from sqlalchemy import func, select  # noqa: E402

from bench.common import DOSSIER, attach_documents, deploy_per_dossier_route, fresh_database  # noqa: E402
from bench.lifecycle import Client, _code_version, reachable_pg_url  # noqa: E402
from tests.system.product import APPROVE, COUNCIL, Api, Product  # noqa: E402
from workflows import services  # noqa: E402
from workflows.persistence.db import Database  # noqa: E402
from workflows.persistence.model import Nomination, User  # noqa: E402
from workflows.services import demo  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "vinhdanh_bench_concurrent"
WEB_WORKERS, WEB_THREADS = 4, 4  # the Procfile's web line with WEB_CONCURRENCY unset
# On the route voted and signed per dossier (before council rounds and batch decisions), one step at a time.
ROUTE = [("draft", "clerk1", {}), ("head_review", "head1", APPROVE), ("secretariat_check", "secretary", APPROVE),
         *[("council_vote", member, {"vote": "agree"}) for member in COUNCIL], ("appraisal", "reviewer", APPROVE),
         ("minister_sign", "minister", APPROVE)]
STEPS = len(ROUTE)
ACCESS = re.compile(r'^<(\d+)> "POST /api/v1/tasks/\d+/complete HTTP/1\.1" (\d{3}) (\d+)ms$')


def _log(line: str) -> None:
    print(line, flush=True)


def _pct(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (None if empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the service layer in this process ---------------------------------------------------------

def in_process(db: Database, users: dict[str, int], nominations: int) -> dict:
    """One client calling the services directly: completions/s and complete_task latency."""
    client = Client(db, users)
    for _ in range(2):  # warm-up: route parsed, pool filled, statements prepared
        client.lifecycle()
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(nominations):
        nid = services.create_nomination(db, client.actors["clerk1"], dict(DOSSIER))
        attach_documents(db, client.actors["clerk1"], nid)
        for step, actor, data in ROUTE:
            item = client.ready_item(nid, actor)
            t0 = time.perf_counter()
            outcome = services.complete_task(db, client.actors[actor], item, dict(data))  # as a request hands it over
            latencies.append(time.perf_counter() - t0)
            if step == "minister_sign" and outcome.state != "awarded":
                raise RuntimeError(f"in-process lifecycle ended {outcome.state!r}")
    seconds = time.perf_counter() - started
    return {"completions": len(latencies), "seconds": round(seconds, 2),
            "completions_per_s": round(len(latencies) / seconds, 1),
            "complete_p50_ms": _ms(_pct(latencies, 50)), "complete_p95_ms": _ms(_pct(latencies, 95))}


# --- HTTP clients ----------------------------------------------------------------------------

class Level:
    """One level's clients and what they saw."""

    def __init__(self, api: Api, tokens: dict[str, str], clients: int, per_client: int) -> None:
        self.api, self.tokens, self.clients, self.per_client = api, tokens, clients, per_client
        self.lock = threading.Lock()
        self.complete_s: list[float] = []
        self.lookup_s: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.nominations: list[int] = []

    def _error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def client(self) -> None:
        local_complete, local_lookup, statuses, mine = [], [], Counter(), []
        try:
            for _ in range(self.per_client):
                status, body = self.api.request("POST", "/api/v1/nominations", dict(DOSSIER), token=self.tokens["clerk1"])
                statuses[status] += 1
                if status != 201:
                    return self._error(f"create: {status} {body}")
                nid = body["id"]
                mine.append(nid)
                self.api.attach_documents(nid, self.tokens["clerk1"], DOSSIER["award_form"])
                for step, actor, data in ROUTE:
                    t0 = time.perf_counter()
                    item = self.api.task_for(self.tokens[actor], step, nid)
                    local_lookup.append(time.perf_counter() - t0)
                    if item is None:
                        return self._error(f"nomination {nid}: {actor} has no {step} task")
                    t0 = time.perf_counter()
                    status, body = self.api.complete(self.tokens[actor], item, data)
                    local_complete.append(time.perf_counter() - t0)
                    statuses[status] += 1
                    if status != 200:
                        return self._error(f"nomination {nid}: {actor} {step}: {status} {body}")
        except Exception as exc:  # counted, never hidden
            self._error(f"{type(exc).__name__}: {exc}")
        finally:
            with self.lock:
                self.complete_s += local_complete
                self.lookup_s += local_lookup
                self.statuses.update(statuses)
                self.nominations += mine

    def run(self) -> float:
        threads = [threading.Thread(target=self.client, name=f"client{i}") for i in range(self.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def server_side(log: Path, offset: int) -> tuple[list[float], Counter[int], int]:
    """gunicorn's own time for each POST .../complete logged after ``offset``, and the pids that served them."""
    with log.open("rb") as fh:
        fh.seek(offset)
        text = fh.read().decode(errors="replace")
    times, pids = [], Counter()
    for line in text.splitlines():
        match = ACCESS.match(line.strip())
        if match:
            pids[int(match.group(1))] += 1
            times.append(int(match.group(3)) / 1000)
    return times, pids, offset + len(text.encode())


def awarded(db: Database, ids: list[int]) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Nomination)
                        .where(Nomination.id.in_(ids), Nomination.state == "awarded")) or 0


def run_level(api: Api, tokens: dict[str, str], db: Database, log: Path, clients: int, per_client: int) -> dict:
    offset = log.stat().st_size
    load, cpu = os.getloadavg()[0], _cpu()
    level = Level(api, tokens, clients, per_client)
    seconds = level.run()
    time.sleep(0.3)  # let gunicorn flush its access log
    server, pids, _ = server_side(log, offset)
    ok = level.statuses[200]
    conflicts = level.statuses[409]
    errors = len(level.errors) + sum(n for status, n in level.statuses.items() if status not in (200, 201, 409))
    return {
        "clients": clients, "nominations": len(level.nominations), "completions": ok, "seconds": round(seconds, 2),
        "completions_per_s": round(ok / seconds, 1),
        "complete_p50_ms": _ms(_pct(level.complete_s, 50)), "complete_p95_ms": _ms(_pct(level.complete_s, 95)),
        "server_complete_p50_ms": _ms(_pct(server, 50)), "server_complete_p95_ms": _ms(_pct(server, 95)),
        "lookup_p50_ms": _ms(_pct(level.lookup_s, 50)), "lookup_p95_ms": _ms(_pct(level.lookup_s, 95)),
        "gunicorn_workers_serving": len(pids), "conflicts_409": conflicts, "errors": errors,
        "error_samples": level.errors[:5], "awarded": awarded(db, level.nominations),
        "timed_requests": len(level.complete_s), "client_cpu_s": round(_cpu() - cpu, 1),
        "loadavg_start": round(load, 2), "loadavg_end": round(os.getloadavg()[0], 2),
    }


# --- main --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a PostgreSQL database to connect to as admin")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--completions", type=int, default=420, help="task completions wanted per level (about)")
    parser.add_argument("--quick", action="store_true", help="a small run: 140 completions per level")
    args = parser.parse_args(argv)
    target = 140 if args.quick else args.completions
    levels = [int(c) for c in args.clients.split(",")]
    pg_url = reachable_pg_url(args.pg_url)
    if pg_url is None:
        _log(f"PostgreSQL unreachable at {args.pg_url}")
        return 2
    result: dict = {"code": _code_version(), "cpus": os.cpu_count(), "web": f"gunicorn {WEB_WORKERS}x{WEB_THREADS}",
                    "steps_per_nomination": STEPS, "loadavg_start": round(os.getloadavg()[0], 2)}
    _log(f"vinhdanh concurrency benchmark: levels {levels}, about {target} completions each, gunicorn "
         f"{WEB_WORKERS} workers x {WEB_THREADS} threads, PostgreSQL; code {result['code']}")
    _log(f"load average at start {result['loadavg_start']} on {os.cpu_count()} CPUs (other processes skew every figure)")
    started = time.perf_counter()
    with fresh_database(pg_url, BENCH_DATABASE) as db, tempfile.TemporaryDirectory(prefix="vinhdanh-bench-") as tmp:
        deploy_per_dossier_route(db)
        demo.seed_people(db)
        with db.read() as s:
            users = dict(s.execute(select(User.username, User.id)).all())
        service_n = max(4, math.ceil(target / STEPS))
        before = in_process(db, users, service_n)
        _log(f"in-process service, 1 client, before:   {before['completions_per_s']:7.1f} completions/s  "
             f"complete_task p50 {before['complete_p50_ms']} ms  p95 {before['complete_p95_ms']} ms")

        product = Product(Path(tmp), db.url)
        try:
            web = product.gunicorn(workers=WEB_WORKERS, threads=WEB_THREADS)
            api = Api(web.url, timeout=120)
            tokens = api.tokens()
            log = web.proc.log_path
            run_level(api, tokens, db, log, WEB_WORKERS, 1)  # warm-up: every worker parses the route once
            result["levels"] = []
            for clients in levels:
                per_client = max(2, math.ceil(target / (STEPS * clients)))
                figures = run_level(api, tokens, db, log, clients, per_client)
                result["levels"].append(figures)
                _log(f"HTTP {clients:3d} client(s) x {per_client:2d} nominations: {figures['completions_per_s']:7.1f} "
                     f"completions/s  POST complete p50 {figures['complete_p50_ms']} ms  p95 "
                     f"{figures['complete_p95_ms']} ms (gunicorn: p50 {figures['server_complete_p50_ms']} p95 "
                     f"{figures['server_complete_p95_ms']} ms)  lookup p50 {figures['lookup_p50_ms']} ms  "
                     f"409s {figures['conflicts_409']}  errors {figures['errors']}  awarded "
                     f"{figures['awarded']}/{figures['nominations']}  workers serving {figures['gunicorn_workers_serving']}"
                     f"  clients' CPU {figures['client_cpu_s']} s  load {figures['loadavg_start']}->"
                     f"{figures['loadavg_end']}")
                for sample in figures["error_samples"]:
                    _log(f"    error: {sample}")
        finally:
            product.stop_all()
        after = in_process(db, users, service_n)
        _log(f"in-process service, 1 client, after:    {after['completions_per_s']:7.1f} completions/s  "
             f"complete_task p50 {after['complete_p50_ms']} ms  p95 {after['complete_p95_ms']} ms")
    baseline = round((before["completions_per_s"] + after["completions_per_s"]) / 2, 1)
    result["in_process"] = {"before": before, "after": after, "mean_completions_per_s": baseline}
    for figures in result["levels"]:
        figures["ratio_vs_in_process"] = round(figures["completions_per_s"] / baseline, 3)
        del figures["error_samples"]
        _log(f"ratio HTTP {figures['clients']:3d} client(s) / in-process 1 client: {figures['ratio_vs_in_process']}")
    result["errors"] = sum(f["errors"] for f in result["levels"])
    result["conflicts_409"] = sum(f["conflicts_409"] for f in result["levels"])
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    result["loadavg_end"] = round(os.getloadavg()[0], 2)
    _log(f"errors {result['errors']} (409s apart: {result['conflicts_409']}); total run time {result['elapsed_s']} s; "
         f"load average at end {result['loadavg_end']}")
    summary = {f"http_{f['clients']}_per_s": f["completions_per_s"] for f in result["levels"]}
    print(json.dumps(summary | {"in_process_per_s": baseline} | result, ensure_ascii=False))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
