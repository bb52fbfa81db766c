"""Managers' presence (issue 15): 接待中 / 小休 / 离线, and how many conversations at once
are assigned to each

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 18:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presence', sa.String(length=20), nullable=False,
                                      server_default='offline'))
        batch_op.add_column(sa.Column('presence_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('max_active', sa.Integer(), nullable=False,
                                      server_default='5'))
        batch_op.create_check_constraint(
            op.f('ck_users_presence'), "presence IN ('available', 'break', 'offline')")


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_presence'), type_='check')
        batch_op.drop_column('max_active')
        batch_op.drop_column('presence_at')
        batch_op.drop_column('presence')
