"""Three more reasons a conversation goes to a person (issue 12): health (健康咨询),
urgent_care (需当天就医) and crisis (心理危机)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:30:00.000000
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BEFORE = ('request_human', 'fallback', 'emergency', 'complaint', 'preauth_unknown',
          'backend_failure')
AFTER = BEFORE + ('health', 'urgent_care', 'crisis')


def _reasons(allowed) -> None:
    listed = ", ".join(f"'{r}'" for r in allowed)
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_handoffs_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_handoffs_reason'), f"reason IN ({listed})")


def upgrade() -> None:
    _reasons(AFTER)


def downgrade() -> None:
    op.execute("UPDATE handoffs SET reason = 'request_human' "
               "WHERE reason IN ('health', 'urgent_care', 'crisis')")
    _reasons(BEFORE)
