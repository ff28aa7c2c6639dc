"""CSV import of past years into the registry: upload and check (a preview with every bad row), then import
all or nothing.

One file is one kind of record (``KINDS``, their columns in ``COLUMNS``; samples under
``tests/fixtures/registry/``): UTF-8, a BOM tolerated, comma- or semicolon-separated, dates as dd/mm/yyyy
or ISO. A row names its person by ``ma_can_bo`` or by ``ho_ten`` + ``ngay_sinh`` + ``ma_don_vi``, a
collective by ``tap_the`` + ``ma_don_vi``; that person or collective must already be in the registry
(import persons first). Each record has a natural key (:mod:`workflows.domain.registry`): importing
the same file twice changes nothing the second time, and a corrected file updates the rows it names.

The import itself (:func:`execute`, an RQ job when Redis is configured, inline otherwise) checks the
rows again in batches, storing its progress on the import row in short transactions the page polls,
then writes every row in one transaction: any failure leaves the registry as it was. Upload, start
and end are audited on the import (subject ``registry_import``).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.eligibility import AWARD_KINDS, RATINGS, SCOPES
from workflows.domain.errors import Conflict, Invalid, NotFound
from workflows.domain.registry import (
    HOLD_KINDS,
    award_key,
    collective_key,
    fold,
    hold_key,
    initiative_key,
    person_key,
    rating_key,
    subject_key,
)
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import AwardForm, Unit
from workflows.persistence.registry_model import (
    Collective,
    HeldAward,
    Hold,
    Initiative,
    Person,
    Rating,
    RegistryImport,
)
from workflows.persistence.scope import load_actor
from workflows.services.registry import may_manage

KINDS = {"persons": "Cá nhân", "collectives": "Tập thể", "awards": "Khen thưởng đã có", "ratings": "Xếp loại hằng năm",
         "initiatives": "Sáng kiến", "holds": "Đang bị xem xét (kỷ luật, điều tra, thanh tra, khiếu nại)"}
SUBJECT = ("ma_can_bo", "ho_ten", "ngay_sinh", "tap_the")
COLUMNS = {  # required, optional
    "persons": (("ho_ten", "ma_don_vi"), ("ngay_sinh", "ma_can_bo")),
    "collectives": (("tap_the", "ma_don_vi"), ()),
    "awards": (("nam", "cap", "loai"), ("ma_don_vi", *SUBJECT, "hinh_thuc", "ten_khen_thuong", "so_quyet_dinh",
                                       "ngay_quyet_dinh")),
    "ratings": (("nam", "xep_loai"), ("ma_don_vi", *SUBJECT)),
    "initiatives": (("ten_sang_kien", "nam", "pham_vi"), ("ma_don_vi", "ma_can_bo", "ho_ten", "ngay_sinh")),
    "holds": (("loai", "tu_ngay"), ("ma_don_vi", *SUBJECT, "den_ngay", "ghi_chu")),
}
LEVELS = {"unit": "unit", "don_vi": "unit", "ministry": "ministry", "bo": "ministry", "state": "state",
          "nha_nuoc": "state"}
MAX_BYTES = 20 * 1024 * 1024
PREVIEW_ROWS = 20
BATCH = 500  # rows checked between two progress updates


class RowError(ValueError):
    """A bad cell: the message is the Vietnamese text shown with the row's line number."""


@dataclass
class Parsed:
    """A checked row: its natural key, the model and the column values to write."""

    line: int
    model: type
    key: str
    values: dict[str, Any]
    shown: dict[str, str]


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("Tệp không phải văn bản UTF-8. Lưu lại tệp CSV với mã hóa UTF-8 rồi tải lên lại.",
                      {"file": "Tệp phải mã hóa UTF-8."}) from None


def _rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [fold(h or "").replace(" ", "_") for h in (reader.fieldnames or [])]
    rows = []
    for raw in reader:
        values = {fold(k or "").replace(" ", "_"): (v if isinstance(v, str) else "").strip()
                  for k, v in raw.items() if k is not None}
        if any(values.values()):
            rows.append((reader.line_num, values))
    return header, rows


def _check_header(kind: str, header: list[str]) -> None:
    required, optional = COLUMNS[kind]
    missing = [c for c in required if c not in header]
    if missing:
        raise Invalid(f"Tệp thiếu cột: {', '.join(missing)}. Các cột của loại «{KINDS[kind]}»: "
                      f"{', '.join(required + optional)}.", {"file": "Thiếu cột bắt buộc."})


def _day(text: str, column: str, required: bool = False) -> date | None:
    if not text:
        if required:
            raise RowError(f"thiếu {column}")
        return None
    try:
        if "/" in text:
            d, m, y = text.split("/")
            return date(int(y), int(m), int(d))
        return date.fromisoformat(text)
    except ValueError:
        raise RowError(f"{column} «{text}» không phải ngày hợp lệ (dd/mm/yyyy)") from None


def _year(text: str) -> int:
    if not text.isdigit() or not 1945 <= int(text) <= 2100:
        raise RowError(f"năm «{text}» không hợp lệ")
    return int(text)


def _choice(text: str, column: str, codes: dict[str, str]) -> str:
    """A code, or its Vietnamese label (diacritics and case ignored)."""
    key = fold(text)
    for code, label in codes.items():
        if key in (code, fold(label)):
            return code
    raise RowError(f"{column} «{text}» không hợp lệ (một trong: {', '.join(codes)})")


class Resolver:
    """Units, award forms, persons and collectives the rows name, read once per import."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.units = dict(session.execute(select(Unit.code, Unit.id)).all())
        self.forms = set(session.scalars(select(AwardForm.code)))
        self.persons = dict(session.execute(select(Person.natural_key, Person.id)).all())
        self.collectives = dict(session.execute(select(Collective.natural_key, Collective.id)).all())

    def unit(self, row: dict[str, str]) -> int:
        code = row.get("ma_don_vi", "")
        if not code:
            raise RowError("thiếu ma_don_vi")
        if code not in self.units:
            raise RowError(f"không có đơn vị mã «{code}»")
        return self.units[code]

    def subject(self, row: dict[str, str], persons_only: bool = False) -> tuple[int | None, int | None, str]:
        if row.get("ma_can_bo"):
            found = self.persons.get(person_key("", None, 0, row["ma_can_bo"]))
            if found is None:
                raise RowError(f"chưa có người mã cán bộ «{row['ma_can_bo']}» trong sổ (nhập tệp cá nhân trước)")
            return found, None, row["ma_can_bo"]
        if row.get("ho_ten"):
            key = person_key(row["ho_ten"], _day(row.get("ngay_sinh", ""), "ngay_sinh"), self.unit(row), None)
            if key not in self.persons:
                raise RowError(f"chưa có «{row['ho_ten']}» (ngày sinh, đơn vị như trên) trong sổ (nhập tệp cá nhân trước)")
            return self.persons[key], None, row["ho_ten"]
        if row.get("tap_the") and not persons_only:
            key = collective_key(row["tap_the"], self.unit(row))
            if key not in self.collectives:
                raise RowError(f"chưa có tập thể «{row['tap_the']}» trong sổ (nhập tệp tập thể trước)")
            return None, self.collectives[key], row["tap_the"]
        raise RowError("thiếu người (ma_can_bo, hoặc ho_ten + ngay_sinh + ma_don_vi)"
                       + ("" if persons_only else " hoặc tập thể (tap_the + ma_don_vi)"))


def _persons(r: Resolver, row: dict[str, str], line: int) -> Parsed:
    unit_id, birth, staff = r.unit(row), _day(row.get("ngay_sinh", ""), "ngay_sinh"), row.get("ma_can_bo") or None
    if birth is None and staff is None:
        raise RowError("cần ngay_sinh hoặc ma_can_bo để phân biệt người trùng tên")
    key = person_key(row["ho_ten"], birth, unit_id, staff)
    return Parsed(line, Person, key, {"full_name": row["ho_ten"], "name_key": fold(row["ho_ten"]), "birth_date": birth,
                                      "unit_id": unit_id, "staff_id": staff},
                  {"Họ tên": row["ho_ten"], "Ngày sinh": f"{birth:%d/%m/%Y}" if birth else "", "Đơn vị": row["ma_don_vi"]})


def _collectives(r: Resolver, row: dict[str, str], line: int) -> Parsed:
    unit_id = r.unit(row)
    key = collective_key(row["tap_the"], unit_id)
    return Parsed(line, Collective, key, {"name": row["tap_the"], "name_key": fold(row["tap_the"]), "unit_id": unit_id},
                  {"Tập thể": row["tap_the"], "Đơn vị": row["ma_don_vi"]})


def _awards(r: Resolver, row: dict[str, str], line: int) -> Parsed:
    person, group, who = r.subject(row)
    form, name = row.get("hinh_thuc") or None, row.get("ten_khen_thuong") or None
    if form is None and name is None:
        raise RowError("thiếu hinh_thuc (mã hình thức) hoặc ten_khen_thuong")
    if form is not None and form not in r.forms:
        raise RowError(f"hình thức «{form}» không có trong danh mục (dùng ten_khen_thuong cho khen thưởng khác)")
    year = _year(row["nam"])
    level = LEVELS.get(fold(row["cap"]).replace(" ", "_"))
    if level is None:
        raise RowError(f"cap «{row['cap']}» không hợp lệ (unit, ministry, state)")
    kind = _choice(row["loai"], "loai", AWARD_KINDS)
    return Parsed(line, HeldAward, award_key(subject_key(person, group), form, name, year),
                  {"person_id": person, "collective_id": group, "award_form": form, "award_name": name, "year": year,
                   "level": level, "kind": kind, "decision_number": row.get("so_quyet_dinh") or None,
                   "decision_date": _day(row.get("ngay_quyet_dinh", ""), "ngay_quyet_dinh"), "source": "imported"},
                  {"Người / tập thể": who, "Khen thưởng": form or name, "Năm": str(year)})


def _ratings(r: Resolver, row: dict[str, str], line: int) -> Parsed:
    person, group, who = r.subject(row)
    year, rating = _year(row["nam"]), _choice(row["xep_loai"], "xep_loai", RATINGS)
    return Parsed(line, Rating, rating_key(subject_key(person, group), year),
                  {"person_id": person, "collective_id": group, "year": year, "rating": rating},
                  {"Người / tập thể": who, "Năm": str(year), "Xếp loại": RATINGS[rating]})


def _initiatives(r: Resolver, row: dict[str, str], line: int) -> Parsed:
    person, _group, who = r.subject(row, persons_only=True)
    year, scope = _year(row["nam"]), _choice(row["pham_vi"], "pham_vi", SCOPES)
    return Parsed(line, Initiative, initiative_key(person, row["ten_sang_kien"], year),
                  {"person_id": person, "title": row["ten_sang_kien"], "year": year, "scope": scope},
                  {"Người": who, "Sáng kiến": row["ten_sang_kien"], "Năm": str(year)})


def _holds(r: Resolver, row: dict[str, str], line: int) -> Parsed:
    person, group, who = r.subject(row)
    kind = _choice(row["loai"], "loai", {k: k for k in HOLD_KINDS} | {"discipline": "kỷ luật", "investigation": "điều tra",
                                                                      "inspection": "thanh tra", "complaint": "khiếu nại"})
    starts = _day(row["tu_ngay"], "tu_ngay", required=True)
    ends = _day(row.get("den_ngay", ""), "den_ngay")
    if ends is not None and ends < starts:
        raise RowError("den_ngay trước tu_ngay")
    return Parsed(line, Hold, hold_key(subject_key(person, group), kind, starts),
                  {"person_id": person, "collective_id": group, "kind": kind, "starts_on": starts, "ends_on": ends,
                   "note": row.get("ghi_chu") or None},
                  {"Người / tập thể": who, "Loại": HOLD_KINDS[kind], "Từ ngày": f"{starts:%d/%m/%Y}"})


PARSERS: dict[str, Callable[[Resolver, dict[str, str], int], Parsed]] = {
    "persons": _persons, "collectives": _collectives, "awards": _awards, "ratings": _ratings,
    "initiatives": _initiatives, "holds": _holds,
}


def check_rows(resolver: Resolver, kind: str, rows: Iterable[tuple[int, dict[str, str]]],
               progress: Callable[[int], None] | None = None) -> tuple[list[Parsed], list[dict[str, Any]]]:
    parsed, errors, seen = [], [], {}
    for n, (line, row) in enumerate(rows, 1):
        try:
            item = PARSERS[kind](resolver, row, line)
        except RowError as exc:
            errors.append({"line": line, "message": f"Dòng {line}: {exc}."})
        else:
            if item.key in seen:
                errors.append({"line": line, "message": f"Dòng {line}: trùng với dòng {seen[item.key]} của tệp."})
            else:
                seen[item.key] = line
                parsed.append(item)
        if progress is not None and n % BATCH == 0:
            progress(n)
    return parsed, errors


def upload(db: Database, actor: Actor | int, kind: str, filename: str, content: bytes) -> int:
    """Check a file and keep it as an import waiting in preview (nothing enters the registry yet)."""
    if kind not in KINDS:
        raise Invalid("Chọn loại dữ liệu của tệp.", {"kind": "Loại dữ liệu không hợp lệ."})
    if len(content) > MAX_BYTES:
        raise Invalid(f"Tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB.", {"file": "Tệp quá lớn."})
    text = _decode(content)
    header, rows = _rows(text)
    _check_header(kind, header)
    if not rows:
        raise Invalid("Tệp không có dòng dữ liệu nào.", {"file": "Tệp trống."})
    with db.write() as s:
        who = load_actor(s, actor)
        may_manage(who)
        _parsed, errors = check_rows(Resolver(s), kind, rows)
        now = clock.now()
        job = RegistryImport(kind=kind, filename=filename[:255], sha256=hashlib.sha256(content).hexdigest(), content=text,
                             state="preview", total_rows=len(rows), done_rows=0, errors=errors, created_by_id=who.id,
                             created_at=now)
        s.add(job)
        s.flush()
        audit.record_subject(s, "registry_import", job.id, at=now, actor=who, action="uploaded",
                             changes={"kind": [None, kind], "filename": [None, job.filename], "rows": [None, len(rows)],
                                      "bad_rows": [None, len(errors)], "sha256": [None, job.sha256]})
        return job.id


def preview(db: Database, actor: Actor | int, import_id: int) -> dict[str, Any]:
    """The import's state, its progress, the first rows as they will be written and every bad row."""
    with db.read() as s:
        who = load_actor(s, actor)
        if not (who.has("admin", "secretariat", "auditor")):
            raise NotFound("Không tìm thấy lần nhập dữ liệu.")
        job = s.get(RegistryImport, import_id)
        if job is None:
            raise NotFound("Không tìm thấy lần nhập dữ liệu.")
        first = []
        if job.state == "preview":
            _header, rows = _rows(job.content)
            first = [p.shown for p in check_rows(Resolver(s), job.kind, rows[:PREVIEW_ROWS])[0]]
        return {"id": job.id, "kind": job.kind, "kind_label": KINDS[job.kind], "filename": job.filename,
                "state": job.state, "total_rows": job.total_rows, "done_rows": job.done_rows,
                "percent": (100 * job.done_rows // job.total_rows) if job.total_rows else 0,
                "errors": job.errors or [], "result": job.result, "first_rows": first, "created_at": job.created_at,
                "finished_at": job.finished_at, "can_run": job.state == "preview" and not job.errors
                and who.has("admin", "secretariat") and not who.has("auditor")}


def imports(db: Database, actor: Actor | int) -> list[dict[str, Any]]:
    with db.read() as s:
        who = load_actor(s, actor)
        if not who.has("admin", "secretariat", "auditor"):
            return []
        rows = s.scalars(select(RegistryImport).order_by(RegistryImport.id.desc()).limit(50))
        return [{"id": j.id, "kind_label": KINDS[j.kind], "filename": j.filename, "state": j.state,
                 "total_rows": j.total_rows, "created_at": j.created_at} for j in rows]


def start(db: Database, actor: Actor | int, import_id: int) -> None:
    """Queue a checked import; a file with bad rows, or one already started, is refused."""
    with db.write() as s:
        who = load_actor(s, actor)
        may_manage(who)
        job = s.get(RegistryImport, import_id)
        if job is None:
            raise NotFound("Không tìm thấy lần nhập dữ liệu.")
        if job.errors:
            raise Invalid(f"Tệp có {len(job.errors)} dòng lỗi: sửa tệp rồi tải lên lại; không dòng nào được nhập.")
        moved = s.execute(update(RegistryImport).where(RegistryImport.id == import_id, RegistryImport.state == "preview")
                          .values(state="queued", progress_at=clock.now()))
        if moved.rowcount != 1:
            raise Conflict("Lần nhập này đã được bắt đầu.")
        audit.record_subject(s, "registry_import", import_id, at=clock.now(), actor=who, action="started")


def execute(db: Database, import_id: int) -> dict[str, Any]:
    """Check every row again (the registry may have changed since the preview), then write them all in one
    transaction; a failure marks the import failed and writes nothing."""
    with db.write() as s:
        claimed = s.execute(update(RegistryImport).where(RegistryImport.id == import_id, RegistryImport.state == "queued")
                            .values(state="running", done_rows=0, progress_at=clock.now()))
        if claimed.rowcount != 1:
            return {}
    try:
        with db.read() as s:
            job = s.get(RegistryImport, import_id)
            kind, rows = job.kind, _rows(job.content)[1]
            resolver = Resolver(s)

        def progress(n: int) -> None:
            with db.write() as w:
                w.execute(update(RegistryImport).where(RegistryImport.id == import_id)
                          .values(done_rows=n, progress_at=clock.now()))

        with db.read() as s:
            resolver.session = s
            parsed, errors = check_rows(resolver, kind, rows, progress)
        if errors:
            raise Invalid(f"Có {len(errors)} dòng lỗi khi nhập: {errors[0]['message']}")
        with db.write() as s:
            counts = _write(s, parsed)
            now = clock.now()
            s.execute(update(RegistryImport).where(RegistryImport.id == import_id)
                      .values(state="done", done_rows=len(rows), result=counts, finished_at=now))
            audit.record_subject(s, "registry_import", import_id, at=now, actor=None, action="imported",
                                 changes={k: [None, v] for k, v in counts.items()})
        return counts
    except Exception as exc:
        message = (exc.message if isinstance(exc, Invalid)
                   else f"Lỗi khi ghi dữ liệu ({type(exc).__name__}); không dòng nào được nhập.")
        with db.write() as s:
            s.execute(update(RegistryImport).where(RegistryImport.id == import_id)
                      .values(state="failed", result={"error": message}, finished_at=clock.now()))
            audit.record_subject(s, "registry_import", import_id, at=clock.now(), actor=None, action="failed",
                                 comment=message)
        return {"error": message}


# A worker's job is killed at its time limit (``workers.jobs.enqueue``: 600 s); an import still "running" with no sign
# of life for longer has no process behind it. A queued import no worker took for a while lost its Redis job
# (Redis only carries work) or waits behind a long queue: the sweep runs it, and the claim lets only one run.
STALLED_RUNNING = timedelta(minutes=15)
UNCLAIMED_QUEUED = timedelta(minutes=5)


def resume_stalled(db: Database) -> int:
    """Queue again each import left running by a dead worker, then run each queued one nobody took; how many ran."""
    now = clock.now()
    last_seen = func.coalesce(RegistryImport.progress_at, RegistryImport.created_at)
    with db.write() as s:
        stalled = s.scalars(select(RegistryImport.id).where(RegistryImport.state == "running",
                                                            last_seen < now - STALLED_RUNNING)).all()
        for import_id in stalled:
            moved = s.execute(update(RegistryImport).where(RegistryImport.id == import_id,
                                                           RegistryImport.state == "running",
                                                           last_seen < now - STALLED_RUNNING)
                              .values(state="queued", done_rows=0))  # stale still: this sweep's next read runs it
            if moved.rowcount == 1:  # nothing of it was written: its rows go in one transaction at the end
                audit.record_subject(s, "registry_import", import_id, at=now, actor=None, action="resumed",
                                     comment="Tiến trình nhập bị dừng giữa chừng; nhập lại từ đầu.")
    with db.read() as s:
        waiting = s.scalars(select(RegistryImport.id).where(RegistryImport.state == "queued",
                                                            last_seen < now - UNCLAIMED_QUEUED)
                            .order_by(RegistryImport.id)).all()
    return sum(1 for import_id in waiting if execute(db, import_id))


def _write(session: Session, parsed: list[Parsed]) -> dict[str, int]:
    """Upsert by natural key: new rows added, changed ones updated, the same ones left alone."""
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    if not parsed:
        return counts
    model = parsed[0].model
    keys = [p.key for p in parsed]
    existing = {}
    for i in range(0, len(keys), BATCH):
        chunk = keys[i:i + BATCH]
        existing |= {row.natural_key: row for row in
                     session.scalars(select(model).where(model.natural_key.in_(chunk)).with_for_update())}
    now = clock.now()
    for p in parsed:
        row = existing.get(p.key)
        if row is None:
            extra = {"created_at": now} if model in (Person, Collective) else {}
            session.add(model(natural_key=p.key, **p.values, **extra))
            counts["added"] += 1
        elif any(getattr(row, k) != v for k, v in p.values.items() if not (k == "source" and row.source == "issued")):
            for k, v in p.values.items():
                if k == "source" and row.source == "issued":
                    continue  # an award the product issued stays its own, whatever a file says
                setattr(row, k, v)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    session.flush()
    return counts
