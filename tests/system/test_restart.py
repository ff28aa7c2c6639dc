"""A council ballot survives a restart of every process, as ``make run`` runs the product.

``flask --app webapp migrate``, ``flask --app webapp seed-demo``, ``python -m workers.scheduler`` and
``gunicorn --workers 2 --threads 4 'webapp:create_app()'`` as separate processes, on a SQLite file
and on PostgreSQL. A nomination is taken through the API to the council's ballot and four members
vote; then gunicorn and the scheduler are stopped and started again, so no process that opened the
ballot or counted a vote is left, and the five other members vote through the new server with the
tokens they had. The ballot must close with a result, the nomination move on to appraisal, and
finish "awarded" with a decision number and an intact audit chain.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent

from ..support import DOSSIER
from .product import AUDIT_TRAIL, COUNCIL, ROUTE, Api, Product

pytestmark = pytest.mark.system

BEFORE_RESTART = 3 + 4  # draft, head, secretariat and four ballots


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'vinhdanh.db'}"
    return request.getfixturevalue("fresh_pg")()


def drive(api: Api, tokens: dict[str, str], nomination_id: int, steps) -> None:
    for step, actor, data in steps:
        item = api.task_for(tokens[actor], step, nomination_id)
        assert item is not None, f"{actor} has no {step} task on nomination {nomination_id}: " \
                                 f"{api.nomination(tokens['secretary'], nomination_id)}"
        status, body = api.complete(tokens[actor], item, data)
        assert status == 200, f"{actor} completing {step}: {status} {body}"


def serve(product: Product):
    """The scheduler, then the web server (answering /healthz); their processes."""
    scheduler = product.scheduler()
    web = product.gunicorn(workers=2, threads=4)
    return scheduler, web


def test_a_ballot_survives_a_restart_of_every_process(products: Callable[..., Product], database_url: str):
    product = products(database_url)
    product.flask("migrate")
    product.flask("seed-demo")
    scheduler, web = serve(product)

    api = Api(web.url)
    tokens = api.tokens()
    status, created = api.request("POST", "/api/v1/nominations", DOSSIER, token=tokens["clerk1"])
    assert status == 201, created
    nid = created["id"]
    drive(api, tokens, nid, ROUTE[:BEFORE_RESTART])
    before = api.nomination(tokens["secretary"], nid)
    assert [t["name"] for t in before["current_tasks"]] == ["council_vote"]
    assert before["council_result"] is None, "the tally is hidden while the ballot is open"

    # Every process goes; a clean stop is part of what is checked.
    assert product.stop(web.proc) == 0, product.logs()
    assert product.stop(scheduler) == 0, product.logs()
    scheduler, web = serve(product)

    api = Api(web.url)  # the tokens issued before the restart still hold: they live in the database
    drive(api, tokens, nid, ROUTE[BEFORE_RESTART:-1])
    at_appraisal = api.nomination(tokens["secretary"], nid)
    assert at_appraisal["state"] == "in_progress"
    assert [t["name"] for t in at_appraisal["current_tasks"]] == ["appraisal"]
    result = at_appraisal["council_result"]
    assert result is not None and result["passed"] is True
    assert (result["members"], result["present"], result["agree"], result["disagree"]) == (len(COUNCIL),) * 3 + (0,)

    drive(api, tokens, nid, ROUTE[-1:])
    assert [t["name"] for t in api.nomination(tokens["secretary"], nid)["current_tasks"]] == ["await_decision"]
    api.decide(tokens, [nid])
    done = api.nomination(tokens["secretary"], nid)
    assert done["state"] == "awarded"
    assert done["current_tasks"] == []
    assert done["decision_number"] and done["decision_number"].endswith("/QĐ-BKHCN")

    status, history = api.request("GET", f"/api/v1/nominations/{nid}/history", token=tokens["secretary"])
    assert status == 200
    assert [(e["task"], e["actor"], e["action"]) for e in history["items"]] == AUDIT_TRAIL
    assert scheduler.alive() and web.proc.alive(), product.logs()

    db = Database(database_url)
    try:
        with db.read() as s:
            assert audit.verify_nomination(s, nid) is None
            events = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.nomination_id == nid))
            assert events == len(AUDIT_TRAIL)
    finally:
        db.dispose()
