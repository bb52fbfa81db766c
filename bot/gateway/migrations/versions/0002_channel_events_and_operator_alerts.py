"""Channel events (follow, scan, menu click ...) and operator alerts (undecryptable WeChat bodies).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:49:44.235840
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('dedup_key', sa.String(length=200), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('event', sa.String(length=60), nullable=False),
    sa.Column('event_key', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_events')),
    sa.UniqueConstraint('channel', 'dedup_key', name=op.f('uq_channel_events_channel_dedup_key'))
    )
    with op.batch_alter_table('channel_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_events_external_id'), ['external_id'], unique=False)

    op.create_table('operator_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('dedup_key', sa.String(length=200), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_alerts')),
    sa.UniqueConstraint('channel', 'dedup_key', name=op.f('uq_operator_alerts_channel_dedup_key'))
    )
    with op.batch_alter_table('operator_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_alerts_created_at'), ['created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('operator_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_alerts_created_at'))

    op.drop_table('operator_alerts')
    with op.batch_alter_table('channel_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_events_external_id'))

    op.drop_table('channel_events')
