"""inbox and lists: folded search column and terms of nominee names, the indexes of the lists' keyset orders

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20 09:00:00

``nominations.search_text`` is the nominee's name without diacritics or case
(:func:`workflows.domain.folding.fold`), written by the model whenever the name is, and
``nomination_terms`` its suffixes from each word (what a search range-scans,
:mod:`workflows.persistence.search_model`); existing rows are folded here in Python (the same
functions, so SQLite and PostgreSQL hold the same text). The indexes
serve the inbox's orders (earliest due, longest waiting) and the nominations list's (newest change,
per unit, by name) as range scans from a cursor.
"""

import sqlalchemy as sa
from alembic import op

from workflows.domain.folding import fold
from workflows.persistence.search_model import terms

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    # Plain ALTERs, not batch mode: on SQLite a batch copies and drops the table, and dropping nominations
    # with foreign keys on cascades to every task row, state and audit event.
    op.add_column('nominations', sa.Column('search_text', sa.String(length=255), nullable=True))
    op.create_table(
        'nomination_terms',
        sa.Column('term', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'),
                  nullable=False),
        sa.Column('nomination_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['nomination_id'], ['nominations.id'], ondelete='CASCADE',
                                name=op.f('fk_nomination_terms_nomination_id_nominations')),
        sa.PrimaryKeyConstraint('term', 'nomination_id', name=op.f('pk_nomination_terms')),
    )
    op.create_index('ix_nomination_terms_nomination', 'nomination_terms', ['nomination_id'])
    conn = op.get_bind()
    term_rows = sa.table('nomination_terms', sa.column('term', sa.String), sa.column('nomination_id', sa.Integer))
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
        found = [{'term': t, 'nomination_id': r.id} for r in rows for t in terms(r.nominee_name)]
        if found:
            conn.execute(term_rows.insert(), found)
        last = rows[-1].id
    op.create_index('ix_nominations_updated', 'nominations', ['updated_at', 'id'])
    op.create_index('ix_nominations_unit_updated', 'nominations', ['unit_id', 'updated_at', 'id'])
    op.create_index('ix_nominations_search_text', 'nominations', ['search_text', 'id'])
    op.create_index('ix_task_items_state_due', 'task_items', ['state', 'due_at', 'id'])
    op.create_index('ix_task_items_state_created', 'task_items', ['state', 'created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_task_items_state_created', table_name='task_items')
    op.drop_index('ix_task_items_state_due', table_name='task_items')
    op.drop_index('ix_nomination_terms_nomination', table_name='nomination_terms')
    op.drop_table('nomination_terms')
    op.drop_index('ix_nominations_search_text', table_name='nominations')
    op.drop_index('ix_nominations_unit_updated', table_name='nominations')
    op.drop_index('ix_nominations_updated', table_name='nominations')
    op.drop_column('nominations', 'search_text')  # SQLite 3.35+ drops a column in place
