"""Review: the intent ranking of member messages, review decisions and exports,
conversation tags, saved filters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 23:50:30.105199
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('examples', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('metrics_before', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('metrics_after', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('written', 'kept', 'set_aside')", name=op.f('ck_review_exports_status')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_exports_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_exports'))
    )
    op.create_table('saved_filters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('view', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('query', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("view IN ('conversations', 'inbox')", name=op.f('ck_saved_filters_view')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_filters_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters')),
    sa.UniqueConstraint('user_id', 'view', 'name', name=op.f('uq_saved_filters_user_id_view_name'))
    )
    op.create_table('conversation_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_tags_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversation_tags_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_tags')),
    sa.UniqueConstraint('conversation_id', 'tag', name=op.f('uq_conversation_tags_conversation_id_tag'))
    )
    with op.batch_alter_table('conversation_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_tags_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('review_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('intent', sa.String(length=100), nullable=True),
    sa.Column('entities', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('undone_by', sa.Integer(), nullable=True),
    sa.Column('exported_at', sa.DateTime(), nullable=True),
    sa.Column('export_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("action IN ('accept', 'relabel', 'out_of_scope', 'skip')", name=op.f('ck_review_decisions_action')),
    sa.ForeignKeyConstraint(['export_id'], ['review_exports.id'], name=op.f('fk_review_decisions_export_id_review_exports')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_review_decisions_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['undone_by'], ['users.id'], name=op.f('fk_review_decisions_undone_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_decisions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_decisions'))
    )
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_decisions_export_id'), ['export_id'], unique=False)
        batch_op.create_index('ix_review_decisions_message_current', ['message_id', 'undone_at'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intent_ranking', sa.JSON(none_as_null=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('intent_ranking')

    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_review_decisions_message_current')
        batch_op.drop_index(batch_op.f('ix_review_decisions_export_id'))

    op.drop_table('review_decisions')
    with op.batch_alter_table('conversation_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_tags_conversation_id'))

    op.drop_table('conversation_tags')
    op.drop_table('saved_filters')
    op.drop_table('review_exports')
