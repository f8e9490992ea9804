"""de-escalation: incidents, advance notifications, clarifications, zones

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pos = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table('deesc_zones',
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=400), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=True),
    sa.Column('geometry', sa.Text(), nullable=False),
    sa.Column('idx', pos, nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('visibility', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('zone', name=op.f('pk_deesc_zones'))
    )
    op.create_table('deesc_incidents',
    sa.Column('idx', pos, autoincrement=False, nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('reported', sa.String(length=32), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('at_precision', sa.String(length=8), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('place_precision_m', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('actors', sa.Text(), nullable=False),
    sa.Column('casualties', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_deesc_incidents'))
    )
    with op.batch_alter_table('deesc_incidents', schema=None) as batch_op:
        batch_op.create_index('ix_deesc_incidents_at', ['at'], unique=False)
    op.create_table('deesc_activities',
    sa.Column('idx', pos, autoincrement=False, nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('notified', sa.String(length=32), nullable=False),
    sa.Column('activity_type', sa.String(length=32), nullable=False),
    sa.Column('start', sa.String(length=32), nullable=False),
    sa.Column('end', sa.String(length=32), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('visibility', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_deesc_activities'))
    )
    with op.batch_alter_table('deesc_activities', schema=None) as batch_op:
        batch_op.create_index('ix_deesc_activities_start', ['start'], unique=False)
        batch_op.create_index('ix_deesc_activities_end', ['end'], unique=False)
    op.create_table('deesc_conflicts',
    sa.Column('activity', pos, autoincrement=False, nullable=False),
    sa.Column('with_kind', sa.String(length=8), nullable=False),
    sa.Column('with_ref', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('activity', 'with_kind', 'with_ref', name=op.f('pk_deesc_conflicts'))
    )
    op.create_table('deesc_clarifications',
    sa.Column('idx', pos, autoincrement=False, nullable=False),
    sa.Column('about', pos, nullable=False),
    sa.Column('about_kind', sa.String(length=10), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('owing', sa.String(length=8), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('due', sa.String(length=32), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answer_lang', sa.String(length=8), nullable=True),
    sa.Column('answered_by', sa.String(length=64), nullable=True),
    sa.Column('answered_idx', pos, nullable=True),
    sa.Column('answered_at', sa.String(length=32), nullable=True),
    sa.Column('visibility', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_deesc_clarifications'))
    )
    with op.batch_alter_table('deesc_clarifications', schema=None) as batch_op:
        batch_op.create_index('ix_deesc_clarifications_about', ['about'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deesc_clarifications', schema=None) as batch_op:
        batch_op.drop_index('ix_deesc_clarifications_about')
    op.drop_table('deesc_clarifications')
    op.drop_table('deesc_conflicts')
    with op.batch_alter_table('deesc_activities', schema=None) as batch_op:
        batch_op.drop_index('ix_deesc_activities_end')
        batch_op.drop_index('ix_deesc_activities_start')
    op.drop_table('deesc_activities')
    with op.batch_alter_table('deesc_incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_deesc_incidents_at')
    op.drop_table('deesc_incidents')
    op.drop_table('deesc_zones')
