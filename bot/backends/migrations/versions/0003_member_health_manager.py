"""Each member's own health manager (私人健康管家), by console username.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 17:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('health_manager', sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.drop_column('health_manager')
