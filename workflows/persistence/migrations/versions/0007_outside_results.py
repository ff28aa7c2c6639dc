"""outside results: a dossier submitted above waits for the decision of the Prime Minister or the President

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-15 10:00:00

``nominations`` gets when it was submitted above and what came back; the registry gets the issuing
authority and the decision's date. A decision above the ministry lists many awardees under one
number, so the registry's number is unique among the ministry's own rows only (a partial unique
index, ``issuer IS NULL``), with a plain index to find a decision's awardees. Self-contained: it
touches only these two tables.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('nominations') as batch_op:
        batch_op.add_column(sa.Column('submitted_above_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('outside_result', sa.JSON(), nullable=True))
    with op.batch_alter_table('award_registry') as batch_op:
        batch_op.add_column(sa.Column('issuer', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('decision_date', sa.Date(), nullable=True))
        batch_op.drop_constraint('uq_award_registry_decision_number', type_='unique')
    op.create_index('uq_award_registry_ministry_number', 'award_registry', ['decision_number'], unique=True,
                    sqlite_where=sa.text('issuer IS NULL'), postgresql_where=sa.text('issuer IS NULL'))
    op.create_index('ix_award_registry_decision', 'award_registry', ['issuer', 'decision_number'])


def downgrade() -> None:
    op.drop_index('ix_award_registry_decision', table_name='award_registry')
    op.drop_index('uq_award_registry_ministry_number', table_name='award_registry')
    op.execute("DELETE FROM award_registry WHERE issuer IS NOT NULL")  # numbers shared by many awardees
    with op.batch_alter_table('award_registry') as batch_op:
        batch_op.create_unique_constraint('uq_award_registry_decision_number', ['decision_number'])
        batch_op.drop_column('decision_date')
        batch_op.drop_column('issuer')
    with op.batch_alter_table('nominations') as batch_op:
        batch_op.drop_column('outside_result')
        batch_op.drop_column('submitted_above_at')
