"""understandings: status, milestones, verification reports, links

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('understandings',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=8), nullable=False),
    sa.Column('texts', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('stated_by', sa.String(length=8), nullable=True),
    sa.Column('parties', sa.String(length=200), nullable=False),
    sa.Column('workstream', sa.String(length=32), nullable=True),
    sa.Column('recorded_idx', _position(), nullable=False),
    sa.Column('recorded_at', sa.String(length=32), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_idx', _position(), nullable=True),
    sa.Column('status_at', sa.String(length=32), nullable=True),
    sa.Column('start_on', sa.String(length=10), nullable=True),
    sa.Column('end_on', sa.String(length=10), nullable=True),
    sa.Column('last_idx', _position(), nullable=False),
    sa.Column('last_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_understandings'))
    )

    op.create_table('understanding_statuses',
    sa.Column('idx', _position(), nullable=False),
    sa.Column('understanding', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_understanding_statuses'))
    )
    with op.batch_alter_table('understanding_statuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_understanding_statuses_understanding'), ['understanding'], unique=False)

    op.create_table('understanding_timelines',
    sa.Column('idx', _position(), nullable=False),
    sa.Column('understanding', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('start_on', sa.String(length=10), nullable=True),
    sa.Column('end_on', sa.String(length=10), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_understanding_timelines'))
    )
    with op.batch_alter_table('understanding_timelines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_understanding_timelines_understanding'), ['understanding'], unique=False)

    op.create_table('understanding_milestones',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('understanding', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('parties', sa.String(length=200), nullable=False),
    sa.Column('due', sa.String(length=32), nullable=False),
    sa.Column('clock_idx', _position(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('set_idx', _position(), nullable=False),
    sa.Column('set_at', sa.String(length=32), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('closed_idx', _position(), nullable=True),
    sa.Column('closed_at', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_understanding_milestones'))
    )
    with op.batch_alter_table('understanding_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_understanding_milestones_understanding'), ['understanding'], unique=False)

    op.create_table('understanding_milestone_events',
    sa.Column('idx', _position(), nullable=False),
    sa.Column('milestone', sa.String(length=32), nullable=False),
    sa.Column('understanding', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('due', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', 'milestone', name=op.f('pk_understanding_milestone_events'))
    )
    with op.batch_alter_table('understanding_milestone_events', schema=None) as batch_op:
        batch_op.create_index('ix_understanding_milestone_events_m', ['milestone'], unique=False)

    op.create_table('understanding_verifications',
    sa.Column('idx', _position(), nullable=False),
    sa.Column('understanding', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('assessment', sa.String(length=16), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_understanding_verifications'))
    )
    with op.batch_alter_table('understanding_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_understanding_verifications_understanding'), ['understanding'], unique=False)

    op.create_table('understanding_links',
    sa.Column('idx', _position(), nullable=False),
    sa.Column('understanding', sa.String(length=64), nullable=False),
    sa.Column('entry', _position(), nullable=False),
    sa.Column('entry_kind', sa.String(length=64), nullable=False),
    sa.Column('entry_subject', sa.String(length=128), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('visibility', sa.String(length=200), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_understanding_links'))
    )
    with op.batch_alter_table('understanding_links', schema=None) as batch_op:
        batch_op.create_index('ix_understanding_links_entry', ['understanding', 'entry'], unique=True)
        batch_op.create_index(batch_op.f('ix_understanding_links_understanding'), ['understanding'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('understanding_links', schema=None) as batch_op:
        batch_op.drop_index('ix_understanding_links_entry')
        batch_op.drop_index(batch_op.f('ix_understanding_links_understanding'))
    op.drop_table('understanding_links')

    with op.batch_alter_table('understanding_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_understanding_verifications_understanding'))
    op.drop_table('understanding_verifications')

    with op.batch_alter_table('understanding_milestone_events', schema=None) as batch_op:
        batch_op.drop_index('ix_understanding_milestone_events_m')
    op.drop_table('understanding_milestone_events')

    with op.batch_alter_table('understanding_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_understanding_milestones_understanding'))
    op.drop_table('understanding_milestones')

    with op.batch_alter_table('understanding_timelines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_understanding_timelines_understanding'))
    op.drop_table('understanding_timelines')

    with op.batch_alter_table('understanding_statuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_understanding_statuses_understanding'))
    op.drop_table('understanding_statuses')

    op.drop_table('understandings')
