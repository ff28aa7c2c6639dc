"""The plans behind the inbox and lists benchmark: EXPLAIN ANALYZE of every statement a page runs, with N rows loaded.

Usage: ``python bench/explain_inbox.py [--rows N] [--pg-url URL] [PATH ...]`` (default paths: the inbox, a search,
the nominations list, as the secretariat and as a unit clerk). Prints each statement's plan and time.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import os  # noqa: E402

from sqlalchemy import event  # noqa: E402

from bench.inbox import DEFAULT_PG_URL, SEARCH, bulk_load, client_for, fresh_database, seed_few  # noqa: E402

PATHS = [("secretary", "/"), ("clerk1", "/"), ("secretary", f"/?q={SEARCH.replace(' ', '+')}"),
         ("secretary", "/nominations/"), ("clerk1", "/nominations/"),
         ("secretary", f"/nominations/?q={SEARCH.replace(' ', '+')}")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--min-ms", type=float, default=1.0, help="show plans of statements slower than this")
    args = parser.parse_args(argv)
    from webapp import create_app

    with fresh_database(args.pg_url, "vinhdanh_bench_explain") as db:
        seed_few(db)
        bulk_load(db, args.rows)
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "REDIS_URL": None}, db=db)
        seen: list[tuple[str, object]] = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def _capture(conn, cursor, statement, parameters, context, executemany):
            if not statement.startswith("EXPLAIN"):
                seen.append((statement, parameters))

        for user, path in PATHS:
            client = client_for(app, db, user)
            client.get(path)
            seen.clear()
            client.get(path)
            statements = list(seen)
            print(f"=== {user} {path}: {len(statements)} statements")
            with db.engine.connect() as conn:
                for statement, parameters in statements:
                    plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
                    ms = float(plan[-1].split(":")[1].split()[0])
                    print(f"  {ms:8.2f} ms  {statement[:110]!r}")
                    if ms >= args.min_ms:
                        print("\n".join("      " + line for line in plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
