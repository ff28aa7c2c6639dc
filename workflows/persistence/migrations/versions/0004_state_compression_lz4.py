"""instance state compressed with lz4 on PostgreSQL (faster to write and read than pglz)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:45:00

Every step rewrites a nomination's ~20 KiB serialized workflow; PostgreSQL compresses it when it
moves the value out of line, and lz4 does that in about a third less time than the default pglz
(measured: 0.95 vs 1.28 ms for an UPDATE and its commit). Values already stored keep their
compression until next written. Skipped where the server was built without lz4, and on SQLite.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _lz4_available() -> bool:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql" or conn.dialect.server_version_info < (14,):
        return False
    return bool(conn.execute(sa.text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")).scalar())


def upgrade() -> None:
    if _lz4_available():
        op.execute("ALTER TABLE instance_states ALTER COLUMN state SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4_available():
        op.execute("ALTER TABLE instance_states ALTER COLUMN state SET COMPRESSION pglz")
