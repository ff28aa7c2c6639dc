"""reference data as data: fields, emulation blocks and clusters, clusters' leaders; units and users editable

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 17:30:00

``fields`` holds the lĩnh vực a dossier chooses from (the post-merger list is loaded by the reference
loader when the table is empty); ``emulation_blocks`` and ``emulation_clusters`` the khối and cụm thi
đua, ``cluster_leaders`` each cluster's leading unit per year. A unit gets its cluster, ``active``
and ``version``; a user gets ``version`` (admins' edits are optimistic).
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'fields',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fields')),
        sa.UniqueConstraint('name', name=op.f('uq_fields_name')),
    )
    op.create_table(
        'emulation_blocks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_emulation_blocks')),
        sa.UniqueConstraint('code', name=op.f('uq_emulation_blocks_code')),
    )
    op.create_table(
        'emulation_clusters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('block_id', sa.Integer(), nullable=True),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['block_id'], ['emulation_blocks.id'],
                                name=op.f('fk_emulation_clusters_block_id_emulation_blocks')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_emulation_clusters')),
        sa.UniqueConstraint('code', name=op.f('uq_emulation_clusters_code')),
    )
    op.create_table(
        'cluster_leaders',
        sa.Column('cluster_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['cluster_id'], ['emulation_clusters.id'],
                                name=op.f('fk_cluster_leaders_cluster_id_emulation_clusters')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cluster_leaders_unit_id_units')),
        sa.PrimaryKeyConstraint('cluster_id', 'year', name=op.f('pk_cluster_leaders')),
    )
    with op.batch_alter_table('units') as batch_op:
        batch_op.add_column(sa.Column('cluster_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_foreign_key(op.f('fk_units_cluster_id_emulation_clusters'), 'emulation_clusters',
                                    ['cluster_id'], ['id'])
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('version')
    with op.batch_alter_table('units') as batch_op:
        batch_op.drop_constraint(op.f('fk_units_cluster_id_emulation_clusters'), type_='foreignkey')
        batch_op.drop_column('version')
        batch_op.drop_column('active')
        batch_op.drop_column('cluster_id')
    op.drop_table('cluster_leaders')
    op.drop_table('emulation_clusters')
    op.drop_table('emulation_blocks')
    op.drop_table('fields')
