"""task claims: a user takes a shared task to work on it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 17:30:00

``task_items`` gets who claimed a shared-role task and since when. The others with the role still
see the row; completing or claiming it meanwhile is a conflict. Self-contained: only this table.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task_items') as batch_op:
        batch_op.add_column(sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(op.f('fk_task_items_claimed_by_id_users'), 'users', ['claimed_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('task_items') as batch_op:
        batch_op.drop_constraint(op.f('fk_task_items_claimed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by_id')
