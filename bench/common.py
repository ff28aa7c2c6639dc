"""What the benchmarks share: a throwaway PostgreSQL database and a sample dossier."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from workflows import services
from workflows.persistence import migrate
from workflows.persistence.db import Database
from workflows.persistence.required_documents import required_kinds

DOSSIER = {
    "nominee_name": "Nguyễn Văn Bench",
    "nominee_kind": "individual",
    "award_form": "bang_khen_bo_truong",
    "year": 2026,
    "nominee_position": "Chuyên viên",
    "movement": "Phong trào thi đua yêu nước năm 2026",
    "field": "Bưu chính",
    "achievements": "Hoàn thành xuất sắc nhiệm vụ năm 2025 và 2026; hai sáng kiến cấp cơ sở được công nhận.",
}


# The route as it was before batch decisions: the minister signs each dossier, which ends it "awarded"
# (what the lifecycle benchmarks measure step by step; a batch decision is one command for many dossiers).
PER_DOSSIER_ROUTE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "nomination_per_dossier_ballot.bpmn"


# The smallest file the content check takes for a PDF.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def attach_documents(db: Database, clerk: int, nomination_id: int, award_form: str | None = None) -> None:
    """The documents the award form requires (checked when the draft is submitted), one small PDF each."""
    for kind in required_kinds(award_form or DOSSIER["award_form"]):
        services.add_attachment(db, clerk, nomination_id, f"{kind}.pdf", PDF, kind=kind)


def deploy_per_dossier_route(db: Database) -> None:
    """Deploy the route signed per dossier as the latest version (new nominations run on it)."""
    from workflows.persistence import versions

    with db.write() as s:
        versions.deploy(s, versions.current_bundle(s, PER_DOSSIER_ROUTE.read_text(encoding="utf-8")))


@contextmanager
def fresh_database(admin_url: str, name: str) -> Iterator[Database]:
    """Database ``name`` on the server of ``admin_url``, at the schema's head with the bundled route."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def recreate(create: bool) -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if create:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")

    recreate(create=True)
    db = Database(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        migrate.upgrade(db)
        yield db
    finally:
        db.dispose()
        recreate(create=False)
        admin.dispose()
