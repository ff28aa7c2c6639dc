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
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    with db.write() as session:
        reference.ensure_reference_data(session)
        pm, new = versions.deploy_bundled_routes(session)
        return pm.version, new
