"""The data each document prints, frozen; the arithmetic a document states is derived here, not passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from .text import percent


class Attendance(StrEnum):
    """How a member called to the council took part."""

    MEETING = "meeting"  # voted at the meeting
    WRITTEN = "written"  # voted by written ballot in the system (bằng phiếu viết)
    ABSENT = "absent"  # did not vote

    @property
    def label(self) -> str:
        return {"meeting": "Dự họp", "written": "Bằng phiếu viết", "absent": "Không bỏ phiếu"}[self.value]


@dataclass(frozen=True)
class Member:
    """A member called to the council: name, position in the council (Chủ tịch, Phó Chủ tịch, Ủy viên...)."""

    name: str
    role: str
    attendance: Attendance
    position: str = ""  # the member's own office, e.g. "Thứ trưởng", "Vụ trưởng Vụ Tổ chức cán bộ"


@dataclass(frozen=True)
class DossierTally:
    """The count for one dossier. ``threshold`` is the rule as printed, e.g. "≥ 90 % tổng số thành viên"."""

    nominee: str
    unit: str
    award_form: str
    agree: int
    disagree: int
    threshold: str
    passed: bool
    note: str = ""  # ranking or quota, e.g. "Xếp thứ 2/3 (chỉ tiêu 2)"

    def __post_init__(self) -> None:
        if self.agree < 0 or self.disagree < 0:
            raise ValueError(f"negative vote count for {self.nominee!r}")

    @property
    def result(self) -> str:
        return "Đạt" if self.passed else "Không đạt"


@dataclass(frozen=True)
class Minutes:
    """Biên bản kiểm phiếu: the council's meeting, who took part, and the count per dossier.

    Shares are of ALL members called (``len(members)``), as the pct_of_all rule counts them; the
    quorum is met when the members who voted (at the meeting or in writing) reach ``quorum_required``.
    """

    organisation: str  # "BỘ KHOA HỌC VÀ CÔNG NGHỆ"
    council: str  # "Hội đồng Thi đua - Khen thưởng Bộ Khoa học và Công nghệ"
    round_title: str  # "Xét tặng Bằng khen của Bộ trưởng năm 2026"
    meeting_date: date
    voting_deadline: datetime | date
    place: str  # where the meeting sat
    members: tuple[Member, ...]
    quorum_required: int
    dossiers: tuple[DossierTally, ...]
    chair: str  # name of the council's chair, who signs
    secretary: str  # name of the secretary (or the head of the vote-count team), who signs
    secretary_title: str = "THƯ KÝ HỘI ĐỒNG"  # or "TỔ KIỂM PHIẾU"
    number: str = ""  # "12/BB-HĐTĐKT"; blank until registered
    city: str = "Hà Nội"
    issued: date | None = None  # the date line; the meeting's date when not given
    notes: tuple[str, ...] = field(default_factory=tuple)  # further paragraphs (opinions, reservations)

    def __post_init__(self) -> None:
        for tally in self.dossiers:
            if tally.agree + tally.disagree > self.voted:
                raise ValueError(f"{tally.nominee!r}: {tally.agree + tally.disagree} votes from {self.voted} voters")

    @property
    def called(self) -> int:
        return len(self.members)

    def attending(self, how: Attendance) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.attendance is how)

    @property
    def voted(self) -> int:
        return sum(m.attendance is not Attendance.ABSENT for m in self.members)

    @property
    def quorum_met(self) -> bool:
        return self.voted >= self.quorum_required

    def share(self, tally: DossierTally) -> str:
        return percent(tally.agree, self.called)

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.dossiers)


@dataclass(frozen=True)
class Signer:
    """Who signs: ``Signer("Trần Văn A")`` signs as BỘ TRƯỞNG; ``Signer("Lê Thị B", "THỨ TRƯỞNG",
    on_behalf_of="BỘ TRƯỞNG")`` signs KT. BỘ TRƯỞNG (ký thay) as THỨ TRƯỞNG."""

    name: str
    title: str = "BỘ TRƯỞNG"
    on_behalf_of: str = ""
    delegation: str = "KT."  # "KT." (ký thay), "TL." (thừa lệnh), "TUQ." (thừa ủy quyền)

    @property
    def lines(self) -> tuple[str, ...]:
        if self.on_behalf_of:
            return (f"{self.delegation} {self.on_behalf_of}", self.title)
        return (self.title,)


@dataclass(frozen=True)
class Awardee:
    """A row of the attached list: a person (họ tên, chức vụ) or a collective (tập thể)."""

    name: str
    unit: str
    achievement: str = ""  # thành tích tóm tắt
    position: str = ""  # chức vụ (blank for a collective)
    collective: bool = False


DEFAULT_ARTICLE_2 = "Quyết định này có hiệu lực kể từ ngày ký."
DEFAULT_ARTICLE_3 = (
    "Chánh Văn phòng Bộ, Vụ trưởng Vụ Tổ chức cán bộ, Thủ trưởng các đơn vị có liên quan và các cá nhân, "
    "tập thể có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này."
)


@dataclass(frozen=True)
class Decision:
    """Quyết định tặng ``award_form`` to the people and collectives of ``awardees`` (the attached list)."""

    organisation: str  # "BỘ KHOA HỌC VÀ CÔNG NGHỆ"
    issuer: str  # the authority, as it heads the bases: "BỘ TRƯỞNG BỘ KHOA HỌC VÀ CÔNG NGHỆ"
    award_form: str  # "Bằng khen của Bộ trưởng Bộ Khoa học và Công nghệ"
    legal_bases: tuple[str, ...]  # each "Căn cứ ...;" as it is printed
    awardees: tuple[Awardee, ...]
    signer: Signer
    recipients: tuple[str, ...]  # Nơi nhận: "Như Điều 3;", "Lưu: VT, TCCB."
    reason: str = ""  # appended to Điều 1: "đã có thành tích xuất sắc trong ..."
    number: str = ""  # "123"; blank prints "Số: ......./QĐ-BKHCN" until the decision is registered
    code: str = "QĐ-BKHCN"
    issued: date | None = None  # blank until signed
    city: str = "Hà Nội"
    article_2: str = DEFAULT_ARTICLE_2
    article_3: str = DEFAULT_ARTICLE_3
    draft: bool = False  # not signed yet: marked DỰ THẢO at the head of the document

    @property
    def number_text(self) -> str:
        return f"{self.number or '.......'}/{self.code}"

    @property
    def people(self) -> tuple[Awardee, ...]:
        return tuple(a for a in self.awardees if not a.collective)

    @property
    def collectives(self) -> tuple[Awardee, ...]:
        return tuple(a for a in self.awardees if a.collective)


@dataclass(frozen=True)
class Submission:
    """Tờ trình: the ministry asks the authority above (``addressee``) to award ``award_form`` to the attached list."""

    organisation: str  # "BỘ KHOA HỌC VÀ CÔNG NGHỆ"
    speaker: str  # the organisation in running text: "Bộ Khoa học và Công nghệ"
    addressee: str  # "Thủ tướng Chính phủ"
    award_form: str  # "Bằng khen của Thủ tướng Chính phủ"
    legal_bases: tuple[str, ...]  # each "Căn cứ ...;" as it is printed
    awardees: tuple[Awardee, ...]
    signer: Signer
    recipients: tuple[str, ...]  # Nơi nhận: "Như trên;", "Lưu: VT, TCCB."
    via: str = ""  # "(qua Bộ Nội vụ)": the body that receives the dossiers for the addressee
    title: str = ""  # "Về việc đề nghị tặng ..."; derived from the award form when blank
    request: str = "xem xét, quyết định"  # what the addressee is asked to do
    reason: str = ""  # "đã có thành tích xuất sắc trong ..."
    number: str = ""  # "12"; blank prints "Số: ......./TTr-BKHCN" until registered
    code: str = "TTr-BKHCN"
    issued: date | None = None
    city: str = "Hà Nội"
    draft: bool = False

    @property
    def number_text(self) -> str:
        return f"{self.number or '.......'}/{self.code}"

    @property
    def subject(self) -> str:
        return self.title or f"Về việc đề nghị tặng {self.award_form}"

    @property
    def people(self) -> tuple[Awardee, ...]:
        return tuple(a for a in self.awardees if not a.collective)

    @property
    def collectives(self) -> tuple[Awardee, ...]:
        return tuple(a for a in self.awardees if a.collective)
