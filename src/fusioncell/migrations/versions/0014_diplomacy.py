"""diplomacy: rounds, meetings, follow-up items

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('diplomacy_rounds',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('parties', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('recorded_idx', _position(), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('start', sa.String(length=10), nullable=True),
    sa.Column('end', sa.String(length=10), nullable=True),
    sa.Column('delegations', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('follows', sa.String(length=64), nullable=True),
    sa.Column('next_state', sa.String(length=16), nullable=False),
    sa.Column('next_date', sa.String(length=10), nullable=True),
    sa.Column('next_round', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('last_idx', _position(), nullable=False),
    sa.Column('last_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diplomacy_rounds'))
    )
    with op.batch_alter_table('diplomacy_rounds', schema=None) as batch_op:
        batch_op.create_index('ix_diplomacy_rounds_follows', ['follows'], unique=False)

    op.create_table('diplomacy_meetings',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round', sa.String(length=64), nullable=False),
    sa.Column('parties', sa.String(length=200), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('idx', _position(), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('start_local', sa.String(length=16), nullable=False),
    sa.Column('end_local', sa.String(length=16), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('start_utc', sa.String(length=32), nullable=False),
    sa.Column('end_utc', sa.String(length=32), nullable=False),
    sa.Column('delegations', sa.Text(), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diplomacy_meetings'))
    )
    with op.batch_alter_table('diplomacy_meetings', schema=None) as batch_op:
        batch_op.create_index('ix_diplomacy_meetings_round', ['round', 'start_utc'], unique=False)

    op.create_table('diplomacy_minutes',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('meeting', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_diplomacy_minutes'))
    )
    with op.batch_alter_table('diplomacy_minutes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diplomacy_minutes_meeting'), ['meeting'], unique=False)

    op.create_table('diplomacy_outcomes',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('meeting', sa.String(length=32), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_diplomacy_outcomes'))
    )
    with op.batch_alter_table('diplomacy_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diplomacy_outcomes_meeting'), ['meeting'], unique=False)

    op.create_table('diplomacy_followups',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('meeting', sa.String(length=32), nullable=False),
    sa.Column('round', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('due', sa.String(length=10), nullable=True),
    sa.Column('added_idx', _position(), nullable=False),
    sa.Column('added_at', sa.String(length=32), nullable=False),
    sa.Column('added_by', sa.String(length=64), nullable=False),
    sa.Column('closed_idx', _position(), nullable=True),
    sa.Column('closed_at', sa.String(length=32), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('closed_party', sa.String(length=8), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('note_lang', sa.String(length=8), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diplomacy_followups'))
    )
    with op.batch_alter_table('diplomacy_followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diplomacy_followups_meeting'), ['meeting'], unique=False)
        batch_op.create_index(batch_op.f('ix_diplomacy_followups_round'), ['round'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('diplomacy_followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diplomacy_followups_round'))
        batch_op.drop_index(batch_op.f('ix_diplomacy_followups_meeting'))

    op.drop_table('diplomacy_followups')
    for table in ('diplomacy_outcomes', 'diplomacy_minutes'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_meeting'))

        op.drop_table(table)
    with op.batch_alter_table('diplomacy_meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_diplomacy_meetings_round')

    op.drop_table('diplomacy_meetings')
    with op.batch_alter_table('diplomacy_rounds', schema=None) as batch_op:
        batch_op.drop_index('ix_diplomacy_rounds_follows')

    op.drop_table('diplomacy_rounds')
