"""money precision: amounts keep a third decimal (KWD, BHD, JOD…); checkouts keep their total in the
shop's currency

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00.000000

No table is ever rebuilt here: the app runs SQLite with PRAGMA foreign_keys=ON (which cannot be
turned off inside the migration's transaction), and a batch "copy and move" drops the old table,
which cascades into contact_attempts, orders, recoveries and recovery_clicks. So on SQLite a column's
type is changed by adding a column, copying, dropping the old one and renaming (SQLite >= 3.35), all
plain ALTER TABLE statements; on PostgreSQL it is one ALTER COLUMN ... TYPE.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TWO_PLACES = sa.Numeric(precision=12, scale=2)
THREE_PLACES = sa.Numeric(precision=15, scale=3)
MONEY_COLUMNS = {
    'checkouts': ('subtotal_price', 'total_price'),
    'orders': ('total_price',),
    'recoveries': ('revenue',),
}


def upgrade():
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            _retype(table, column, TWO_PLACES, THREE_PLACES)
    with op.batch_alter_table('checkouts', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('shop_total_price', THREE_PLACES, nullable=True))
    # A checkout's total is in its presentment currency; it is the shop's amount only when the
    # shopper paid in the shop's currency (see app.recovery.payloads).
    op.execute(
        "UPDATE checkouts SET shop_total_price = total_price "
        "WHERE currency IS NOT NULL AND currency = presentment_currency"
    )


def downgrade():
    with op.batch_alter_table('checkouts', recreate='never') as batch_op:
        batch_op.drop_column('shop_total_price')
    # Two places again: a third decimal is rounded away (PostgreSQL rounds on the type change).
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            _retype(table, column, THREE_PLACES, TWO_PLACES)


def _retype(table, column, old, new):
    if op.get_bind().dialect.name != 'sqlite':
        with op.batch_alter_table(table, recreate='never') as batch_op:
            batch_op.alter_column(column, existing_type=old, type_=new, existing_nullable=True)
        return
    staging = f'{column}_retyped'
    with op.batch_alter_table(table, recreate='never') as batch_op:
        batch_op.add_column(sa.Column(staging, new, nullable=True))
    op.execute(f'UPDATE {table} SET {staging} = ROUND({column}, {new.scale})')
    with op.batch_alter_table(table, recreate='never') as batch_op:
        batch_op.drop_column(column)
    with op.batch_alter_table(table, recreate='never') as batch_op:
        batch_op.alter_column(staging, new_column_name=column, existing_type=new, existing_nullable=True)
