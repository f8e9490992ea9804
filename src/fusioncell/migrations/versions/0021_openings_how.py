"""intel openings: how a body was opened takes longer names ("translation")

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('intel_openings', schema=None) as batch_op:
        batch_op.alter_column(
            'what', existing_type=sa.String(length=8), type_=sa.String(length=16),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('intel_openings', schema=None) as batch_op:
        batch_op.alter_column(
            'what', existing_type=sa.String(length=16), type_=sa.String(length=8),
            existing_nullable=False,
        )
