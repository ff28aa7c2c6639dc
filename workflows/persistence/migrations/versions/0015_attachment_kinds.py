"""attachment kinds: what each file is to the dossier (tờ trình, báo cáo thành tích, biên bản, …)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 17:40:00

``attachments.kind`` names the document a file is, so a submission can check the documents its award form
requires. Files uploaded before it are "khac" (other): the server default backfills them, and nothing guesses
a kind from a file name. Self-contained: it touches only this table.
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=40), nullable=False, server_default='khac'))


def downgrade() -> None:
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.drop_column('kind')
