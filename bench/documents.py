"""Document rendering benchmark: seconds to render the vote-count minutes and the award decision as PDF.

Renders ``--rows`` dossiers (minutes, 9 members) and ``--rows`` awardees (decision's attached list) with
Vietnamese names, ``--repeat`` times each after one warm-up render (which loads Pango and the fonts), and ends
with one line of JSON: the best and median seconds per document, its pages and its size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import date, datetime

from workflows.documents import Attendance, Awardee, Decision, DossierTally, Member, Minutes, Signer, decision_pdf, minutes_pdf

NAMES = ("Nguyễn Thị Hồng Nhung", "Trịnh Văn Bảo", "Phạm Quỳnh Anh", "Đặng Thị Ngọc Hằng", "Vũ Hoàng Yến",
         "Lê Quốc Việt", "Hoàng Thị Thùy Dương", "Bùi Xuân Trường", "Ngô Thị Ánh Tuyết")


def sample_minutes(rows: int) -> Minutes:
    kinds = [Attendance.MEETING] * 6 + [Attendance.WRITTEN] * 2 + [Attendance.ABSENT]
    members = tuple(Member(n, "Chủ tịch Hội đồng" if i == 0 else "Ủy viên", k, "Vụ trưởng")
                    for i, (n, k) in enumerate(zip(NAMES, kinds, strict=True)))
    dossiers = tuple(DossierTally(f"{NAMES[i % 9]} {i + 1}", "Viện Năng lượng nguyên tử Việt Nam", "Bằng khen của Bộ trưởng",
                                  8 - i % 3, i % 3, "≥ 80 % tổng số thành viên", i % 3 == 0) for i in range(rows))
    return Minutes("BỘ KHOA HỌC VÀ CÔNG NGHỆ", "Hội đồng Thi đua - Khen thưởng", "Xét tặng Bằng khen năm 2026",
                   date(2026, 12, 5), datetime(2026, 12, 4, 17), "Hà Nội", members, 6, dossiers, NAMES[1], NAMES[4])


def sample_decision(rows: int) -> Decision:
    awardees = tuple(Awardee(f"{NAMES[i % 9]} {i + 1}", "Cục Sở hữu trí tuệ", "Hoàn thành xuất sắc nhiệm vụ năm 2025, "
                             "có sáng kiến được công nhận cấp Bộ", "Chuyên viên chính", collective=i >= rows * 9 // 10)
                     for i in range(rows))
    return Decision("BỘ KHOA HỌC VÀ CÔNG NGHỆ", "BỘ TRƯỞNG BỘ KHOA HỌC VÀ CÔNG NGHỆ",
                    "Bằng khen của Bộ trưởng Bộ Khoa học và Công nghệ", ("Căn cứ Luật Thi đua, khen thưởng;",),
                    awardees, Signer(NAMES[2], "THỨ TRƯỞNG", on_behalf_of="BỘ TRƯỞNG"), ("Như Điều 3;", "Lưu: VT, TCCB."))


def pages(pdf: bytes) -> int | None:
    try:
        info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return None
    return next((int(line.split()[1]) for line in info.splitlines() if line.startswith("Pages:")), None)


def measure(render, data, repeat: int) -> dict:
    pdf = render(data)  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        render(data)
        times.append(time.perf_counter() - started)
    return {"best_s": round(min(times), 3), "median_s": round(statistics.median(times), 3),
            "pages": pages(pdf), "bytes": len(pdf)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    result = {"rows": args.rows, "repeat": args.repeat,
              "minutes": measure(minutes_pdf, sample_minutes(args.rows), args.repeat),
              "decision": measure(decision_pdf, sample_decision(args.rows), args.repeat)}
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
