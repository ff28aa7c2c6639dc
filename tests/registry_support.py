"""Registry history written straight into the tables, as an import of past years leaves it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

from sqlalchemy import select

from workflows.domain.registry import award_key, fold, hold_key, initiative_key, person_key, rating_key, subject_key
from workflows.persistence.db import Database
from workflows.persistence.model import Unit, User
from workflows.persistence.registry_model import Collective, HeldAward, Hold, Initiative, Person, Rating

_serial = count(1)


class History:
    """``History(db).person("Lê Văn Cường")`` then ``.award(pid, "chien_si_thi_dua_co_so", 2023, 2024, 2025)``…"""

    def __init__(self, db: Database) -> None:
        self.db = db

    def unit_of(self, username: str) -> int:
        with self.db.read() as s:
            return s.scalar(select(User.unit_id).where(User.username == username))

    def unit(self, code: str) -> int:
        with self.db.read() as s:
            return s.scalar(select(Unit.id).where(Unit.code == code))

    def person(self, name: str = "Lê Văn Cường", unit_of: str = "clerk1", birth: date = date(1980, 5, 17),
               staff_id: str | None = None) -> int:
        unit_id = self.unit_of(unit_of)
        with self.db.write() as s:
            person = Person(full_name=name, name_key=fold(name), birth_date=birth, unit_id=unit_id, staff_id=staff_id,
                            natural_key=person_key(name, birth, unit_id, staff_id), created_at=datetime.now(UTC))
            s.add(person)
            s.flush()
            return person.id

    def collective(self, name: str = "Phòng Kế hoạch - Tài chính", unit_of: str = "clerk1") -> int:
        unit_id = self.unit_of(unit_of)
        with self.db.write() as s:
            group = Collective(name=name, name_key=fold(name), unit_id=unit_id, natural_key=f"collective:{unit_id}:{fold(name)}",
                               created_at=datetime.now(UTC))
            s.add(group)
            s.flush()
            return group.id

    @staticmethod
    def _subject(person: int | None, collective: int | None) -> dict[str, int | None]:
        return {"person_id": person, "collective_id": collective}

    def award(self, person: int | None, form: str, *years: int, collective: int | None = None, kind: str = "merit",
              level: str = "unit", number: str | None = None) -> list[int]:
        ids = []
        with self.db.write() as s:
            for year in years:
                row = HeldAward(**self._subject(person, collective), award_form=form, year=year, level=level, kind=kind,
                                decision_number=number, source="imported",
                                natural_key=award_key(subject_key(person, collective), form, None, year))
                s.add(row)
                s.flush()
                ids.append(row.id)
        return ids

    def rating(self, person: int | None, rating: str, *years: int, collective: int | None = None) -> None:
        with self.db.write() as s:
            for year in years:
                s.add(Rating(**self._subject(person, collective), year=year, rating=rating,
                             natural_key=rating_key(subject_key(person, collective), year)))

    def initiative(self, person: int, scope: str, year: int, title: str | None = None) -> int:
        title = title or f"Sáng kiến số {next(_serial)}"
        with self.db.write() as s:
            row = Initiative(person_id=person, title=title, year=year, scope=scope,
                             natural_key=initiative_key(person, title, year))
            s.add(row)
            s.flush()
            return row.id

    def hold(self, person: int | None, kind: str, starts: date, ends: date | None = None, note: str | None = None,
             collective: int | None = None) -> None:
        with self.db.write() as s:
            s.add(Hold(**self._subject(person, collective), kind=kind, starts_on=starts, ends_on=ends, note=note,
                       natural_key=hold_key(subject_key(person, collective), kind, starts)))
