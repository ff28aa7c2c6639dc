"""Browser tests against the real app: a gunicorn subprocess on a fresh SQLite database, driven by Chromium.

The server is started once per session on a free 127.0.0.1 port, migrated and
seeded with the demo data (password ``demo``). Chromium is Debian's
``/usr/bin/chromium``: without it the tests are skipped, except under CI
(``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
STARTUP_TIMEOUT = 30.0
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}: under CI a missing browser is a failure", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode:
        pytest.fail(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"Chromium not found at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app (gunicorn, ``webapp:create_app()``) on a migrated and demo-seeded SQLite file."""
    tmp = tmp_path_factory.mktemp("e2e")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_APP", "FLASK_DEBUG")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'e2e.db'}",
        SECRET_KEY=secrets.token_hex(32),
        UPLOAD_DIR=str(tmp / "uploads"),
        PYTHONUNBUFFERED="1",
    )
    _flask(env, "migrate")
    _flask(env, "seed-demo")

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
             "--no-control-socket", "--access-logfile", "-", "--error-logfile", "-",
             "webapp:create_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    server = LiveServer(url, log)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(f"the app exited with {proc.returncode} before answering /healthz:\n{server.log_tail()}",
                            pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz did not answer 200 within {STARTUP_TIMEOUT:.0f} s:\n{server.log_tail()}",
                            pytrace=False)
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def browser(chromium_path: Path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed ({exc})")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def blocked() -> list[str]:
    """What the browser blocked under the Content-Security-Policy, and script errors, during the test."""
    return []


@pytest.fixture
def page(request: pytest.FixtureRequest, browser, live_server: LiveServer, blocked: list[str]):
    """A fresh browser context per test; on failure a full-page screenshot goes to ``tests/e2e/artifacts/``."""
    context = browser.new_context(base_url=live_server.url, locale="vi-VN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    # Either means a page no longer works as written; a test that provokes one on purpose clears ``blocked``.
    page.on("console", lambda msg: blocked.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: blocked.append(f"script error: {exc}"))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        _screenshots(request.node, page)
        print(f"server log (tail):\n{live_server.log_tail()}")
    context.close()
    if blocked:
        pytest.fail("the browser blocked or failed:\n" + "\n".join(blocked), pytrace=False)


def _screenshots(node: pytest.Item, page) -> None:
    """The page the test failed on and, when the test recorded one, its nomination page as it stands now."""
    ARTIFACTS.mkdir(exist_ok=True)
    shots = [(ARTIFACTS / f"{node.name}-failure.png", None)]
    nomination = dict(node.user_properties).get("nomination_url")
    if nomination:
        shots.append((ARTIFACTS / f"{node.name}-nomination.png", nomination))
    for path, url in shots:
        try:
            if url:
                page.goto(url)
            page.screenshot(path=str(path), full_page=True)
            print(f"screenshot of {page.url}: {path}")
        except Exception as exc:  # the page may be gone; the failure itself is what matters
            print(f"no screenshot {path.name} ({type(exc).__name__}: {exc})")
