"""CSV import of past years: the sample files, bad rows with their line numbers (nothing imported), a re-import
that changes nothing, a corrected file that updates, a large file's progress, and as an RQ job. Both backends."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflows.domain import clock
from workflows.domain.errors import Forbidden, Invalid
from workflows.persistence import registry as reads
from workflows.persistence.model import AuditEvent
from workflows.persistence.registry_model import Collective, HeldAward, Hold, Initiative, Person, Rating, RegistryImport
from workflows.services import registry_import

from ..support import Driver

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "registry"
ORDER = ["persons", "collectives", "awards", "ratings", "initiatives", "holds"]


def load(db, username: str, kind: str, content: bytes, filename: str = "tep.csv") -> dict:
    actor = Driver(db).uid(username)
    import_id = registry_import.upload(db, actor, kind, filename, content)
    registry_import.start(db, actor, import_id)
    result = registry_import.execute(db, import_id)
    return result


def sample(kind: str) -> bytes:
    return (SAMPLES / f"{kind}.csv").read_bytes()


def counts(db) -> dict[str, int]:
    with db.read() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Person, Collective, HeldAward, Rating, Initiative, Hold)}


def test_the_sample_files_build_a_history_the_chains_read(db):
    results = [load(db, "secretary", kind, sample(kind)) for kind in ORDER]
    assert [r["added"] for r in results] == [3, 2, 6, 4, 2, 1]
    with db.read() as s:
        bao = s.scalar(select(Person).where(Person.staff_id == "BD-0001"))
        assert bao.full_name == "Trịnh Văn Bảo" and bao.name_key == "trinh van bao"
        assert s.scalar(select(Rating.rating).where(Rating.person_id == bao.id, Rating.year == 2024)) == "xuat_sac"
        from datetime import date

        result = reads.evaluate(s, award_form="chien_si_thi_dua_bo", nominee_kind="individual", year=2026,
                                on=date(2026, 12, 1), person_id=bao.id, collective_id=None)
        assert result.status == "met"
        anh = s.scalar(select(Person).where(Person.staff_id == "VT-0107"))
        assert s.scalar(select(Rating.rating).where(Rating.person_id == anh.id)) == "tot"  # a Vietnamese label, no marks
        assert s.scalar(select(Hold.ends_on).where(Hold.person_id == anh.id)) is None  # open-ended
    with db.read() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "registry_import")
                            .order_by(AuditEvent.id)).all()
    assert actions == ["uploaded", "started", "imported"] * len(ORDER)


def test_reimporting_the_same_files_changes_nothing_and_a_corrected_file_updates(db):
    for kind in ORDER:
        load(db, "admin", kind, sample(kind))
    before = counts(db)
    again = [load(db, "admin", kind, sample(kind)) for kind in ORDER]
    assert all(r["added"] == 0 and r["updated"] == 0 for r in again)
    assert counts(db) == before
    corrected = sample("awards").replace(b"2025,unit,merit,,", b"2025,unit,merit,19/Q\xc4\x90-CB\xc4\x90TW,", 1)
    result = load(db, "admin", "awards", corrected)
    assert (result["added"], result["updated"], result["unchanged"]) == (0, 1, 5)
    assert counts(db) == before


def test_bad_rows_are_listed_with_their_line_and_nothing_is_imported(db):
    load(db, "secretary", "persons", sample("persons"))
    before = counts(db)
    actor = Driver(db).uid("secretary")
    import_id = registry_import.upload(db, actor, "awards", "sai.csv", sample("awards_bad"))
    preview = registry_import.preview(db, actor, import_id)
    assert [e["message"] for e in preview["errors"]] == [
        "Dòng 3: chưa có người mã cán bộ «KHONG-CO» trong sổ (nhập tệp cá nhân trước).",
        "Dòng 4: hình thức «khong_co_hinh_thuc» không có trong danh mục (dùng ten_khen_thuong cho khen thưởng khác).",
        "Dòng 5: năm «hai nghìn» không hợp lệ.",
        "Dòng 6: loai «dot_xuat_lam» không hợp lệ (một trong: merit, movement, ad_hoc, thematic, contribution).",
        "Dòng 7: trùng với dòng 2 của tệp.",
    ]
    assert preview["first_rows"][0] == {"Người / tập thể": "BD-0001", "Khen thưởng": "chien_si_thi_dua_co_so", "Năm": "2022"}
    assert not preview["can_run"]
    with pytest.raises(Invalid, match="Tệp có 5 dòng lỗi"):
        registry_import.start(db, actor, import_id)
    assert counts(db) == before


def test_a_row_that_turns_bad_after_the_preview_fails_the_whole_import(db):
    load(db, "secretary", "persons", sample("persons"))
    actor = Driver(db).uid("secretary")
    import_id = registry_import.upload(db, actor, "ratings", "xl.csv", sample("ratings"))
    registry_import.start(db, actor, import_id)
    with db.write() as s:  # the person of the last row leaves the registry between preview and import
        s.execute(Person.__table__.delete().where(Person.staff_id == "VT-0107"))
    before = counts(db)
    result = registry_import.execute(db, import_id)
    assert result["error"].startswith("Có 1 dòng lỗi khi nhập: Dòng 5: chưa có người mã cán bộ «VT-0107»")
    assert counts(db) == before  # the three good rows did not go in either
    with db.read() as s:
        assert s.get(RegistryImport, import_id).state == "failed"


def test_files_that_are_not_csv_of_the_kind_are_refused_on_the_same_form(db):
    actor = Driver(db).uid("admin")
    with pytest.raises(Invalid, match="UTF-8"):
        registry_import.upload(db, actor, "persons", "x.csv", "Trịnh Văn Bảo".encode("cp1258", errors="replace") + b"\xff")
    with pytest.raises(Invalid, match="Tệp thiếu cột: ma_don_vi"):
        registry_import.upload(db, actor, "persons", "x.csv", b"ho_ten\nA\n")
    with pytest.raises(Invalid, match="không có dòng dữ liệu"):
        registry_import.upload(db, actor, "persons", "x.csv", b"ho_ten,ma_don_vi\n")
    with pytest.raises(Invalid, match="Chọn loại dữ liệu"):
        registry_import.upload(db, actor, "ballots", "x.csv", b"a\n1\n")


@pytest.mark.parametrize("username", ["clerk1", "auditor", "reviewer"])
def test_only_the_secretariat_and_admins_import(db, username):
    with pytest.raises(Forbidden):
        registry_import.upload(db, Driver(db).uid(username), "persons", "x.csv", sample("persons"))


def _large(n: int) -> bytes:
    lines = ["ho_ten,ngay_sinh,ma_don_vi,ma_can_bo"] + [f"Cán bộ số {i},01/01/1980,CUC_BDDT,NV-{i:05d}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_large_file_reports_its_progress_while_it_runs(db):
    actor = Driver(db).uid("secretary")
    import_id = registry_import.upload(db, actor, "persons", "lon.csv", _large(3000))
    registry_import.start(db, actor, import_id)
    seen: list[tuple[str, int]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            view = registry_import.preview(db, actor, import_id)
            seen.append((view["state"], view["done_rows"]))
            time.sleep(0.005)

    watcher = threading.Thread(target=poll)
    watcher.start()
    try:
        result = registry_import.execute(db, import_id)
    finally:
        done.set()
        watcher.join()
    assert result["added"] == 3000
    running = [rows for state, rows in seen if state == "running"]
    assert any(0 < rows < 3000 for rows in running), seen[-5:]  # a value between the start and the end was seen
    assert registry_import.preview(db, actor, import_id)["percent"] == 100


@pytest.mark.redis
def test_the_import_runs_as_an_rq_job(db, redis_url):
    from redis import Redis
    from rq import Queue, SimpleWorker

    from workers import jobs, runtime

    connection = Redis.from_url(redis_url)
    queue = Queue(f"registry-test-{db.engine.dialect.name}", connection=connection)
    queue.empty()
    actor = Driver(db).uid("secretary")
    import_id = registry_import.upload(db, actor, "persons", "nguoi.csv", sample("persons"))
    registry_import.start(db, actor, import_id)
    jobs.enqueue(queue, "import_registry", import_id)
    saved, runtime._db = runtime._db, db  # the worker's database handle is the test's
    try:
        SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        runtime._db = saved
    with db.read() as s:
        assert s.get(RegistryImport, import_id).state == "done"
        assert s.scalar(select(func.count()).select_from(Person)) == 3


def _stranded(db, state: str) -> tuple[int, int]:
    """An import started and then left ``state`` as a killed worker (running) or a lost Redis job (queued) leaves it."""
    actor = Driver(db).uid("secretary")
    import_id = registry_import.upload(db, actor, "persons", "nguoi.csv", sample("persons"))
    registry_import.start(db, actor, import_id)
    if state == "running":
        with db.write() as s:
            job = s.get(RegistryImport, import_id)
            job.state, job.done_rows, job.progress_at = "running", 2, clock.now()
    return actor, import_id


@pytest.mark.parametrize("state, wait", [("running", registry_import.STALLED_RUNNING),
                                         ("queued", registry_import.UNCLAIMED_QUEUED)])
def test_an_import_its_worker_or_job_left_behind_is_taken_up_by_the_sweep(db, state, wait):
    actor, import_id = _stranded(db, state)
    with clock.frozen(clock.now()) as advance:
        advance(wait - timedelta(seconds=1))
        assert registry_import.resume_stalled(db) == 0  # still within the worker's time: left alone
        assert registry_import.preview(db, actor, import_id)["state"] == state and counts(db)["registry_persons"] == 0
        advance(timedelta(seconds=2))
        assert registry_import.resume_stalled(db) == 1
    view = registry_import.preview(db, actor, import_id)
    assert view["state"] == "done" and view["percent"] == 100 and counts(db)["registry_persons"] == 3
    assert registry_import.resume_stalled(db) == 0  # done stays done
    with db.read() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "registry_import",
                                                            AuditEvent.subject_id == str(import_id))
                            .order_by(AuditEvent.id)).all()
    assert actions == ["uploaded", "started", *(["resumed"] if state == "running" else []), "imported"]


def test_two_sweeps_at_once_import_a_stranded_file_once(db):
    actor, import_id = _stranded(db, "running")
    results: list[int] = []
    with clock.frozen(clock.now() + registry_import.STALLED_RUNNING + timedelta(minutes=1)):
        threads = [threading.Thread(target=lambda: results.append(registry_import.resume_stalled(db))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == [0, 1], results  # the claim lets one run it
    assert counts(db)["registry_persons"] == 3
    assert registry_import.preview(db, actor, import_id)["state"] == "done"
