"""The official documents render as PDF with their Vietnamese text intact, read back with poppler's pdftotext.

Without poppler-utils, WeasyPrint's Pango or fontconfig these tests are skipped with the reason, except under
CI, where a missing tool is a failure (``tools/ensure-pdf-libs.sh`` installs them all).
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from workflows.documents import (
    Attendance,
    Awardee,
    Decision,
    DossierTally,
    Member,
    Minutes,
    Signer,
    decision_html,
    decision_pdf,
    minutes_html,
    minutes_pdf,
    percent,
    vn_date,
    vn_datetime,
)

from ..conftest import _unavailable

PACKAGE = Path(__file__).resolve().parents[2] / "workflows" / "documents"
NAMES = ("Nguyễn Thị Hồng Nhung", "Trịnh Văn Bảo", "Phạm Quỳnh Anh", "Đặng Thị Ngọc Hằng", "Vũ Hoàng Yến",
         "Lê Quốc Việt", "Hoàng Thị Thùy Dương", "Bùi Xuân Trường", "Ngô Thị Ánh Tuyết")
ORG = "BỘ KHOA HỌC VÀ CÔNG NGHỆ"
AWARD = "Bằng khen của Bộ trưởng Bộ Khoa học và Công nghệ"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _unavailable(name, "not on PATH: tools/ensure-pdf-libs.sh installs poppler-utils and fontconfig")
    return path


@pytest.fixture(scope="module", autouse=True)
def _pdf_tools() -> None:
    for name in ("pdftotext", "pdfinfo", "pdffonts"):
        tool(name)
    try:
        import weasyprint  # noqa: F401  (loads Pango)
    except OSError as exc:
        _unavailable("WeasyPrint's Pango", f"{exc}: tools/ensure-pdf-libs.sh installs it")


def pdftotext(pdf: bytes, *options: str) -> str:
    """The PDF's text as poppler reads it (``-layout`` unless told), NFC-normalised."""
    done = subprocess.run([tool("pdftotext"), *(options or ("-layout",)), "-", "-"], input=pdf,
                          capture_output=True, check=True)
    return nfc(done.stdout.decode("utf-8"))


def flowing(pdf: bytes) -> str:
    """The text in drawing order with every run of white space one space: a name wrapped in a table cell is whole."""
    return re.sub(r"\s+", " ", pdftotext(pdf, "-raw"))


def pages(pdf: bytes) -> list[str]:
    """Each page's text (``-layout``), as pdfinfo counts the pages."""
    info = subprocess.run([tool("pdfinfo"), "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    count = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
    return [pdftotext(pdf, "-layout", "-f", str(n), "-l", str(n)) for n in range(1, count + 1)]


def members(absent: int = 1, written: int = 2) -> tuple[Member, ...]:
    kinds = [Attendance.MEETING] * (len(NAMES) - absent - written) + [Attendance.WRITTEN] * written
    kinds += [Attendance.ABSENT] * absent
    return tuple(Member(name, "Chủ tịch Hội đồng" if i == 0 else "Ủy viên", kind, "Thứ trưởng" if i == 0 else "Vụ trưởng")
                 for i, (name, kind) in enumerate(zip(NAMES, kinds, strict=True)))


def tally(nominee: str, agree: int, disagree: int, passed: bool, note: str = "") -> DossierTally:
    return DossierTally(nominee, "Viện Năng lượng nguyên tử Việt Nam", "Bằng khen của Bộ trưởng", agree, disagree,
                        "≥ 80 % tổng số thành viên", passed, note)


def minutes(dossiers: tuple[DossierTally, ...], **changes) -> Minutes:
    data = Minutes(
        organisation=ORG, council="Hội đồng Thi đua - Khen thưởng", round_title="Xét tặng Bằng khen của Bộ trưởng năm 2026",
        meeting_date=date(2026, 12, 5), voting_deadline=datetime(2026, 12, 4, 17, 0),
        place="Phòng họp số 1, 113 Trần Duy Hưng, Hà Nội", members=members(), quorum_required=6, dossiers=dossiers,
        chair="Trịnh Văn Bảo", secretary="Vũ Hoàng Yến",
    )
    return replace(data, **changes)


def decision(awardees: tuple[Awardee, ...], **changes) -> Decision:
    data = Decision(
        organisation=ORG, issuer="BỘ TRƯỞNG BỘ KHOA HỌC VÀ CÔNG NGHỆ", award_form=AWARD,
        legal_bases=("Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
                     "Theo đề nghị của Vụ trưởng Vụ Tổ chức cán bộ."),
        awardees=awardees, signer=Signer("Phạm Quỳnh Anh", "THỨ TRƯỞNG", on_behalf_of="BỘ TRƯỞNG"),
        recipients=("Như Điều 3;", "Bộ trưởng (để b/c);", "Lưu: VT, TCCB."),
        reason="đã có thành tích xuất sắc trong công tác năm 2025",
    )
    return replace(data, **changes)


def person(name: str, i: int = 0) -> Awardee:
    return Awardee(name, "Cục Sở hữu trí tuệ", f"Hoàn thành xuất sắc nhiệm vụ năm 2025 (thành tích số {i})", "Chuyên viên chính")


def test_text_helpers_print_vietnamese_dates_and_shares():
    assert vn_date(date(2026, 12, 5)) == "ngày 05 tháng 12 năm 2026"
    assert vn_date(date(2026, 2, 14)) == "ngày 14 tháng 02 năm 2026"  # months 1 and 2 take a zero, not 3 to 12
    assert vn_date(date(2026, 3, 9)) == "ngày 09 tháng 3 năm 2026"
    assert vn_date(None) == "ngày ...... tháng ...... năm ........"
    assert vn_datetime(datetime(2026, 12, 4, 17, 5)) == "17 giờ 05 ngày 04 tháng 12 năm 2026"
    assert [percent(8, 9), percent(7, 9), percent(9, 9), percent(1, 16), percent(0, 9)] == [
        "88,9 %", "77,8 %", "100,0 %", "6,3 %", "0,0 %"]  # one decimal, rounded half up, decimal comma


def test_the_minutes_print_members_attendance_counts_shares_and_results():
    data = minutes((
        tally("Nguyễn Thị Hồng Nhung", 8, 0, True, "Xếp thứ 1/2 (chỉ tiêu 1)"),
        tally("Đặng Thị Ngọc Hằng", 7, 1, False, "Xếp thứ 2/2"),
        tally("Tập thể Phòng Hợp tác quốc tế", 6, 2, False),
    ))
    pdf = minutes_pdf(data)
    assert pdf.startswith(b"%PDF-")
    text, flow = pdftotext(pdf), flowing(pdf)

    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BIÊN BẢN KIỂM PHIẾU", ORG,
                 "Hà Nội, ngày 05 tháng 12 năm 2026", "CHỦ TỊCH HỘI ĐỒNG", "THƯ KÝ HỘI ĐỒNG"):
        assert line in text, line
    assert "HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG" in flow and "Hạn bỏ phiếu: 17 giờ 00 ngày 04 tháng 12 năm 2026." in flow
    for name in NAMES:  # the members' table has room for a whole name on one line
        assert name in text, name
    assert "Không bỏ phiếu: 1 người (Ngô Thị Ánh Tuyết)." in flow  # who did not vote, by name
    assert "Bằng phiếu viết" in text and "Dự họp" in text
    assert "Tham gia bỏ phiếu: 8 người" in flow and "bằng phiếu viết trên hệ thống: 2" in flow
    assert "tối thiểu theo quy chế: 6/9" in flow and "đủ số lượng thành viên" in flow

    for nominee, agree, disagree, share, result in (("Nguyễn Thị Hồng Nhung", 8, 0, "88,9 %", "Đạt"),
                                                    ("Đặng Thị Ngọc Hằng", 7, 1, "77,8 %", "Không đạt"),
                                                    ("Tập thể Phòng Hợp tác quốc tế", 6, 2, "66,7 %", "Không đạt")):
        assert f"{nominee} Viện Năng lượng" in flow, nominee  # a name wrapped in its cell, read whole
        row = next(line for line in text.splitlines() if share in line)
        assert re.search(rf"\b{agree}\s+{disagree}\s+{share}", row), row
        assert result in row.split(share)[1], row
    assert "Xếp thứ 1/2 (chỉ tiêu 1)" in flow
    assert "đạt: 1; không đạt: 2" in flow


def test_a_council_without_quorum_says_so():
    data = minutes((tally("Vũ Hoàng Yến", 5, 0, False),), members=members(absent=4), quorum_required=6)
    assert data.voted == 5 and not data.quorum_met
    flow = flowing(minutes_pdf(data))
    assert "không đủ số lượng thành viên" in flow and "kết quả kiểm phiếu không có giá trị" in flow
    assert "55,6 %" in flow  # 5 of the 9 called, not of the 5 who voted


def test_more_votes_than_voters_is_refused():
    with pytest.raises(ValueError, match="9 votes from 8 voters"):
        minutes((tally("Trịnh Văn Bảo", 9, 0, True),))


def test_a_long_tally_breaks_across_pages_with_its_header_repeated():
    data = minutes(tuple(tally(f"{NAMES[i % 9]} {i + 1}", 8, 0, True) for i in range(60)))
    texts = pages(minutes_pdf(data))
    assert len(texts) > 2
    tally_pages = [t for t in texts if "88,9 %" in t]
    assert len(tally_pages) > 1
    for page in tally_pages:  # the header's cells, on every page the table runs to
        assert all(cell in page for cell in ("STT", "Họ và tên /", "Đơn vị", "Ngưỡng", "Kết")), page[:600]
    assert "Kết quả" in flowing(minutes_pdf(data))
    assert len(re.findall(r"Ngưỡng", "".join(texts))) == len(tally_pages)  # once per page, not once per row


def test_the_decision_prints_its_articles_signature_and_attached_list():
    awardees = (person("Nguyễn Thị Hồng Nhung"), person("Trịnh Văn Bảo"), person("Phạm Quỳnh Anh"),
                Awardee("Phòng Thi đua - Khen thưởng", "Vụ Tổ chức cán bộ", "Hoàn thành xuất sắc nhiệm vụ", collective=True),
                Awardee("Trung tâm Thông tin", "Cục Thông tin", "Hoàn thành xuất sắc nhiệm vụ", collective=True))
    pdf = decision_pdf(decision(awardees))
    text, flow = pdftotext(pdf), flowing(pdf)
    first, *rest = pages(pdf)

    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "QUYẾT ĐỊNH",
                 "Số: ......./QĐ-BKHCN", "Hà Nội, ngày ...... tháng ...... năm ........",
                 "BỘ TRƯỞNG BỘ KHOA HỌC VÀ CÔNG NGHỆ", "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
                 "KT. BỘ TRƯỞNG", "THỨ TRƯỞNG", "Phạm Quỳnh Anh", "Nơi nhận:", "- Như Điều 3;", "- Lưu: VT, TCCB."):
        assert line in first, line
    assert f"Về việc tặng {AWARD}" in flow
    assert (f"Điều 1. Tặng {AWARD} cho 03 cá nhân và 02 tập thể có tên trong danh sách kèm theo, "
            "đã có thành tích xuất sắc trong công tác năm 2025.") in flow
    assert "Điều 2. Quyết định này có hiệu lực kể từ ngày ký." in flow and "Điều 3. Chánh Văn phòng Bộ" in flow

    listing = "\n".join(rest)  # the attached list starts on a page of its own
    assert "DANH SÁCH KÈM THEO" in listing and "DANH SÁCH KÈM THEO" not in first
    assert all(cell in listing for cell in ("STT", "Họ và tên / Tập", "Chức vụ", "Đơn vị", "Thành tích tóm tắt"))
    assert "I Cá nhân" in flow and "II Tập thể" in flow
    for name in ("Nguyễn Thị Hồng Nhung", "Trịnh Văn Bảo", "Phạm Quỳnh Anh", "Phòng Thi đua - Khen thưởng"):
        assert name in listing or name in flow, name
    assert "(Kèm theo Quyết định số ......./QĐ-BKHCN ngày ...... tháng ...... năm ........)" in text


def test_a_registered_decision_signed_by_the_minister_himself():
    data = decision((person("Vũ Hoàng Yến"),), number="1234", issued=date(2026, 12, 20), signer=Signer("Đặng Thị Ngọc Hằng"))
    text = pdftotext(decision_pdf(data))
    assert "Số: 1234/QĐ-BKHCN" in text and "Hà Nội, ngày 20 tháng 12 năm 2026" in text
    assert "KT." not in text and "THỨ TRƯỞNG" not in text and "Đặng Thị Ngọc Hằng" in text
    assert "cho 01 cá nhân có tên" in flowing(decision_pdf(data))
    assert "(Kèm theo Quyết định số 1234/QĐ-BKHCN ngày 20 tháng 12 năm 2026)" in text


def test_a_sixty_row_list_spans_pages_with_the_header_repeated():
    data = decision(tuple(person(f"{NAMES[i % 9]} {i + 1}", i + 1) for i in range(60)))
    texts = pages(decision_pdf(data))
    listing = texts[1:]
    assert len(listing) > 1, f"{len(texts)} pages"
    for page in listing:  # the header's cells, on every page the list runs to, once
        assert all(cell in page for cell in ("STT", "Họ và tên / Tập", "Chức vụ", "Đơn vị", "Thành tích tóm tắt")), page[:600]
        assert page.count("Thành tích tóm tắt") == 1
    everything = re.sub(r"\s+", " ", " ".join(listing))
    for i in (1, 30, 60):
        assert f"(thành tích số {i})" in everything
    assert "Vũ Hoàng Yến 50" in flowing(decision_pdf(data))


def test_names_typed_decomposed_print_composed():
    decomposed = unicodedata.normalize("NFD", "Đặng Thị Ngọc Hằng")
    assert decomposed != "Đặng Thị Ngọc Hằng"
    pdf = decision_pdf(decision((person(decomposed),)))
    raw = subprocess.run([tool("pdftotext"), "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    assert "Đặng Thị Ngọc Hằng" in re.sub(r"\s+", " ", raw.decode("utf-8"))  # composed in the PDF itself


def test_markup_in_user_text_is_printed_as_text():
    evil = "<b>x</b>"
    data = minutes((tally(evil, 8, 0, True),), place='<img src="file:///etc/passwd">Hội trường')
    html = minutes_html(data)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html and "<img" not in html
    assert evil in flowing(minutes_pdf(data)) and '<img src="file:///etc/passwd">Hội trường' in flowing(minutes_pdf(data))

    listed = decision((person(evil),), reason="<script>alert(1)</script>")
    assert "<script>" not in decision_html(listed)
    assert evil in pdftotext(decision_pdf(listed)) and "<script>alert(1)</script>" in flowing(decision_pdf(listed))


def test_the_documents_embed_dejavu_sans_from_debian_which_covers_vietnamese():
    pdf = minutes_pdf(minutes((tally("Phạm Quỳnh Anh", 8, 0, True),)))
    fonts = subprocess.run([tool("pdffonts"), "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    embedded = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert embedded and all("+Vinhdanh-Sans" in name for name in embedded), fonts  # our @font-face, subset and embedded
    covering = subprocess.run([tool("fc-list"), ":lang=vi", "family"], capture_output=True, check=True, text=True).stdout
    assert "DejaVu Sans" in covering, covering


def test_a_document_fetches_nothing_but_its_fonts():
    from workflows.documents.render import _fonts_only, font_faces

    fetcher = _fonts_only()
    for url in ("file:///etc/passwd", "http://127.0.0.1/x.png", "https://example.org/f.ttf"):
        with pytest.raises(ValueError, match="fetch only their fonts"):
            fetcher.fetch(url)
    assert font_faces(), "no DejaVu Sans file at the Debian path"
    response = fetcher.fetch(font_faces()[0]["url"])
    try:
        assert response.read(4) == b"\x00\x01\x00\x00"  # a TrueType file
    finally:
        response.close()


def test_the_package_is_pure():
    """No database, no engine, no web: data in, PDF bytes out."""
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            wrong += [f"{path.name}: {n}" for n in names if n.split(".")[0] in {"sqlalchemy", "SpiffWorkflow", "psycopg"}]
    assert not wrong, wrong
