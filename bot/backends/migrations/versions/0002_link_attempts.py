"""Link attempts: tries at linking a chat identity to a policy (policy number hashed).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 22:40:52.601303
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('link_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('policy_hash', sa.String(length=64), nullable=False),
    sa.Column('matched', sa.Boolean(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_attempts'))
    )
    op.create_index('ix_link_attempts_identity', 'link_attempts',
                    ['channel', 'external_id', 'attempted_at'], unique=False)
    op.create_index('ix_link_attempts_policy', 'link_attempts',
                    ['policy_hash', 'attempted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_link_attempts_policy', table_name='link_attempts')
    op.drop_index('ix_link_attempts_identity', table_name='link_attempts')
    op.drop_table('link_attempts')
