"""The member's own health manager as the backends name them (issue 15): assignment
tries them first.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:20:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('own_manager', sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('own_manager')
