"""sender-wide suppressions (a do-not-contact row without a shop applies to every shop); the SMS
agent's state on its replies

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

SENDER_WIDE = sa.text("shop_id IS NULL")


def upgrade():
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.alter_column('shop_id', existing_type=sa.Integer(), nullable=True)
    op.create_index('uq_suppressions_sender_phone_channel', 'suppressions', ['phone_hash', 'channel'],
                    unique=True, postgresql_where=SENDER_WIDE, sqlite_where=SENDER_WIDE)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('not_before', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('agent_state', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('agent_state')
        batch_op.drop_column('not_before')
    op.drop_index('uq_suppressions_sender_phone_channel', table_name='suppressions')
    op.execute("DELETE FROM suppressions WHERE shop_id IS NULL")
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.alter_column('shop_id', existing_type=sa.Integer(), nullable=False)
