"""inbox and lists: a folded search column on nominations, the indexes of the lists' keyset orders

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20 09:00:00

``nominations.search_text`` is the nominee's name without diacritics or case
(:func:`workflows.domain.folding.fold`), written by the model whenever the name is; existing rows are
folded here in Python (the same function, so SQLite and PostgreSQL hold the same text). The indexes
serve the inbox's orders (earliest due, longest waiting) and the nominations list's (newest change,
per unit, by name) as range scans from a cursor.
"""

import sqlalchemy as sa
from alembic import op

from workflows.domain.folding import fold

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('nominations') as batch:
        batch.add_column(sa.Column('search_text', sa.String(length=255), nullable=True))
    conn = op.get_bind()
    nominations = sa.table('nominations', sa.column('id', sa.Integer), sa.column('nominee_name', sa.String),
                           sa.column('search_text', sa.String))
    last = 0
    while True:
        rows = conn.execute(sa.select(nominations.c.id, nominations.c.nominee_name).where(nominations.c.id > last)
                            .order_by(nominations.c.id).limit(BATCH)).all()
        if not rows:
            break
        conn.execute(nominations.update().where(nominations.c.id == sa.bindparam('nid'))
                     .values(search_text=sa.bindparam('folded')),
                     [{'nid': r.id, 'folded': fold(r.nominee_name)} for r in rows])
        last = rows[-1].id
    op.create_index('ix_nominations_updated', 'nominations', ['updated_at', 'id'])
    op.create_index('ix_nominations_unit_updated', 'nominations', ['unit_id', 'updated_at', 'id'])
    op.create_index('ix_nominations_search_text', 'nominations', ['search_text', 'id'])
    op.create_index('ix_task_items_state_due', 'task_items', ['state', 'due_at', 'id'])
    op.create_index('ix_task_items_state_created', 'task_items', ['state', 'created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_task_items_state_created', table_name='task_items')
    op.drop_index('ix_task_items_state_due', table_name='task_items')
    op.drop_index('ix_nominations_search_text', table_name='nominations')
    op.drop_index('ix_nominations_unit_updated', table_name='nominations')
    op.drop_index('ix_nominations_updated', table_name='nominations')
    with op.batch_alter_table('nominations') as batch:
        batch.drop_column('search_text')
