"""Process-model versions: deployed on hash change, instances pinned to the version they started on."""

from __future__ import annotations

from sqlalchemy import func, select

from workflows.persistence import versions
from workflows.persistence.model import Nomination, ProcessModel
from workflows.persistence.versions import NOMINATION_ROUTE

from ..support import APPROVE, Driver


def test_same_document_is_not_redeployed(driver: Driver):
    with driver.db.write() as s:
        _, new = versions.deploy_bundled_routes(s)
        assert new is False
        assert s.scalar(select(func.count(ProcessModel.id))) == 1


def test_a_changed_route_is_a_new_version_and_running_nominations_stay_pinned(driver: Driver):
    old = driver.create()
    driver.act(old, "clerk1", {})
    changed = NOMINATION_ROUTE.read_text(encoding="utf-8").replace('name="Thẩm định"', 'name="Thẩm định hồ sơ (v2)"')
    try:
        with driver.db.write() as s:
            pm, new = versions.deploy(s, versions.current_bundle(s, changed))
            assert new and pm.version == 2
        fresh = driver.create()
        with driver.db.read() as s:
            pinned = dict(s.execute(select(Nomination.id, Nomination.process_model_id)).all())
            numbers = dict(s.execute(select(ProcessModel.id, ProcessModel.version)).all())
        assert numbers[pinned[old]] == 1 and numbers[pinned[fresh]] == 2
        for nid in (old, fresh):
            if nid == fresh:
                driver.act(nid, "clerk1", {})
            driver.act(nid, "head1", APPROVE)
            driver.act(nid, "secretary", APPROVE)
            driver.vote(nid, ["agree"] * 9)
        titles = {}
        with driver.db.read() as s:
            from workflows.persistence.model import TaskItem

            for nid in (old, fresh):
                titles[nid] = s.scalar(select(TaskItem.title).where(TaskItem.nomination_id == nid,
                                                                    TaskItem.name == "appraisal"))
        assert titles == {old: "Thẩm định", fresh: "Thẩm định hồ sơ (v2)"}
    finally:
        with driver.db.write() as s:  # later tests expect only the bundled version
            s.execute(Nomination.__table__.delete())
            s.execute(ProcessModel.__table__.delete().where(ProcessModel.version > 1))


def test_running_versions_are_those_an_unfinished_nomination_runs_on(driver: Driver):
    """What the waiting lists read instead of every open task: a version counts while a dossier on it is unfinished."""
    with driver.db.read() as s:
        first = versions.latest_route(s)[0]
        assert versions.running(s) == []
    old = driver.create()
    changed = NOMINATION_ROUTE.read_text(encoding="utf-8").replace('name="Thẩm định"', 'name="Thẩm định (v2)"')
    try:
        with driver.db.write() as s:
            second = versions.deploy(s, versions.current_bundle(s, changed))[0].id
        with driver.db.read() as s:
            assert versions.running(s) == [first]  # nothing runs on the new version yet
        fresh = driver.create()
        with driver.db.read() as s:
            assert versions.running(s) == [first, second]
        driver.act(old, "clerk1", {})
        driver.act(old, "head1", {"decision": "withdraw", "comment": "Cá nhân xin rút"})
        with driver.db.read() as s:
            assert versions.running(s) == [second]  # the old version's last dossier has ended
        assert driver.nomination(fresh).state == "in_progress"
    finally:
        with driver.db.write() as s:  # later tests expect only the bundled version
            s.execute(Nomination.__table__.delete())
            s.execute(ProcessModel.__table__.delete().where(ProcessModel.version > 1))
