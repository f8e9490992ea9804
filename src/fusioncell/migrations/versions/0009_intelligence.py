"""intelligence: reports, requests for information, corroboration, openings

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('intel_reports',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('issued_idx', POSITION, nullable=False),
    sa.Column('issued_at', sa.String(length=32), nullable=False),
    sa.Column('releasability', sa.String(length=200), nullable=False),
    sa.Column('summary_vis', sa.String(length=200), nullable=True),
    sa.Column('summary_idx', POSITION, nullable=True),
    sa.Column('summary_title', sa.Text(), nullable=True),
    sa.Column('summary_text', sa.Text(), nullable=True),
    sa.Column('summary_lang', sa.String(length=8), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('current_idx', POSITION, nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.Column('last_idx', POSITION, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_reports'))
    )
    op.create_table('intel_versions',
    sa.Column('idx', POSITION, autoincrement=False, nullable=False),
    sa.Column('report', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('window_start', sa.String(length=32), nullable=False),
    sa.Column('window_end', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=1), nullable=False),
    sa.Column('info', sa.Integer(), nullable=False),
    sa.Column('places', sa.Text(), nullable=False),
    sa.Column('attachments', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_intel_versions'))
    )
    with op.batch_alter_table('intel_versions', schema=None) as batch_op:
        batch_op.create_index('ix_intel_versions_report', ['report', 'version'], unique=False)

    op.create_table('intel_releases',
    sa.Column('idx', POSITION, autoincrement=False, nullable=False),
    sa.Column('report', sa.String(length=32), nullable=False),
    sa.Column('what', sa.String(length=8), nullable=False),
    sa.Column('parties', sa.String(length=200), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_intel_releases'))
    )
    with op.batch_alter_table('intel_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intel_releases_report'), ['report'], unique=False)

    op.create_table('intel_assessments',
    sa.Column('idx', POSITION, autoincrement=False, nullable=False),
    sa.Column('report', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('assessment', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=1), nullable=False),
    sa.Column('info', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_intel_assessments'))
    )
    with op.batch_alter_table('intel_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intel_assessments_report'), ['report'], unique=False)

    op.create_table('intel_rfis',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('from_party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('to_party', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('due', sa.String(length=32), nullable=False),
    sa.Column('visibility', sa.String(length=200), nullable=False),
    sa.Column('requested_idx', POSITION, nullable=False),
    sa.Column('requested_at', sa.String(length=32), nullable=False),
    sa.Column('answered_idx', POSITION, nullable=True),
    sa.Column('answered_at', sa.String(length=32), nullable=True),
    sa.Column('answered_member', sa.String(length=64), nullable=True),
    sa.Column('report', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_rfis'))
    )
    op.create_table('intel_openings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('report', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('what', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_openings'))
    )
    with op.batch_alter_table('intel_openings', schema=None) as batch_op:
        batch_op.create_index('ix_intel_openings_report', ['report', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('intel_openings', schema=None) as batch_op:
        batch_op.drop_index('ix_intel_openings_report')
    op.drop_table('intel_openings')
    op.drop_table('intel_rfis')
    with op.batch_alter_table('intel_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intel_assessments_report'))
    op.drop_table('intel_assessments')
    with op.batch_alter_table('intel_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intel_releases_report'))
    op.drop_table('intel_releases')
    with op.batch_alter_table('intel_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_intel_versions_report')
    op.drop_table('intel_versions')
    op.drop_table('intel_reports')
