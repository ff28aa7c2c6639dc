"""Demo data to click through: units, one account per role, nominations in several states, council rounds.

Idempotent (a database that already has accounts is left alone), and refuses to touch a database
that has real (non-demo) users, since every demo account has the password ``demo``. The chair
(``minister``) has the ballot passphrase ``DEMO_BALLOT_PASSPHRASE``: it closes the demo's open round.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlalchemy import func, select

from workflows import services
from workflows.domain import attachment_kinds, clock
from workflows.persistence import required_documents
from workflows.persistence.db import Database
from workflows.persistence.grants import today
from workflows.persistence.model import TaskItem, Unit, User
from workflows.services import decisions, delegations, people, reference, registry_import, rounds
from workflows.services.accounts import hash_password

DEMO_PASSWORD = "demo"  # every demo account's
DEMO_BALLOT_PASSPHRASE = "demo-kiem-phieu"  # the demo chair's (minister) ballot passphrase, to close a round
COUNCIL = [f"council{i}" for i in range(1, 10)]

UNITS = [
    ("VU_TCCB", "Vụ Tổ chức cán bộ", True),
    ("CUC_BDDT", "Cục Bưu điện Trung ương", False),
    ("CUC_VT", "Cục Viễn thông", False),
    ("TT_CNTT", "Trung tâm Công nghệ thông tin", False),
]

# username, full name, unit code, roles
ACCOUNTS = [
    ("clerk1", "Nguyễn Thị Lan", "CUC_BDDT", ["unit_clerk"]),
    ("head1", "Trần Văn Hùng", "CUC_BDDT", ["unit_head"]),
    ("clerk2", "Lê Thị Hoa", "CUC_VT", ["unit_clerk"]),
    ("head2", "Phạm Minh Tuấn", "CUC_VT", ["unit_head"]),
    ("secretary", "Đỗ Thu Trang", "VU_TCCB", ["secretariat"]),
    ("reviewer", "Vũ Quang Huy", "VU_TCCB", ["reviewer"]),
    ("minister", "Bộ trưởng", "VU_TCCB", ["minister", "council_chair"]),
    ("deputy", "Thứ trưởng", "VU_TCCB", ["deputy_minister"]),
    ("admin", "Quản trị hệ thống", "VU_TCCB", ["admin"]),
    ("auditor", "Thanh tra Bộ", "VU_TCCB", ["auditor"]),
] + [(f"council{i}", f"Ủy viên Hội đồng {i}", "VU_TCCB", ["council_member"]) for i in range(1, 10)]


class RealUsersPresent(RuntimeError):
    pass


def seed_demo(db: Database) -> bool:
    """Create the demo data unless present; returns whether anything was created."""
    if not seed_people(db):
        return False
    _demo_second_secretary(db)
    _demo_clusters(db)
    _demo_nominations(db)
    _demo_delegation(db)
    _demo_registry(db)
    return True


def _demo_second_secretary(db: Database) -> None:
    """A second person of the secretariat, so a shared task's claim shows: one takes it, the other sees who."""
    with db.write() as s:
        people.add_user(s, None, "secretary2", "Hoàng Minh Thư", "VU_TCCB", ["secretariat"], _demo_password_hash(),
                        is_demo=True)


def _demo_delegation(db: Database) -> None:
    """The minister delegates signing (every award form) to the deputy for 30 days from today: the decision waiting
    for the minister's signature is in ``deputy``'s inbox too, and signs "KT. BỘ TRƯỞNG"."""
    first = today()
    delegations.delegate(db, _user_id(db, "minister"), "deputy", first, first + timedelta(days=29),
                         note="Bộ trưởng đi công tác (dữ liệu mẫu)")


def _demo_clusters(db: Database) -> None:
    """One emulation block with two clusters of the demo units; Cục Viễn thông leads its cluster in 2026."""
    admin = _user_id(db, "admin")
    block = reference.create_block(db, admin, "KHOI_QLNN", "Khối các cơ quan quản lý nhà nước")
    agencies = reference.create_cluster(db, admin, "CUM_CUC", "Cụm các Cục chuyên ngành", block_id=block)
    services_cluster = reference.create_cluster(db, admin, "CUM_SN", "Cụm các đơn vị sự nghiệp", block_id=block)
    with db.read() as s:
        units = {u.code: (u.id, u.name, u.version) for u in s.scalars(select(Unit))}
    for code, cluster in (("CUC_BDDT", agencies), ("CUC_VT", agencies), ("TT_CNTT", services_cluster)):
        unit_id, name, version = units[code]
        reference.update_unit(db, admin, unit_id, version, name=name, cluster_id=cluster, active=True)
    reference.set_cluster_leader(db, admin, agencies, 1, 2026, units["CUC_VT"][0])


# Past years for the registry, as the secretariat would import them (one file per kind).
DEMO_REGISTRY = {
    "persons": "ho_ten,ngay_sinh,ma_don_vi,ma_can_bo\nTrịnh Văn Bảo,12/03/1979,CUC_BDDT,BD-0001\n"
               "Nguyễn Thị Hồng Nhung,02/09/1985,CUC_BDDT,BD-0002\nPhạm Quỳnh Anh,20/11/1990,CUC_VT,VT-0107\n",
    "collectives": "tap_the,ma_don_vi\nPhòng Kế hoạch - Tài chính,CUC_BDDT\n",
    "awards": "ma_can_bo,ma_don_vi,tap_the,hinh_thuc,nam,cap,loai\n"
              "BD-0001,,,chien_si_thi_dua_co_so,2023,unit,merit\nBD-0001,,,chien_si_thi_dua_co_so,2024,unit,merit\n"
              "BD-0001,,,chien_si_thi_dua_co_so,2025,unit,merit\nBD-0002,,,chien_si_thi_dua_co_so,2025,unit,merit\n"
              ",CUC_BDDT,Phòng Kế hoạch - Tài chính,tap_the_lao_dong_xuat_sac,2024,ministry,merit\n"
              ",CUC_BDDT,Phòng Kế hoạch - Tài chính,tap_the_lao_dong_xuat_sac,2025,ministry,merit\n",
    "ratings": "ma_can_bo,nam,xep_loai\nBD-0001,2024,xuat_sac\nBD-0001,2025,xuat_sac\nBD-0002,2025,tot\n",
    "initiatives": "ma_can_bo,ten_sang_kien,nam,pham_vi\nBD-0001,Số hóa quy trình chấp nhận bưu gửi,2024,bo\n",
    "holds": "ma_can_bo,loai,tu_ngay,ghi_chu\nVT-0107,discipline,01/10/2026,Đang xem xét theo Biên bản số 03/BB-CVT\n",
}


def _demo_registry(db: Database) -> None:
    """Trịnh Văn Bảo meets Chiến sĩ thi đua cấp Bộ, Nguyễn Thị Hồng Nhung does not yet, Phạm Quỳnh Anh is held."""
    admin = _user_id(db, "admin")
    for kind, text in DEMO_REGISTRY.items():
        import_id = registry_import.upload(db, admin, kind, f"demo_{kind}.csv", text.encode("utf-8"))
        registry_import.start(db, admin, import_id)
        registry_import.execute(db, import_id)


@cache
def _demo_password_hash() -> str:
    return hash_password(DEMO_PASSWORD)


def seed_people(db: Database) -> bool:
    """Demo units and accounts only (tests build their own nominations on top). Seeded once: accounts an admin
    made while trying the demo keep ``make run`` starting; a database whose users are all real is refused."""
    with db.write() as s:
        if s.scalar(select(func.count(User.id)).where(User.is_demo.is_(True))):
            return False
        if s.scalar(select(func.count(User.id))):
            raise RealUsersPresent("the database has real users; the demo seed (password 'demo') refuses to run")
        for code, name, office in UNITS:
            people.add_unit(s, None, code, name, office)
        password_hash = _demo_password_hash()
        for username, full_name, unit_code, roles in ACCOUNTS:
            people.add_user(s, None, username, full_name, unit_code, roles, password_hash, is_demo=True)
    return True


def _user_id(db: Database, username: str) -> int:
    with db.read() as s:
        return s.scalar(select(User.id).where(User.username == username))


def _ready_item(db: Database, nomination_id: int, username: str | None = None) -> int:
    with db.read() as s:
        query = select(TaskItem.id).where(TaskItem.nomination_id == nomination_id, TaskItem.state == "ready")
        if username:
            query = query.where(TaskItem.assignee_id == select(User.id).where(User.username == username).scalar_subquery())
        return s.scalars(query.order_by(TaskItem.id)).first()


def _step(db: Database, nomination_id: int, username: str, data: dict) -> None:
    assignee = username if username.startswith("council") else None
    services.complete_task(db, _user_id(db, username), _ready_item(db, nomination_id, assignee), data)


def _demo_nominations(db: Database) -> None:
    clerk1, clerk2 = _user_id(db, "clerk1"), _user_id(db, "clerk2")
    approve = {"decision": "approve"}

    def new(clerk: int, name: str, kind: str, form: str, achievements: str, documents: int | None = None) -> int:
        nomination_id = services.create_nomination(db, clerk, {
            "nominee_name": name, "nominee_kind": kind, "award_form": form, "year": 2026,
            "nominee_position": "Chuyên viên" if kind == "individual" else "",
            "movement": "Phong trào thi đua yêu nước năm 2026", "field": "Bưu chính",
            "achievements": achievements,
        })
        _demo_documents(db, clerk, nomination_id, form, documents)
        return nomination_id

    # 1. Waiting in clerk1's inbox, drafted: the tờ trình attached, the other documents still missing.
    new(clerk1, "Nguyễn Văn An", "individual", "bang_khen_bo_truong",
        "Hoàn thành xuất sắc nhiệm vụ năm 2025 và 2026; hai sáng kiến cấp cơ sở được công nhận.", documents=1)
    # 2. Waiting for head1.
    n2 = new(clerk1, "Phòng Kế hoạch - Tài chính", "collective", "tap_the_lao_dong_xuat_sac",
             "Tập thể hoàn thành xuất sắc nhiệm vụ hai năm liên tục, 100% thành viên hoàn thành nhiệm vụ.")
    _step(db, n2, "clerk1", {})
    # 3. On the council's open round (below), four members have voted.
    n3 = new(clerk2, "Trần Thị Bình", "individual", "bang_khen_bo_truong",
             "Chủ trì triển khai hệ thống quản lý tần số mới, tiết kiệm 20% chi phí vận hành.")
    _accept(db, n3, "clerk2", "head2")
    # 4. Awarded by a decision the minister signed and the office registered (its number on the registry row).
    n4 = new(clerk2, "Lê Hoàng Cường", "individual", "ky_niem_chuong",
             "Hơn 25 năm công tác trong ngành thông tin và truyền thông, nhiều đóng góp cho Cục.")
    for username, data in (("clerk2", {}), ("head2", approve), ("secretary", approve), ("reviewer", approve)):
        _step(db, n4, username, data)
    secretary = _user_id(db, "secretary")
    awarded = decisions.draft(db, secretary, [n4], reason="đã có nhiều đóng góp cho sự nghiệp xây dựng và phát triển ngành")
    decisions.send(db, secretary, awarded)
    decisions.sign(db, _user_id(db, "minister"), awarded, approve)
    decisions.register(db, secretary, awarded)
    # 4b. Two dossiers in one decision sent for the minister's signature (the minister's inbox).
    batch = [new(clerk, name, "individual", "ky_niem_chuong", "Hơn 25 năm công tác trong ngành, hoàn thành tốt nhiệm vụ.")
             for clerk, name in ((clerk1, "Đặng Văn Minh"), (clerk2, "Ngô Thị Thu"))]
    for nid, (clerk, head) in zip(batch, (("clerk1", "head1"), ("clerk2", "head2")), strict=True):
        for username, data in ((clerk, {}), (head, approve), ("secretary", approve), ("reviewer", approve)):
            _step(db, nid, username, data)
    decisions.send(db, secretary, decisions.draft(db, secretary, batch))
    # 5. Returned by the secretariat for supplementation: back with clerk1.
    n5 = new(clerk1, "Hoàng Thị Dung", "individual", "chien_si_thi_dua_bo",
             "Ba năm liên tục đạt Chiến sĩ thi đua cơ sở; sáng kiến cấp Bộ về chuyển đổi số.")
    _step(db, n5, "clerk1", {})
    _step(db, n5, "head1", approve)
    _step(db, n5, "secretary", {"decision": "return", "comment": "Bổ sung quyết định công nhận sáng kiến cấp Bộ."})
    # 6. Waiting for the secretariat's completeness check.
    n6 = new(clerk2, "Phòng Quản lý chất lượng", "collective", "bang_khen_bo_truong",
             "Tập thể dẫn đầu cụm thi đua năm 2026, hoàn thành vượt mức các chỉ tiêu được giao.")
    _step(db, n6, "clerk2", {})
    _step(db, n6, "head2", approve)
    # 7. An order: published for objections (công khai) before the council votes.
    n7 = new(clerk1, "Vũ Đình Khoa", "individual", "huan_chuong_lao_dong_hang_ba",
             "Hơn 30 năm cống hiến cho ngành bưu chính; hai lần Chiến sĩ thi đua toàn quốc.")
    _step(db, n7, "clerk1", {})
    _step(db, n7, "head1", approve)
    _step(db, n7, "secretary", approve)
    # 8. The council's rounds: one closed with its results, one open where four members have voted, and
    # dossiers accepted by the secretariat waiting for the next round (formed on /rounds).
    passed = new(clerk1, "Lý Văn Sơn", "individual", "bang_khen_bo_truong",
                 "Hai năm liên tục hoàn thành xuất sắc nhiệm vụ; sáng kiến số hóa sổ theo dõi bưu gửi.")
    failed = new(clerk2, "Trịnh Thị Yến", "individual", "bang_khen_bo_truong",
                 "Hoàn thành tốt nhiệm vụ năm 2026; tham gia tổ công tác rà soát thủ tục hành chính.")
    second = new(clerk1, "Ngô Thị Mai", "individual", "bang_khen_bo_truong",
                 "Chủ trì chuyển đổi số quy trình tiếp nhận hồ sơ của Cục, rút ngắn một nửa thời gian xử lý.")
    third = new(clerk2, "Phòng Chuyển đổi số", "collective", "tap_the_lao_dong_xuat_sac",
                "Tập thể hai năm liên tục hoàn thành xuất sắc nhiệm vụ, 100% thành viên hoàn thành nhiệm vụ.")
    waiting = [new(clerk1, "Phan Quốc Bảo", "individual", "bang_khen_bo_truong",
                   "Hoàn thành xuất sắc nhiệm vụ năm 2025 và 2026; sáng kiến cấp cơ sở về an toàn thông tin."),
               new(clerk2, "Phòng Hành chính - Tổng hợp", "collective", "tap_the_lao_dong_xuat_sac",
                   "Tập thể hoàn thành xuất sắc nhiệm vụ hai năm liên tục, 80% thành viên đạt Lao động tiên tiến.")]
    for nid, clerk, head in [(passed, "clerk1", "head1"), (failed, "clerk2", "head2"), (second, "clerk1", "head1"),
                             (third, "clerk2", "head2"), (waiting[0], "clerk1", "head1"), (waiting[1], "clerk2", "head2")]:
        _accept(db, nid, clerk, head)
    _demo_rounds(db, closed=[passed, failed], opened=[n3, second, third])


def _demo_pdf(title: str) -> bytes:
    """A one-page PDF whose page says which demo document it stands for (ASCII: the core fonts only)."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\nstartxref\n"
    out += str(xref).encode() + b"\n%%EOF\n"
    return bytes(out)


def _demo_documents(db: Database, clerk: int, nomination_id: int, award_form: str, count: int | None = None) -> None:
    """The documents the award form requires (the first ``count`` of them), so the demo's dossiers submit."""
    names = {"to_trinh": "To trinh de nghi khen thuong", "bao_cao_thanh_tich": "Bao cao thanh tich",
             "bien_ban": "Bien ban hop xet khen thuong", "chung_nhan_sang_kien": "Chung nhan sang kien"}
    for kind in required_documents.required_kinds(award_form)[:count]:
        title = names.get(kind, kind)
        services.add_attachment(db, clerk, nomination_id, f"{attachment_kinds.label(kind)}.pdf", _demo_pdf(title), kind=kind)


def _accept(db: Database, nomination_id: int, clerk: str, head: str) -> None:
    """Submitted, approved by the unit head, accepted by the secretariat: waiting at the round step."""
    _step(db, nomination_id, clerk, {})
    _step(db, nomination_id, head, {"decision": "approve"})
    _step(db, nomination_id, "secretary", {"decision": "approve"})


def _ballot(db: Database, round_id: int, member: str, votes: dict[int, str]) -> None:
    with db.read() as s:
        item = s.scalar(select(TaskItem.id).where(TaskItem.round_id == round_id, TaskItem.state == "ready",
                                                  TaskItem.assignee_id == select(User.id).where(User.username == member)
                                                  .scalar_subquery()))
    services.complete_task(db, _user_id(db, member), item, {"votes": {str(k): v for k, v in votes.items()}})


def _demo_rounds(db: Database, closed: list[int], opened: list[int]) -> None:
    """The chair's passphrase; a round counted (the first dossier passes, the second does not); a round open, 4/9 voted."""
    secretary, chair = _user_id(db, "secretary"), _user_id(db, "minister")
    rounds.set_officer_passphrase(db, chair, DEMO_BALLOT_PASSPHRASE)
    today = clock.now().astimezone(clock.VN_TZ).date()
    first = rounds.create_round(db, secretary, "Đợt 1 năm 2026", today.isoformat(), closed)
    rounds.open_round(db, secretary, first)
    for n, member in enumerate(COUNCIL, 1):
        _ballot(db, first, member, {closed[0]: "agree", closed[1]: "agree" if n <= 3 else "disagree"})
    rounds.close_round(db, chair, first, DEMO_BALLOT_PASSPHRASE)
    now_open = rounds.create_round(db, secretary, "Đợt 2 năm 2026", (today + timedelta(days=14)).isoformat(), opened)
    rounds.open_round(db, secretary, now_open)
    for n, member in enumerate(COUNCIL[:4], 1):
        _ballot(db, now_open, member, {nid: "disagree" if n == 4 and nid == opened[-1] else "agree" for nid in opened})
