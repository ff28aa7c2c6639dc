"""The product as its real processes, and a JSON client for its API.

No pytest here: ``bench/concurrent.py`` uses it too. Processes are started with
``tests.workers.helpers.Procs`` (each in its own session, logged to a file, stopped with SIGTERM
then SIGKILL of its process group). Every process of one :class:`Product` also carries a unique
``VINHDANH_SYSTEM_RUN`` value in its environment, so that whatever a process manager left behind
(honcho puts each child in a session of its own) is found by that id and killed at the end.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import DOSSIER, TINY_PDF
from tests.workers.helpers import ROOT, Proc, Procs
from workflows.persistence.required_documents import required_kinds
from workflows.services.demo import DEMO_BALLOT_PASSPHRASE

BIN = Path(sys.executable).parent  # the venv's python, flask, gunicorn, rq, honcho
MARK = "VINHDANH_SYSTEM_RUN"
STARTUP_TIMEOUT = 60.0

APPROVE = {"decision": "approve"}
COUNCIL = [f"council{i}" for i in range(1, 10)]
CHAIR = "minister"  # the council's chair: sets the ballot passphrase, counts the rounds
PASSPHRASE = DEMO_BALLOT_PASSPHRASE  # the chair's, set by seed-demo (its open round is sealed to it)
MEETING_DATE = "2026-12-10"
ROUND_STEP = "council_round"  # where an accepted dossier waits for the council's round (hook ``round``)
BALLOT = "round_ballot"  # a member's one ballot task of a round (nomination_id None, round_id set)
DECISION_STEP = "await_decision"  # where an appraised dossier waits for a decision (hook ``decision``)
SIGN_TASK, REGISTER_TASK = "decision_sign", "decision_register"  # a decision's own task rows (nomination_id None)
ORG = "BKHCN"
# bang_khen_bo_truong from the draft to the wait for a decision, the dossier's own tasks: (step, actor, form data).
# The council is not a task of the dossier's: after ROUTE[:AT_COUNCIL] it waits at ROUND_STEP until a round counts it
# (Api.form_round, Api.open_round, a ballot per member, Api.close_round), then goes on with ROUTE[AT_COUNCIL:] to
# DECISION_STEP, where it waits for a decision of many dossiers (Api.decide): drafted and sent by the secretariat,
# signed by the minister's task, registered (its number) by the secretariat; then it is awarded with that number.
ROUTE: list[tuple[str, str, dict[str, Any]]] = [
    ("draft", "clerk1", {}),
    ("head_review", "head1", APPROVE),
    ("secretariat_check", "secretary", APPROVE),
    ("appraisal", "reviewer", APPROVE),
]
AT_COUNCIL = 3
SIGNER = "minister"
ACTORS = list(dict.fromkeys([*(actor for _, actor, _ in ROUTE), *COUNCIL, CHAIR, SIGNER, "auditor"]))
# The dossier's task rows at the end, (step, who completed it): the round step is completed by the chair's count,
# the decision step by whoever registers the decision.
TASK_ROWS = [*((step, actor) for step, actor, _ in ROUTE[:AT_COUNCIL]), (ROUND_STEP, CHAIR),
             *((step, actor) for step, actor, _ in ROUTE[AT_COUNCIL:]), (DECISION_STEP, "secretary")]
# A decision's own task rows at the end: (name, who completed it).
DECISION_ROWS = [(SIGN_TASK, SIGNER), (REGISTER_TASK, "secretary")]
# What one such nomination's audit trail holds, in order: (task, actor, action). The ballots are the round's events,
# not the dossier's: the dossier records the round it joined (the secretariat's act) and the council's result.
AUDIT_TRAIL: list[tuple[str | None, str, str]] = [
    (None, "clerk1", "created"),
    *((None, "clerk1", "attachment_added") for _ in required_kinds(DOSSIER["award_form"])),  # what submission requires
    ("draft", "clerk1", "submitted"),
    ("head_review", "head1", "approve"),
    ("secretariat_check", "secretary", "approve"),
    (ROUND_STEP, "secretary", "round_joined"),
    (ROUND_STEP, "system", "council_result"),
    ("appraisal", "reviewer", "approve"),
    (DECISION_STEP, "secretary", "decision_drafted"),
    (DECISION_STEP, "secretary", "decision_sent"),
    (DECISION_STEP, SIGNER, "decision_signed"),
    (DECISION_STEP, "secretary", "decision_registered"),
    ("issue_decision", "system", "decision_issued"),
]
COUNCIL_TRAIL = AUDIT_TRAIL.index((ROUND_STEP, "system", "council_result")) + 1  # a dossier the council rejects ends there


def round_trail(voters: Iterable[str]) -> list[tuple[str, str]]:
    """A round's own audit trail, (actor, action) in order, the members in the order they voted (that a member
    voted is public, how is not)."""
    return [("secretary", "round_created"), ("secretary", "round_opened"), *((m, "voted") for m in voters),
            (CHAIR, "round_closed")]


# A decision's own audit trail (subject "decision"), (actor, action) in order.
DECISION_TRAIL = [("secretary", "decision_drafted"), ("secretary", "decision_sent"), (SIGNER, "decision_signed"),
                  ("secretary", "decision_registered")]


def decision_number(value: int) -> str:
    """The ministry's decision number ``value`` as registered: ``01/QĐ-BKHCN``."""
    return f"{value:02d}/QĐ-{ORG}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProductError(RuntimeError):
    """A product process failed to start or a command failed; the message carries the logs."""


# ----- processes ------------------------------------------------------------------------------------------------


class Product:
    """One deployment on one database: the environment every process shares, and the processes started."""

    def __init__(self, tmp: Path, database_url: str, redis_url: str | None = None, **env: str) -> None:
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.run_id = uuid.uuid4().hex
        self.procs = Procs(tmp, database_url, redis_url or "")
        for inherited in ("FLASK_APP", "WEB_CONCURRENCY", "PORT"):  # the product gets exactly what is given here
            self.procs.env.pop(inherited, None)
        self.procs.env |= {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "SECRET_KEY": secrets.token_hex(32),  # one key for every web process, across restarts
            MARK: self.run_id,
            **({"REDIS_URL": redis_url} if redis_url else {}),
            **env,
        }
        self._count = 0

    @property
    def env(self) -> dict[str, str]:
        return self.procs.env

    def _name(self, kind: str) -> str:
        self._count += 1
        return f"{self._count:02d}-{kind}"

    def flask(self, *args: str, timeout: float = 300) -> str:
        """``flask --app webapp ARGS`` to completion, as ``make run`` does; its output."""
        done = subprocess.run([str(BIN / "flask"), "--app", "webapp", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode:
            raise ProductError(f"flask {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self, kind: str, argv: list[str], **env: str) -> Proc:
        return self.procs.start(self._name(kind), argv, **env)

    def scheduler(self, **env: str) -> Proc:
        """``python -m workers.scheduler`` (embedded without REDIS_URL, RQ cron with it)."""
        return self.start("scheduler", [str(BIN / "python"), "-m", "workers.scheduler"], **env)

    def gunicorn(self, *, workers: int, threads: int = 4, port: int | None = None) -> Web:
        """``gunicorn --workers W --threads T 'webapp:create_app()'`` on 127.0.0.1, answering /healthz."""
        port = port or free_port()
        argv = [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
                "--bind", f"127.0.0.1:{port}", "--no-control-socket", "--access-logfile", "-",
                "--access-logformat", '%(p)s "%(r)s" %(s)s %(M)sms', "webapp:create_app()"]
        proc = self.start("gunicorn", argv)
        web = Web(f"http://127.0.0.1:{port}", proc)
        self.wait_healthy(web.url, [proc])
        return web

    def honcho(self, *processes: str, concurrency: dict[str, int], port: int | None = None, **env: str) -> Proc:
        """``honcho start -f Procfile -c ... PROCESS...`` from the project root (honcho sets PORT from ``-p``)."""
        argv = [str(BIN / "honcho"), "start", "-f", str(ROOT / "Procfile"), "--no-colour",
                "-c", ",".join(f"{k}={v}" for k, v in concurrency.items())]
        if port is not None:
            argv += ["-p", str(port)]
        return self.start("honcho-" + "-".join(processes), [*argv, *processes], **env)

    def wait_healthy(self, url: str, watch: Iterable[Proc], timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not healthy(url):
            died = [p for p in watch if not p.alive()]
            if died or time.monotonic() > deadline:
                reason = f"{died[0].name} exited {died[0].popen.poll()}" if died else f"no answer in {timeout:.0f}s"
                raise ProductError(f"{url}/healthz: {reason}\n{self.logs()}")
            time.sleep(0.1)

    def logs(self) -> str:
        return self.procs.logs()

    def stop(self, proc: Proc, timeout: float = 30) -> int | None:
        """SIGTERM, then SIGKILL of the group after ``timeout``; the exit code."""
        return proc.stop(timeout)

    def stop_all(self) -> list[int]:
        """Stop every process started, then kill anything still carrying this run's id; the pids killed so."""
        try:
            self.procs.stop_all()
        finally:
            leftovers = kill_marked(self.run_id)
        return leftovers


@dataclass(frozen=True)
class Web:
    """A gunicorn master answering at ``url``."""

    url: str
    proc: Proc


def healthy(url: str) -> bool:
    try:
        status, _ = Api(url, timeout=2).request("GET", "/healthz")
        return status == 200
    except (OSError, http.client.HTTPException):
        return False


def marked_pids(run_id: str) -> list[int]:
    """Processes whose environment carries ``VINHDANH_SYSTEM_RUN=run_id`` (only ours can)."""
    needle = f"{MARK}={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def kill_marked(run_id: str) -> list[int]:
    pids = marked_pids(run_id)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


# ----- HTTP ------------------------------------------------------------------------------------------------------


class Api:
    """JSON over HTTP/1.1 keep-alive, one connection per thread (gunicorn closes idle ones after 2 s, so a
    connection idle for more than a second is replaced before use). Only GETs are retried after a dropped
    connection: a POST is never sent twice by this client."""

    IDLE = 1.0

    def __init__(self, base_url: str, timeout: float = 60) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.timeout = parsed.hostname, parsed.port, timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn, last = getattr(self._local, "conn", None), getattr(self._local, "last", 0.0)
        if conn is not None and time.monotonic() - last > self.IDLE:
            conn.close()
            conn = None
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def attach_documents(self, nomination_id: int, token: str, award_form: str) -> None:
        """Upload one small PDF per document the award form requires (the submission checks them)."""
        for kind in required_kinds(award_form):
            boundary = uuid.uuid4().hex
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n"
                    f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{kind}.pdf\"\r\n"
                    "Content-Type: application/pdf\r\n\r\n").encode() + TINY_PDF + f"\r\n--{boundary}--\r\n".encode()
            status, answer = self.request("POST", f"/api/v1/nominations/{nomination_id}/attachments", token=token,
                                          multipart=(body, f"multipart/form-data; boundary={boundary}"))
            if status != 201:
                raise ProductError(f"attach {kind} to {nomination_id}: {status} {answer}")

    def request(self, method: str, path: str, body: Any = None, token: str | None = None, *,
                multipart: tuple[bytes, str] | None = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if multipart is not None:
            payload, headers["Content-Type"] = multipart
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._drop()
                if method != "GET" or attempt == 2:
                    raise
                continue
            except BaseException:
                self._drop()
                raise
            self._local.last = time.monotonic()
            if response.getheader("Connection", "").lower() == "close":
                self._drop()
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = raw.decode(errors="replace")
            return response.status, data
        raise AssertionError("unreachable")

    def token(self, username: str, password: str = "demo") -> str:
        status, body = self.request("POST", "/api/v1/auth/token", {"username": username, "password": password})
        if status != 200:
            raise ProductError(f"token for {username}: {status} {body}")
        return body["token"]

    def tokens(self, usernames: Iterable[str] = ACTORS) -> dict[str, str]:
        """A token for each of the route's actors, the council's members and chair, and the auditor."""
        return {name: self.token(name) for name in usernames}

    def task_for(self, token: str, step: str, nomination_id: int) -> int | None:
        """The id of my ready ``step`` task on this nomination, from my task list (``GET /api/v1/tasks``, page by page)."""
        path = f"/api/v1/tasks?name={step}"
        while True:
            status, body = self.request("GET", path, token=token)
            if status != 200:
                raise ProductError(f"GET {path}: {status} {body}")
            found = next((t["id"] for t in body["items"] if t["nomination_id"] == nomination_id), None)
            if found is not None or not body.get("next_cursor"):
                return found
            path = f"/api/v1/tasks?name={step}&cursor={urllib.parse.quote(body['next_cursor'])}"

    def complete(self, token: str, item_id: int, data: dict[str, Any]) -> tuple[int, Any]:
        return self.request("POST", f"/api/v1/tasks/{item_id}/complete", {"data": data}, token=token)

    def expect(self, status: int, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """The answer's body, which must come with ``status`` (ProductError otherwise)."""
        got, answer = self.request(method, path, body, token=token)
        if got != status:
            raise ProductError(f"{method} {path}: {got} {answer} (expected {status})")
        return answer

    # -- the council's rounds -------------------------------------------------------------------------------

    def set_passphrase(self, token: str, passphrase: str = PASSPHRASE) -> tuple[int, Any]:
        """The chair's ballot passphrase (``PUT /api/v1/me/ballot-passphrase``): rounds open sealed to it (409 while
        a round sealed to the current one is open)."""
        return self.request("PUT", "/api/v1/me/ballot-passphrase", {"passphrase": passphrase}, token=token)

    def form_round(self, token: str, nomination_ids: list[int], title: str = "Đợt xét tháng 12/2026") -> int:
        """The secretariat puts dossiers waiting at the round step on a new round's agenda; the round's id."""
        body = {"title": title, "meeting_date": MEETING_DATE, "nomination_ids": nomination_ids}
        return self.expect(201, "POST", "/api/v1/rounds", body, token=token)["id"]

    def open_round(self, token: str, round_id: int) -> dict[str, Any]:
        return self.expect(200, "POST", f"/api/v1/rounds/{round_id}/open", token=token)

    def ballot_for(self, token: str, round_id: int) -> int | None:
        """The id of my ready ballot of this round, from my task list."""
        items = self.expect(200, "GET", f"/api/v1/tasks?name={BALLOT}", token=token)["items"]
        return next((t["id"] for t in items if t["round_id"] == round_id), None)

    def vote(self, token: str, item_id: int, votes: dict[int, str]) -> tuple[int, Any]:
        """Submit a ballot: ``votes`` maps each dossier of the round to "agree" or "disagree"."""
        return self.complete(token, item_id, {"votes": {str(nid): choice for nid, choice in votes.items()}})

    def close_round(self, token: str, round_id: int, passphrase: str = PASSPHRASE) -> tuple[int, Any]:
        return self.request("POST", f"/api/v1/rounds/{round_id}/close", {"passphrase": passphrase}, token=token)

    def round(self, token: str, round_id: int) -> dict[str, Any]:
        return self.expect(200, "GET", f"/api/v1/rounds/{round_id}", token=token)

    def verify_round(self, token: str, round_id: int) -> dict[str, Any]:
        return self.expect(200, "GET", f"/api/v1/rounds/{round_id}/verify", token=token)

    # -- the decisions ----------------------------------------------------------------------------------

    def draft_and_send(self, tokens: dict[str, str], nomination_ids: list[int]) -> tuple[int, int]:
        """The secretariat drafts one decision for these waiting dossiers and sends it: its id and the minister's task."""
        drafted = self.expect(201, "POST", "/api/v1/decisions", {"nomination_ids": nomination_ids},
                              token=tokens["secretary"])
        sent = self.expect(200, "POST", f"/api/v1/decisions/{drafted['id']}/send", token=tokens["secretary"])
        if sent["state"] != "sent" or not sent["sign_task_id"]:
            raise ProductError(f"decision {drafted['id']} sent: {sent}")
        return drafted["id"], sent["sign_task_id"]

    def sign(self, tokens: dict[str, str], sign_task: int) -> tuple[int, Any]:
        """The minister completes the decision's signature task (approve)."""
        return self.complete(tokens[SIGNER], sign_task, APPROVE)

    def register(self, tokens: dict[str, str], decision_id: int) -> dict[str, Any]:
        """The secretariat registers the signed decision under the proposed number; the decision."""
        return self.expect(200, "POST", f"/api/v1/decisions/{decision_id}/register", token=tokens["secretary"])

    def decide(self, tokens: dict[str, str], nomination_ids: list[int]) -> dict[str, Any]:
        """One decision for the dossiers: drafted, sent, signed by the minister's task, registered; the decision."""
        decision_id, sign_task = self.draft_and_send(tokens, nomination_ids)
        status, body = self.sign(tokens, sign_task)
        if status != 200:
            raise ProductError(f"signing decision {decision_id}: {status} {body}")
        return self.register(tokens, decision_id)

    def decision(self, token: str, decision_id: int) -> dict[str, Any]:
        return self.expect(200, "GET", f"/api/v1/decisions/{decision_id}", token=token)

    def nomination(self, token: str, nomination_id: int) -> dict[str, Any]:
        status, body = self.request("GET", f"/api/v1/nominations/{nomination_id}", token=token)
        if status != 200:
            raise ProductError(f"GET /api/v1/nominations/{nomination_id}: {status} {body}")
        return body
