"""users: a temporary password must be changed before anything else

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 02:10:00

``users.must_change_password`` is set when an admin creates an account or resets its password (the admin saw
the temporary password, the user must make one only they know) and cleared when the user changes it. Accounts
of earlier versions chose their passwords through the operator's command: false. Self-contained.
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('must_change_password')
