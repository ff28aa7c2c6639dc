"""Schema upgrade (Alembic), reference data and route deployment in one call."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from workflows.persistence import reference, versions
from workflows.persistence.db import Database

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "workflows" / "persistence" / "migrations"))
    return cfg


def upgrade(db: Database) -> tuple[int, bool]:
    """Bring the schema to head, add missing reference data, deploy the bundled route.

    Returns the route's process-model version and whether it was newly deployed.
    """
    cfg = alembic_config()
    with db.engine.connect() as connection:
        if db.is_sqlite:
            # Batch migrations copy a table, drop it and rename the copy; with foreign keys enforced, dropping a
            # table that others reference (process_models, nominations) fails. The pragma only takes effect
            # outside a transaction, so it goes straight to the driver before SQLAlchemy begins one.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
                if db.is_sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left rows whose foreign keys point nowhere: {broken[:5]}")
        finally:
            if db.is_sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
    with db.write() as session:
        reference.ensure_reference_data(session)
        pm, new = versions.deploy_bundled_routes(session)
        return pm.version, new
