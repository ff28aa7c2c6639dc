"""indexes for the secretariat's waiting lists: the versions still running, the open tasks of one step

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 02:30:00

The rounds and decisions pages list the dossiers waiting at their route's round or decision step. With 100,000
open tasks, finding which versions are still running read every open task (a DISTINCT over them, ~60 ms), and
finding one step's tasks scanned the table (~17 ms). ``ix_nominations_version_state`` makes "is a dossier in
progress on this version?" one probe per deployed version; ``ix_task_items_state_name`` reads one step's open
tasks in their waiting order. Self-contained: indexes only.
"""

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_nominations_version_state', 'nominations', ['process_model_id', 'state'])
    op.create_index('ix_task_items_state_name', 'task_items', ['state', 'name', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_task_items_state_name', table_name='task_items')
    op.drop_index('ix_nominations_version_state', table_name='nominations')
