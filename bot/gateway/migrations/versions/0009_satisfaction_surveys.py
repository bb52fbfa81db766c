"""满意度 (issue 15): one survey per handoff a manager served, answered with one digit
and an optional comment

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 17:30:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'surveys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('handoff_id', sa.Integer(), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=True),
        sa.Column('asked_at', sa.DateTime(), nullable=False),
        sa.Column('rating', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)',
                           name=op.f('ck_surveys_rating')),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                                name=op.f('fk_surveys_conversation_id_conversations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'],
                                name=op.f('fk_surveys_handoff_id_handoffs'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['manager_id'], ['users.id'],
                                name=op.f('fk_surveys_manager_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
        sa.UniqueConstraint('handoff_id', name=op.f('uq_surveys_handoff_id')),
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_conversation_id'), ['conversation_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_conversation_id'))
    op.drop_table('surveys')
