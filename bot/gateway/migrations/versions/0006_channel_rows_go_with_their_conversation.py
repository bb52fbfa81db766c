"""A channel's own rows go with their conversation: deliveries and reply windows are
deleted with it (ON DELETE CASCADE), so purging a member needs no list of channel tables

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00.000000
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = ('deliveries', 'reply_windows')


def _conversation_key(ondelete) -> None:
    for table in TABLES:
        name = op.f(f'fk_{table}_conversation_id_conversations')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_='foreignkey')
            batch_op.create_foreign_key(name, 'conversations', ['conversation_id'], ['id'],
                                        ondelete=ondelete)


def upgrade() -> None:
    _conversation_key('CASCADE')


def downgrade() -> None:
    _conversation_key(None)
