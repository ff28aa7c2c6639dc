"""version bundles pin their DMN decision tables; a nomination keeps the date it was submitted

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:00:00

``process_models.decisions`` holds a bundle's DMN files (name -> XML); versions deployed before keep
NULL and run on the rule tables they pinned. ``nominations.submitted_at`` is when the unit head
approved the dossier and it went to the secretariat (the date that picks the rule set); for
dossiers already past that step it is read from their audit chain (the unit head's first approval).
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_models') as batch_op:
        batch_op.add_column(sa.Column('decisions', sa.JSON(), nullable=True))
    with op.batch_alter_table('nominations') as batch_op:
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE nominations SET submitted_at = (SELECT MIN(e.at) FROM audit_events e"
               " WHERE e.nomination_id = nominations.id AND e.action = 'approve' AND e.role = 'unit_head')")


def downgrade() -> None:
    with op.batch_alter_table('nominations') as batch_op:
        batch_op.drop_column('submitted_at')
    with op.batch_alter_table('process_models') as batch_op:
        batch_op.drop_column('decisions')
