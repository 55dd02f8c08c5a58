"""key fingerprints: the lookup key the stored hashes were made with, so a changed key is refused

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('key_fingerprints',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_key_fingerprints'))
    )


def downgrade():
    op.drop_table('key_fingerprints')
