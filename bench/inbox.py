"""Inbox and lists benchmark: the pages people open most, nearly empty and with 100,000 open dossiers, on PostgreSQL.

On a dedicated PostgreSQL database, the inbox page (query and render, through the Flask test client) is read
as the secretariat and as a unit clerk, then a search without diacritics ("trinh van bao", a name about one
dossier in two thousand carries), the inbox's second page (from its cursor), the nominations list (with
its count) and the secretariat's rounds and decisions pages (the dossiers waiting for a round, for a
decision): first with a few dossiers made through the service, then again after ``--rows`` nominations and
as many open task rows (half the secretariat's, the rest the units' clerks and heads over 20 units) were
inserted in bulk with core ``insert()`` batches (not through the engine: only the lists read them).
Each page is read ``--reps`` times; p50 and p95 in milliseconds, the loaded/empty ratio of each p95, and
the goal (p95 ≤ 50 ms and ≤ 1.5× empty) per page.

Usage: ``python bench/inbox.py [--rows N] [--reps R] [--quick] [--pg-url URL]`` (``--quick``: 10,000 rows,
fewer reps, for a smoke run). The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import timedelta  # noqa: E402
from html import unescape  # noqa: E402

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench.common import DOSSIER, attach_documents, fresh_database  # noqa: E402
from workflows import services  # noqa: E402
from workflows.domain import clock  # noqa: E402
from workflows.domain.folding import fold  # noqa: E402
from workflows.persistence.db import Database  # noqa: E402
from workflows.persistence.model import Nomination, ProcessModel, TaskItem, Unit, User  # noqa: E402
from workflows.services import demo, people  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SEARCH = "trinh van bao"
BATCH = 5000
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Trịnh"]
MIDDLES = ["Văn", "Thị", "Hữu", "Đức", "Minh"]
GIVEN = ["An", "Bảo", "Bình", "Châu", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hòa", "Hùng", "Hương",
         "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Ngọc", "Phong", "Phúc", "Quang", "Sơn", "Tâm", "Thảo",
         "Trang", "Tuấn"]
# (step, title, role, form, share of the rows)
STEPS = [("secretariat_check", "Kiểm tra hồ sơ", "secretariat", "secretariat_check", 0.5),
         ("draft", "Lập hồ sơ đề nghị", "unit_clerk", "dossier", 0.3),
         ("head_review", "Thủ trưởng đơn vị duyệt", "unit_head", "head_review", 0.2)]


def pages(db: Database) -> dict[str, tuple[str, str]]:
    """What is read: (user, path)."""
    return {
        "inbox_secretariat": ("secretary", "/"),
        "inbox_clerk": ("clerk1", "/"),
        # the cursor of the first page, found at run time; a nearly empty inbox has no second page: its first is read
        "inbox_next_page": ("secretary", None),
        "search_inbox": ("secretary", f"/?q={SEARCH.replace(' ', '+')}"),
        "search_nominations": ("secretary", f"/nominations/?q={SEARCH.replace(' ', '+')}"),
        "nominations_secretariat": ("secretary", "/nominations/"),
        "nominations_clerk": ("clerk1", "/nominations/"),
        # the secretariat's waiting lists: dossiers at the round step, at the decision step (few, among 100,000)
        "rounds_secretariat": ("secretary", "/rounds"),
        "decisions_secretariat": ("secretary", "/decisions"),
    }


def client_for(app, db: Database, username: str):
    client = app.test_client()
    with db.read() as s:
        token = s.scalar(select(User.session_token).where(User.username == username))
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = token, True
    return client


def measure(app, db: Database, reps: int) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    clients = {u: client_for(app, db, u) for u in ("secretary", "clerk1")}
    for name, (user, path) in pages(db).items():
        client = clients[user]
        if path is None:
            first = client.get("/").get_data(as_text=True)
            found = re.search(r'<a rel="next" href="([^"]+)"', first)
            path = unescape(found.group(1)) if found else "/"
        for _ in range(3):  # warm: compiled statements, parsed route, templates
            client.get(path)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        times.sort()
        figures[name] = {"p50_ms": round(statistics.median(times), 2),
                         "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2)}
    return figures


def seed_few(db: Database) -> None:
    """A nearly empty product: the demo people and a dozen dossiers made through the service."""
    demo.seed_people(db)
    clerk1 = _uid(db, "clerk1")
    for i in range(12):
        nid = services.create_nomination(db, clerk1, DOSSIER | {"nominee_name": f"Nguyễn Văn Mẫu {i}"})
        if i % 2:
            attach_documents(db, clerk1, nid)
            for user, data in (("clerk1", {}), ("head1", {"decision": "approve"})):
                with db.read() as s:
                    item = s.scalar(select(TaskItem.id).where(TaskItem.nomination_id == nid, TaskItem.state == "ready"))
                services.complete_task(db, _uid(db, user), item, data)


def _uid(db: Database, username: str) -> int:
    with db.read() as s:
        return s.scalar(select(User.id).where(User.username == username))


def bulk_load(db: Database, rows: int, seed: int = 8) -> float:
    """``rows`` nominations, each with one open task row, inserted in batches; returns the seconds it took."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    with db.write() as s:
        for i in range(20):
            people.add_unit(s, None, f"BENCH_{i:02d}", f"Đơn vị thử {i:02d}", False)
    with db.read() as s:
        units = list(s.scalars(select(Unit.id).where(Unit.is_ministry_office.is_(False))))
        pm = s.scalar(select(func.max(ProcessModel.id)))
        creator = s.scalar(select(User.id).where(User.username == "clerk1"))
    now = clock.now()
    steps, weights = STEPS, [s[4] for s in STEPS]
    with db.engine.begin() as conn:
        first = conn.execute(select(func.coalesce(func.max(Nomination.id), 0))).scalar() + 1
        for start in range(0, rows, BATCH):
            noms, items = [], []
            for n in range(start, min(rows, start + BATCH)):
                nid = first + n
                name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVEN)}"
                step, title, role, form, _ = rng.choices(steps, weights)[0]
                unit = rng.choice(units)
                created = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 120))
                noms.append({"id": nid, "process_model_id": pm, "unit_id": unit, "created_by_id": creator,
                             "state": "in_progress", "current_step": step, "award_form": DOSSIER["award_form"],
                             "nominee_name": name, "search_text": fold(name), "nominee_kind": "individual",
                             "year": rng.choice((2025, 2026)), "achievements": DOSSIER["achievements"],
                             "return_count": 1 if rng.random() < 0.1 else 0, "votes_agree": 0, "votes_disagree": 0,
                             "audit_seq": 0, "audit_hash": "0" * 64, "created_at": created, "updated_at": created,
                             "version": 1})
                items.append({"nomination_id": nid, "task_uuid": str(uuid.UUID(int=rng.getrandbits(128))), "name": step,
                              "title": title, "form": form, "role": role,
                              "unit_id": None if role == "secretariat" else unit, "state": "ready", "created_at": created,
                              "due_at": created + timedelta(days=rng.randrange(3, 30))})
            conn.execute(insert(Nomination.__table__), noms)
            conn.execute(insert(TaskItem.__table__), items)
        conn.execute(text("SELECT setval(pg_get_serial_sequence('nominations', 'id'), (SELECT max(id) FROM nominations))"))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE nominations"))
        conn.execute(text("VACUUM ANALYZE task_items"))
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="10,000 rows, 50 reps: a smoke run")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.reps = 10_000, 50
    from webapp import create_app

    print(f"vinhdanh inbox benchmark: {args.rows} nominations and open tasks, {args.reps} reads per page, PostgreSQL",
          flush=True)
    with fresh_database(args.pg_url, "vinhdanh_bench_inbox") as db:
        seed_few(db)
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "REDIS_URL": None}, db=db)
        gc.freeze()  # as each gunicorn worker does once the app is loaded (gunicorn.conf.py)
        empty = measure(app, db, args.reps)
        load_s = bulk_load(db, args.rows)
        print(f"  {args.rows} nominations and task rows inserted in {load_s:.1f} s", flush=True)
        loaded = measure(app, db, args.reps)
    ratios = {k: round(loaded[k]["p95_ms"] / empty[k]["p95_ms"], 2) for k in empty}
    ok = {k: loaded[k]["p95_ms"] <= 50 and ratios[k] <= 1.5 for k in empty}
    print(f"  {'page':26} {'empty p50':>10} {'empty p95':>10} {'loaded p50':>11} {'loaded p95':>11} {'ratio':>6}  goal")
    for k in empty:
        print(f"  {k:26} {empty[k]['p50_ms']:10.2f} {empty[k]['p95_ms']:10.2f} {loaded[k]['p50_ms']:11.2f} "
              f"{loaded[k]['p95_ms']:11.2f} {ratios[k]:6.2f}  {'met' if ok[k] else 'MISSED'}")
    print(json.dumps({"rows": args.rows, "reps": args.reps, "load_s": round(load_s, 1), "empty": empty, "loaded": loaded,
                      "ratio_p95": ratios, "goal_met": ok}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
