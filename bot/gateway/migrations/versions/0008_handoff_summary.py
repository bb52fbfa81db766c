"""What a handoff is about in one line (issue 15, the summary card): the bot's summary
(a health question's words) or the member's last message when it was requested

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_column('summary')
