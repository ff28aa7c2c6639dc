"""delegation of signing and absences: windows in which someone acts for someone else

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-20 09:00:00

``signing_delegations`` (the minister's signature tasks, of chosen award forms, for a deputy minister) and
``absences`` (an approver's tasks for a substitute of the same role and unit), both windows of days in
Vietnam's calendar. ``task_items.award_form`` names the award form of a dossier's or decision's task, so a
delegation limited to some forms is checked from the row alone, in SQL and in Python; existing rows take it
from their nomination or decision.
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _audited(name: str) -> list:
    return [
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column(f'{name}_by_id', sa.Integer(), nullable=True),
        sa.Column(f'{name}_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
    ]


def upgrade() -> None:
    op.create_table(
        'signing_delegations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('minister_id', sa.Integer(), nullable=False),
        sa.Column('deputy_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('award_forms', sa.JSON(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        *_audited('revoked'),
        sa.ForeignKeyConstraint(['minister_id'], ['users.id'], name=op.f('fk_signing_delegations_minister_id_users')),
        sa.ForeignKeyConstraint(['deputy_id'], ['users.id'], name=op.f('fk_signing_delegations_deputy_id_users')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_signing_delegations_created_by_id_users')),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_signing_delegations_revoked_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_delegations')),
    )
    op.create_index('ix_signing_delegations_deputy', 'signing_delegations', ['deputy_id', 'ends_on'])
    op.create_index('ix_signing_delegations_minister', 'signing_delegations', ['minister_id', 'ends_on'])
    op.create_table(
        'absences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('substitute_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        *_audited('cancelled'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_absences_user_id_users')),
        sa.ForeignKeyConstraint(['substitute_id'], ['users.id'], name=op.f('fk_absences_substitute_id_users')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_absences_unit_id_units')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_absences_created_by_id_users')),
        sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_absences_cancelled_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_absences')),
    )
    op.create_index('ix_absences_substitute', 'absences', ['substitute_id', 'ends_on'])
    op.create_index('ix_absences_user', 'absences', ['user_id', 'ends_on'])
    with op.batch_alter_table('task_items') as batch_op:
        batch_op.add_column(sa.Column('award_form', sa.String(length=60), nullable=True))
    op.execute("UPDATE task_items SET award_form = (SELECT award_form FROM nominations WHERE nominations.id = "
               "task_items.nomination_id) WHERE nomination_id IS NOT NULL")
    op.execute("UPDATE task_items SET award_form = (SELECT award_form FROM decisions WHERE decisions.id = "
               "task_items.decision_id) WHERE decision_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('task_items') as batch_op:
        batch_op.drop_column('award_form')
    op.drop_index('ix_absences_user', table_name='absences')
    op.drop_index('ix_absences_substitute', table_name='absences')
    op.drop_table('absences')
    op.drop_index('ix_signing_delegations_minister', table_name='signing_delegations')
    op.drop_index('ix_signing_delegations_deputy', table_name='signing_delegations')
    op.drop_table('signing_delegations')
