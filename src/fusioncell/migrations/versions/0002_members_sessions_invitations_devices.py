"""members, sessions, invitations, devices

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('device_requests',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('vkey', sa.Text(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_index', sa.Integer(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_requests'))
    )
    with op.batch_alter_table('device_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_requests_member'), ['member'], unique=False)

    op.create_table('invitations',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_sha256', name=op.f('pk_invitations'))
    )
    op.create_table('log_members',
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('added', sa.BigInteger(), nullable=False),
    sa.Column('disabled', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('member', name=op.f('pk_log_members'))
    )
    op.create_table('member_credentials',
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_confirmed', sa.Boolean(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.PrimaryKeyConstraint('member', name=op.f('pk_member_credentials'))
    )
    op.create_table('sessions',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('pending_totp', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_sessions_token_sha256'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_member'), ['member'], unique=False)

    op.create_table('signin_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signin_attempts'))
    )
    with op.batch_alter_table('signin_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signin_attempts_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_signin_attempts_key'), ['key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('signin_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signin_attempts_key'))
        batch_op.drop_index(batch_op.f('ix_signin_attempts_at'))

    op.drop_table('signin_attempts')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessions_member'))

    op.drop_table('sessions')
    op.drop_table('member_credentials')
    op.drop_table('log_members')
    op.drop_table('invitations')
    with op.batch_alter_table('device_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_requests_member'))

    op.drop_table('device_requests')
