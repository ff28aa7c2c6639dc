"""the council's rounds: officers' keys, rounds, their members, dossiers and encrypted ballot box; a ballot task row

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:30:00

A member's one ballot of a round is an inbox row (``task_items``) that belongs to the round, not to
a nomination: ``nomination_id`` becomes nullable, ``round_id`` is added, and a check keeps exactly
one of them set.
"""

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        'officer_keys',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('public_key', sa.LargeBinary(), nullable=False),
        sa.Column('sealed_secret', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_officer_keys_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_officer_keys')),
    )
    op.create_table(
        'council_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('meeting_date', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('voting_days', sa.Integer(), nullable=False),
        sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('public_key', sa.LargeBinary(), nullable=True),
        sa.Column('members_called', sa.Integer(), nullable=True),
        sa.Column('ballots_cast', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('box_head', sa.String(length=64), nullable=False, server_default=GENESIS),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_council_rounds_created_by_id_users')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_council_rounds_closed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_council_rounds')),
    )
    op.create_index('ix_council_rounds_state_deadline', 'council_rounds', ['state', 'deadline_at'])
    op.create_table(
        'round_sealed_keys',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=False),
        sa.Column('sealed', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['council_rounds.id'], name=op.f('fk_round_sealed_keys_round_id_council_rounds'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_round_sealed_keys_officer_id_users')),
        sa.PrimaryKeyConstraint('round_id', 'officer_id', name=op.f('pk_round_sealed_keys')),
    )
    op.create_table(
        'round_members',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('voted', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(['round_id'], ['council_rounds.id'], name=op.f('fk_round_members_round_id_council_rounds'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_round_members_user_id_users')),
        sa.PrimaryKeyConstraint('round_id', 'user_id', name=op.f('pk_round_members')),
    )
    op.create_table(
        'round_dossiers',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('nomination_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('encrypted_total', sa.LargeBinary(), nullable=True),
        sa.Column('agree', sa.Integer(), nullable=True),
        sa.Column('proof', sa.Text(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['round_id'], ['council_rounds.id'], name=op.f('fk_round_dossiers_round_id_council_rounds'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['nomination_id'], ['nominations.id'], name=op.f('fk_round_dossiers_nomination_id_nominations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('round_id', 'nomination_id', name=op.f('pk_round_dossiers')),
    )
    op.create_index('ix_round_dossiers_nomination', 'round_dossiers', ['nomination_id'])
    op.create_table(
        'round_ballots',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('ciphertexts', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['council_rounds.id'], name=op.f('fk_round_ballots_round_id_council_rounds'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_round_ballots')),
        sa.UniqueConstraint('hash', name=op.f('uq_round_ballots_hash')),
        sa.UniqueConstraint('round_id', 'seq', name='uq_round_ballots_round_seq'),
    )
    with op.batch_alter_table('task_items') as batch_op:
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch_op.alter_column('nomination_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(op.f('fk_task_items_round_id_council_rounds'), 'council_rounds', ['round_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index('ix_task_items_round', ['round_id', 'state'], unique=False)
        batch_op.create_check_constraint('one_subject', '(nomination_id IS NULL) <> (round_id IS NULL)')


def downgrade() -> None:
    op.execute("DELETE FROM task_items WHERE round_id IS NOT NULL")
    with op.batch_alter_table('task_items') as batch_op:
        batch_op.drop_constraint(op.f('ck_task_items_one_subject'), type_='check')
        batch_op.drop_index('ix_task_items_round')
        batch_op.drop_constraint(op.f('fk_task_items_round_id_council_rounds'), type_='foreignkey')
        batch_op.alter_column('nomination_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('round_id')
    op.drop_table('round_ballots')
    op.drop_index('ix_round_dossiers_nomination', table_name='round_dossiers')
    op.drop_table('round_dossiers')
    op.drop_table('round_members')
    op.drop_table('round_sealed_keys')
    op.drop_index('ix_council_rounds_state_deadline', table_name='council_rounds')
    op.drop_table('council_rounds')
    op.drop_table('officer_keys')
