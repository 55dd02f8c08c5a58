"""the admin's date ranges and "reached by text": indexes for the overview (bench/dashboard.py)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

DELIVERED = sa.text("status = 'delivered'")


def upgrade():
    op.create_index('ix_checkouts_shop_started', 'checkouts', ['shop_id', 'shopify_created_at'], unique=False)
    op.create_index('ix_messages_delivered', 'messages', ['shop_id', 'attempt_id'], unique=False,
                    postgresql_where=DELIVERED, sqlite_where=DELIVERED)


def downgrade():
    op.drop_index('ix_messages_delivered', table_name='messages')
    op.drop_index('ix_checkouts_shop_started', table_name='checkouts')
