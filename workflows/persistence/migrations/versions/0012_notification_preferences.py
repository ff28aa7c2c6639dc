"""notification preferences: e-mail per event, a daily digest or none; digests sent once per user and day

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 17:30:00

``users.notify_mode`` (event | digest | none, default event); ``notifications.emailed_at`` marks a
notification whose e-mail went to the outbox (its own or a digest's), so a digest never repeats one;
``notification_digests`` holds one row per user and Vietnamese day, unique, so two schedulers or a
rerun write one digest.
"""

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_mode', sa.String(length=20), server_default='event', nullable=False))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'notification_digests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_digests_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_digests')),
        sa.UniqueConstraint('user_id', 'day', name='uq_notification_digests_user_day'),
    )


def downgrade() -> None:
    op.drop_table('notification_digests')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('emailed_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notify_mode')
