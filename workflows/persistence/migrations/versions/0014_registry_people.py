"""the award registry knows people: persons, collectives, awards held, ratings, initiatives, holds, CSV imports

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 17:30:00

A nomination may name the registry's person or collective it proposes (``nominations.person_id`` /
``collective_id``, NULL for dossiers proposed by name only) and keeps its last eligibility check
(``nominations.eligibility``), whose met branch names the initiatives it used (one initiative counts once).
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

ONE_OF = "(CASE WHEN person_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN collective_id IS NULL THEN 0 ELSE 1 END) = 1"


def _pk(table):
    return sa.PrimaryKeyConstraint('id', name=f'pk_{table}')


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [target], name=f'fk_{table}_{column}_{target.split(".")[0]}')


def _subject(table):
    """The person or collective columns, their keys and the check that exactly one is set."""
    return [sa.Column('person_id', sa.Integer(), nullable=True), sa.Column('collective_id', sa.Integer(), nullable=True),
            _fk(table, 'person_id', 'registry_persons.id'), _fk(table, 'collective_id', 'registry_collectives.id'),
            sa.CheckConstraint(ONE_OF, name='one_subject')]


def _natural_key(table, length=400):
    return [sa.Column('natural_key', sa.String(length=length), nullable=False),
            sa.UniqueConstraint('natural_key', name=f'uq_{table}_natural_key')]


def _subject_indexes(table):
    op.create_index(f'ix_{table}_person_id', table, ['person_id'])
    op.create_index(f'ix_{table}_collective_id', table, ['collective_id'])


def upgrade() -> None:
    op.create_table(
        'registry_persons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('full_name', sa.String(length=255), nullable=False),
        sa.Column('name_key', sa.String(length=255), nullable=False),
        sa.Column('birth_date', sa.Date(), nullable=True),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.String(length=40), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _fk('registry_persons', 'unit_id', 'units.id'), _pk('registry_persons'),
        sa.UniqueConstraint('staff_id', name='uq_registry_persons_staff_id'),
        *_natural_key('registry_persons'),
    )
    op.create_index('ix_registry_persons_name_key', 'registry_persons', ['name_key'])
    op.create_index('ix_registry_persons_unit_id', 'registry_persons', ['unit_id'])
    op.create_table(
        'registry_collectives',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('name_key', sa.String(length=255), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _fk('registry_collectives', 'unit_id', 'units.id'), _pk('registry_collectives'),
        *_natural_key('registry_collectives'),
    )
    op.create_index('ix_registry_collectives_name_key', 'registry_collectives', ['name_key'])
    op.create_index('ix_registry_collectives_unit_id', 'registry_collectives', ['unit_id'])
    op.create_table(
        'registry_awards',
        sa.Column('id', sa.Integer(), nullable=False),
        *_subject('registry_awards'),
        sa.Column('award_form', sa.String(length=60), nullable=True),
        sa.Column('award_name', sa.String(length=255), nullable=True),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('decision_number', sa.String(length=60), nullable=True),
        sa.Column('decision_date', sa.Date(), nullable=True),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('award_record_id', sa.Integer(), nullable=True),
        _fk('registry_awards', 'award_form', 'award_forms.code'),
        _fk('registry_awards', 'award_record_id', 'award_registry.id'),
        sa.UniqueConstraint('award_record_id', name='uq_registry_awards_award_record_id'),
        _pk('registry_awards'), *_natural_key('registry_awards'),
    )
    _subject_indexes('registry_awards')
    op.create_table(
        'registry_ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        *_subject('registry_ratings'),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('rating', sa.String(length=30), nullable=False),
        _pk('registry_ratings'), *_natural_key('registry_ratings'),
    )
    _subject_indexes('registry_ratings')
    op.create_table(
        'registry_initiatives',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=20), nullable=False),
        _fk('registry_initiatives', 'person_id', 'registry_persons.id'),
        _pk('registry_initiatives'), *_natural_key('registry_initiatives', 600),
    )
    op.create_index('ix_registry_initiatives_person_id', 'registry_initiatives', ['person_id'])
    op.create_table(
        'registry_holds',
        sa.Column('id', sa.Integer(), nullable=False),
        *_subject('registry_holds'),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        _pk('registry_holds'), *_natural_key('registry_holds'),
    )
    _subject_indexes('registry_holds')
    op.create_table(
        'registry_imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('total_rows', sa.Integer(), nullable=False),
        sa.Column('done_rows', sa.Integer(), nullable=False),
        sa.Column('errors', sa.JSON(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        _fk('registry_imports', 'created_by_id', 'users.id'), _pk('registry_imports'),
    )
    op.create_index('ix_registry_imports_created', 'registry_imports', ['created_at'])
    with op.batch_alter_table('nominations') as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('collective_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('eligibility', sa.JSON(), nullable=True))
        batch_op.create_foreign_key('fk_nominations_person_id_registry_persons', 'registry_persons', ['person_id'], ['id'])
        batch_op.create_foreign_key('fk_nominations_collective_id_registry_collectives', 'registry_collectives',
                                    ['collective_id'], ['id'])
        batch_op.create_index('ix_nominations_person_id', ['person_id'])
        batch_op.create_index('ix_nominations_collective_id', ['collective_id'])


def downgrade() -> None:
    with op.batch_alter_table('nominations') as batch_op:
        batch_op.drop_index('ix_nominations_collective_id')
        batch_op.drop_index('ix_nominations_person_id')
        batch_op.drop_constraint('fk_nominations_collective_id_registry_collectives', type_='foreignkey')
        batch_op.drop_constraint('fk_nominations_person_id_registry_persons', type_='foreignkey')
        batch_op.drop_column('eligibility')
        batch_op.drop_column('collective_id')
        batch_op.drop_column('person_id')
    for table in ('registry_imports', 'registry_holds', 'registry_initiatives', 'registry_ratings', 'registry_awards',
                  'registry_collectives', 'registry_persons'):
        op.drop_table(table)
