"""batch decisions: one decision (or submission) for many dossiers, its signature and registration as task rows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-15 09:00:00

``decisions`` and ``decision_dossiers`` hold a draft decision or submission with its attached list;
the minister's signature and the clerical office's registration are inbox rows that belong to the
decision (``task_items.decision_id``), so the check on ``task_items`` now keeps exactly one of
nomination, round and decision set. Every awardee of one decision carries its number: the number is
no longer unique per registry row or nomination (it is unique within its year, on the decision, so the
ministry-rows-only unique index of 0007 goes too), and a registry row records its decision (the
registered date is 0007's ``decision_date``).
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ONE_SUBJECT = ("(CASE WHEN nomination_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN round_id IS NULL THEN 0 ELSE 1 END)"
               " + (CASE WHEN decision_id IS NULL THEN 0 ELSE 1 END) = 1")
OLD_ONE_SUBJECT = '(nomination_id IS NULL) <> (round_id IS NULL)'


def upgrade() -> None:
    op.create_table(
        'decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('award_form', sa.String(length=60), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('number', sa.String(length=60), nullable=True),
        sa.Column('year', sa.Integer(), nullable=True),
        sa.Column('registered_date', sa.Date(), nullable=True),
        sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('registered_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('signed_by_id', sa.Integer(), nullable=True),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('close_reason', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
        sa.ForeignKeyConstraint(['award_form'], ['award_forms.code'], name=op.f('fk_decisions_award_form_award_forms')),
        sa.ForeignKeyConstraint(['round_id'], ['council_rounds.id'], name=op.f('fk_decisions_round_id_council_rounds')),
        sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_decisions_registered_by_id_users')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_decisions_created_by_id_users')),
        sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_decisions_signed_by_id_users')),
        sa.ForeignKeyConstraint(['on_behalf_of_id'], ['users.id'], name=op.f('fk_decisions_on_behalf_of_id_users')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_decisions_closed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions')),
        sa.UniqueConstraint('year', 'number', name='uq_decisions_year_number'),
    )
    op.create_index('ix_decisions_state', 'decisions', ['state', 'award_form'])
    op.create_table(
        'decision_dossiers',
        sa.Column('decision_id', sa.Integer(), nullable=False),
        sa.Column('nomination_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_decision_dossiers_decision_id_decisions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['nomination_id'], ['nominations.id'],
                                name=op.f('fk_decision_dossiers_nomination_id_nominations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('decision_id', 'nomination_id', name=op.f('pk_decision_dossiers')),
    )
    op.create_index('ix_decision_dossiers_nomination', 'decision_dossiers', ['nomination_id'])
    with op.batch_alter_table('task_items') as batch_op:
        batch_op.add_column(sa.Column('decision_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_task_items_decision_id_decisions'), 'decisions', ['decision_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index('ix_task_items_decision', ['decision_id', 'state'], unique=False)
        batch_op.drop_constraint(op.f('ck_task_items_one_subject'), type_='check')
        batch_op.create_check_constraint('one_subject', ONE_SUBJECT)
    with op.batch_alter_table('nominations') as batch_op:
        batch_op.drop_constraint(op.f('uq_nominations_decision_number'), type_='unique')
    op.drop_index('uq_award_registry_ministry_number', table_name='award_registry')
    with op.batch_alter_table('award_registry') as batch_op:
        batch_op.add_column(sa.Column('decision_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_award_registry_decision_id_decisions'), 'decisions', ['decision_id'], ['id'])
        batch_op.create_index(op.f('ix_award_registry_decision_id'), ['decision_id'], unique=False)


def downgrade() -> None:
    # Registry rows of one decision share its number: the old uniqueness cannot come back while they exist.
    op.execute("DELETE FROM task_items WHERE decision_id IS NOT NULL")
    op.execute("DELETE FROM award_registry WHERE decision_id IS NOT NULL")
    op.execute("UPDATE nominations SET decision_number = NULL WHERE id IN (SELECT nomination_id FROM decision_dossiers)")
    with op.batch_alter_table('award_registry') as batch_op:
        batch_op.drop_index(op.f('ix_award_registry_decision_id'))
        batch_op.drop_constraint(op.f('fk_award_registry_decision_id_decisions'), type_='foreignkey')
        batch_op.drop_column('decision_id')
    op.create_index('uq_award_registry_ministry_number', 'award_registry', ['decision_number'], unique=True,
                    sqlite_where=sa.text('issuer IS NULL'), postgresql_where=sa.text('issuer IS NULL'))
    with op.batch_alter_table('nominations') as batch_op:
        batch_op.create_unique_constraint(op.f('uq_nominations_decision_number'), ['decision_number'])
    with op.batch_alter_table('task_items') as batch_op:
        batch_op.drop_constraint(op.f('ck_task_items_one_subject'), type_='check')
        batch_op.create_check_constraint('one_subject', OLD_ONE_SUBJECT)
        batch_op.drop_index('ix_task_items_decision')
        batch_op.drop_constraint(op.f('fk_task_items_decision_id_decisions'), type_='foreignkey')
        batch_op.drop_column('decision_id')
    op.drop_index('ix_decision_dossiers_nomination', table_name='decision_dossiers')
    op.drop_table('decision_dossiers')
    op.drop_index('ix_decisions_state', table_name='decisions')
    op.drop_table('decisions')
