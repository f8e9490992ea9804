"""a round's entry whose place and note are shown, for their translations

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('diplomacy_rounds') as batch:
        batch.add_column(sa.Column('text_idx', _position(), nullable=True))
    # A round never revised shows what its recording entry says; a revised one is known
    # after `fusioncell rebuild` (until then its place is shown without a translation).
    op.execute(
        "UPDATE diplomacy_rounds SET text_idx = recorded_idx WHERE source = 'log' AND version = 1"
    )


def downgrade() -> None:
    with op.batch_alter_table('diplomacy_rounds') as batch:
        batch.drop_column('text_idx')
