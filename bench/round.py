"""Council round benchmark: what the secret ballot costs, on PostgreSQL.

A round of ``--dossiers`` dossiers (default 100) and ``--members`` voting members (default 15) runs
through the service layer (``services.rounds``) on a dedicated PostgreSQL database: the dossiers are
carried to the shipped route's round step, the secretariat forms and opens the round, every
member submits one ballot (agree or disagree on every dossier, random), the chair counts with the
ballot passphrase, and an auditor verifies the box. Measured per member's ballot submit (p50, p95),
the open, the close-and-tally (decrypting every total with its proof, then each dossier's round step
completed), and the verification.

The same round then runs again in the same process with **plaintext counting**: the cryptographic
functions ``services.rounds`` calls are replaced by ones that store the choice as one byte and add
them up, everything else (locks, rows, the box's hash chain, the route) unchanged. The ratio of the
two is what secrecy costs. Key size: ``--bits`` (default the product's, 2048).

Usage: ``python bench/round.py [--dossiers N] [--members M] [--bits B] [--pg-url URL]``. The last line
of output is one JSON object with every figure.
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
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import replace  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from sqlalchemy import select  # noqa: E402

from bench.common import DOSSIER, attach_documents, fresh_database  # noqa: E402
from workflows import services  # noqa: E402
from workflows.domain import secret_ballot  # noqa: E402
from workflows.persistence.model import TaskItem, User  # noqa: E402
from workflows.services import demo, people, rounds  # noqa: E402
from workflows.services.accounts import hash_password  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSPHRASE = "mật khẩu kiểm phiếu của Bộ trưởng"
APPROVE = {"decision": "approve"}


class Plaintext:
    """The functions ``services.rounds`` calls on ``secret_ballot``, counting in the clear (the baseline)."""

    WrongPassphrase = secret_ballot.WrongPassphrase
    Tally = secret_ballot.Tally
    officer_keys = staticmethod(secret_ballot.officer_keys)
    unseal_officer = staticmethod(secret_ballot.unseal_officer)
    ballot_receipt = staticmethod(secret_ballot.ballot_receipt)

    @staticmethod
    def new_round_key(officers, bits=2048):
        return SimpleNamespace(public=b"plain", sealed={o: b"plain" for o in officers})

    @staticmethod
    def box_genesis(round_id, public):
        return "0" * 64

    @staticmethod
    def open_round_key(sealed, private, public):
        return object()

    @staticmethod
    def encrypt_ballot(public, choices):
        return {d: bytes([int(c)]) for d, c in choices.items()}

    @staticmethod
    def encrypted_totals(public, ballots, dossier_ids):
        return {d: sum(b[d][0] for b in ballots).to_bytes(2, "big") for d in dossier_ids}

    @staticmethod
    def decrypt_totals(private, totals):
        return {d: secret_ballot.Tally(int.from_bytes(t, "big"), 1) for d, t in totals.items()}

    @staticmethod
    def verify_box(*_args, **_kwargs):
        return []


@contextmanager
def plaintext_counting():
    real = rounds.crypto
    rounds.crypto = Plaintext
    try:
        yield
    finally:
        rounds.crypto = real


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def setup(db, members: int) -> dict[str, int]:
    demo.seed_people(db)
    with db.write() as s:
        password = hash_password(demo.DEMO_PASSWORD)
        for i in range(10, members + 1):  # the demo has council1..council9
            people.add_user(s, None, f"council{i}", f"Ủy viên Hội đồng {i}", "VU_TCCB", ["council_member"], password)
    with db.read() as s:
        return dict(s.execute(select(User.username, User.id)).all())


def waiting_dossiers(db, ids: dict[str, int], count: int) -> list[int]:
    def act(nid: int, username: str, data: dict) -> None:
        with db.read() as s:
            item = s.scalar(select(TaskItem.id).where(TaskItem.nomination_id == nid, TaskItem.state == "ready"))
        services.complete_task(db, ids[username], item, data)

    out = []
    for n in range(count):
        nid = services.create_nomination(db, ids["clerk1"], DOSSIER | {"nominee_name": f"Nguyễn Văn Bench {n}"})
        attach_documents(db, ids["clerk1"], nid)
        act(nid, "clerk1", {})
        act(nid, "head1", APPROVE)
        act(nid, "secretary", APPROVE)
        out.append(nid)
    return out


def one_round(db, ids: dict[str, int], dossiers: list[int], members: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    started = time.perf_counter()
    rid = rounds.create_round(db, ids["secretary"], "Đợt xét đo hiệu năng", "2026-12-10", dossiers)
    rounds.open_round(db, ids["secretary"], rid)
    opened = time.perf_counter() - started
    submits = []
    expected = dict.fromkeys(dossiers, 0)
    for i in range(1, members + 1):
        username = f"council{i}"
        with db.read() as s:
            item = s.scalar(select(TaskItem.id).where(TaskItem.round_id == rid, TaskItem.assignee_id == ids[username]))
        votes = {d: rng.choice(("agree", "disagree")) for d in dossiers}
        for d, v in votes.items():
            expected[d] += v == "agree"
        t0 = time.perf_counter()
        services.complete_task(db, ids[username], item, {"votes": {str(d): v for d, v in votes.items()}})
        submits.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    results = rounds.close_round(db, ids["minister"], rid, PASSPHRASE)
    closed = time.perf_counter() - t0
    if {d: r["agree"] for d, r in results.items()} != expected:
        raise RuntimeError("the count does not match the votes cast")
    t0 = time.perf_counter()
    problems = rounds.verify(db, rid)
    verified = time.perf_counter() - t0
    if problems:
        raise RuntimeError(f"verification failed: {problems[:3]}")
    return {"open_s": round(opened, 3), "submit_p50_s": round(statistics.median(submits), 3),
            "submit_p95_s": round(_percentile(submits, 0.95), 3), "close_s": round(closed, 3),
            "verify_s": round(verified, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100)
    parser.add_argument("--members", type=int, default=15)
    parser.add_argument("--bits", type=int, default=2048)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    print(f"vinhdanh round benchmark: {args.dossiers} dossiers, {args.members} members, {args.bits}-bit keys, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    with fresh_database(args.pg_url, "vinhdanh_bench_round") as db:
        db.settings = replace(db.settings, ballot_key_bits=args.bits)
        ids = setup(db, args.members)
        rounds.set_officer_passphrase(db, ids["minister"], PASSPHRASE)
        t0 = time.perf_counter()
        secret_dossiers = waiting_dossiers(db, ids, args.dossiers)
        plain_dossiers = waiting_dossiers(db, ids, args.dossiers)
        print(f"  {2 * args.dossiers} dossiers carried to the round step in {time.perf_counter() - t0:.1f} s", flush=True)
        secret = one_round(db, ids, secret_dossiers, args.members, seed=1)
        with plaintext_counting():
            plain = one_round(db, ids, plain_dossiers, args.members, seed=2)
    for name, figures in (("secret (Paillier)", secret), ("plaintext counting", plain)):
        print(f"  {name:20} open {figures['open_s']:6.2f} s  ballot submit p50 {figures['submit_p50_s']:6.3f} s "
              f"p95 {figures['submit_p95_s']:6.3f} s  close and tally {figures['close_s']:6.2f} s  "
              f"verify {figures['verify_s']:6.2f} s")
    ratios = {k: round(secret[k] / plain[k], 1) if plain[k] else None for k in secret}
    print(f"  secrecy costs: submit x{ratios['submit_p50_s']}, close x{ratios['close_s']}, verify x{ratios['verify_s']}")
    print(json.dumps({"dossiers": args.dossiers, "members": args.members, "bits": args.bits, "secret": secret,
                      "plaintext": plain, "ratio_secret_vs_plaintext": ratios}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
