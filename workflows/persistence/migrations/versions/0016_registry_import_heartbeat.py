"""registry imports: a heartbeat, so an import whose worker died is taken up again

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 01:50:00

``registry_imports.progress_at`` is when an import last showed life: queued, claimed by a worker, each batch of
rows checked. The scheduler's sweep runs an import queued too long (its Redis job was lost) and queues again one
left running past the worker's time limit (its worker was killed). Imports of earlier versions have none: the
sweep reads a missing heartbeat as the import's creation. Self-contained: it touches only this table.
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('registry_imports') as batch_op:
        batch_op.add_column(sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('registry_imports') as batch_op:
        batch_op.drop_column('progress_at')
