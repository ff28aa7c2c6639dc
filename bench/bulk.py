"""Bulk approval benchmark: ``POST /api/v1/tasks/bulk-complete`` of 200 tasks, on PostgreSQL.

``--tasks`` dossiers (default 200) are carried through the service layer to the secretariat's check
on a dedicated PostgreSQL database; the secretariat then approves them all in ONE API request (the
real Flask app in this process, its test client, a bearer token), each task its own locked
transaction and audit event. Measured: the request's total seconds and seconds per task. For
comparison, as many other dossiers are approved one API request per task (``/tasks/{id}/complete``):
what a client without the bulk endpoint would spend, without the network.

Usage: ``python bench/bulk.py [--tasks N] [--pg-url URL]``. The last line of output is one JSON object
with every figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

from sqlalchemy import select  # noqa: E402

from bench.common import DOSSIER, attach_documents, fresh_database  # noqa: E402
from webapp import create_app  # noqa: E402
from workflows import services  # noqa: E402
from workflows.persistence.model import TaskItem, User  # noqa: E402
from workflows.services import accounts, demo  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
APPROVE = {"decision": "approve"}


def at_secretariat(db, ids: dict[str, int], count: int, prefix: str) -> list[int]:
    """``count`` dossiers submitted by their unit: the secretariat's check task of each."""
    def act(nid: int, username: str, data: dict) -> int:
        with db.read() as s:
            item = s.scalar(select(TaskItem.id).where(TaskItem.nomination_id == nid, TaskItem.state == "ready"))
        outcome = services.complete_task(db, ids[username], item, data)
        return outcome.next_tasks[0]

    tasks = []
    for n in range(count):
        nid = services.create_nomination(db, ids["clerk1"], DOSSIER | {"nominee_name": f"{prefix} {n}"})
        attach_documents(db, ids["clerk1"], nid)
        act(nid, "clerk1", {})
        tasks.append(act(nid, "head1", APPROVE))
    return tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    print(f"vinhdanh bulk benchmark: {args.tasks} tasks, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs",
          flush=True)
    with fresh_database(args.pg_url, "vinhdanh_bench_bulk") as db:
        demo.seed_people(db)
        with db.read() as s:
            ids = dict(s.execute(select(User.username, User.id)).all())
        t0 = time.perf_counter()
        bulk_tasks = at_secretariat(db, ids, args.tasks, "Nguyễn Văn Hàng Loạt")
        single_tasks = at_secretariat(db, ids, args.tasks, "Nguyễn Văn Từng Việc")
        print(f"  {2 * args.tasks} dossiers carried to the secretariat's check in {time.perf_counter() - t0:.1f} s",
              flush=True)
        client = create_app({"TESTING": True, "SECRET_KEY": "bench", "REDIS_URL": None}, db=db).test_client()
        token, _ = accounts.issue_token(db, ids["secretary"])
        headers = {"Authorization": f"Bearer {token}"}

        t0 = time.perf_counter()
        response = client.post("/api/v1/tasks/bulk-complete", headers=headers,
                               json={"task_ids": bulk_tasks, "data": APPROVE | {"comment": "Hồ sơ đầy đủ"}})
        bulk_s = time.perf_counter() - t0
        statuses = [r["status"] for r in response.get_json()["results"]]
        if response.status_code != 200 or statuses != ["done"] * args.tasks:
            raise RuntimeError(f"bulk completion failed: {response.status_code} {statuses[:5]}")

        t0 = time.perf_counter()
        for item in single_tasks:
            single = client.post(f"/api/v1/tasks/{item}/complete", headers=headers, json={"data": APPROVE})
            if single.status_code != 200:
                raise RuntimeError(f"single completion failed: {single.status_code}")
        singles_s = time.perf_counter() - t0

    figures = {"tasks": args.tasks, "bulk_total_s": round(bulk_s, 3), "bulk_per_task_ms": round(1000 * bulk_s / args.tasks, 2),
               "single_requests_total_s": round(singles_s, 3),
               "single_request_per_task_ms": round(1000 * singles_s / args.tasks, 2)}
    print(f"  bulk-complete, one request   {figures['bulk_total_s']:7.2f} s  {figures['bulk_per_task_ms']:7.2f} ms per task")
    print(f"  one request per task         {figures['single_requests_total_s']:7.2f} s  "
          f"{figures['single_request_per_task_ms']:7.2f} ms per task")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
