"""privacy: data-request exports, the Twilio erasure outbox, key-rotation progress; customer ids and erasure marks

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:25:45.130056

"""
import json

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('restrictions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('customer_hash', sa.String(length=64), nullable=True),
    sa.Column('email_hash', sa.String(length=64), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('lifted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_restrictions_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_restrictions'))
    )
    with op.batch_alter_table('restrictions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_restrictions_customer_hash'), ['customer_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_restrictions_email_hash'), ['email_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_restrictions_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_restrictions_shop_id'), ['shop_id'], unique=False)

    op.create_table('rotation_progress',
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_rotation_progress'))
    )
    op.create_table('twilio_deletions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('resource', sa.String(length=16), nullable=False),
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twilio_deletions')),
    sa.UniqueConstraint('resource', 'sid', name=op.f('uq_twilio_deletions_resource'))
    )
    with op.batch_alter_table('twilio_deletions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twilio_deletions_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_twilio_deletions_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twilio_deletions_status'), ['status'], unique=False)

    op.create_table('data_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('shopify_request_id', sa.String(length=64), nullable=True),
    sa.Column('customer_hash', sa.String(length=64), nullable=True),
    sa.Column('email_hash', sa.String(length=64), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('export', sa.Text(), nullable=True),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_data_requests_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests')),
    sa.UniqueConstraint('shop_id', 'shopify_request_id', name=op.f('uq_data_requests_shop_id'))
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_requests_customer_hash'), ['customer_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_email_hash'), ['email_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_shop_id'), ['shop_id'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.alter_column('phone',
               existing_type=sa.TEXT(),
               nullable=True)
        batch_op.alter_column('phone_hash',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)

    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_checkouts_customer_hash'), ['customer_hash'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_customer_hash'), ['customer_hash'], unique=False)

    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redact_requested_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.alter_column('phone_e164',
               existing_type=sa.TEXT(),
               nullable=True)

    _encrypt_line_items()

    # Deleting a shop's attempts in bulk sets these to NULL row by row: without an index, each is a scan.
    for table in ('messages', 'recoveries', 'recovery_clicks'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_attempt_id'), ['attempt_id'], unique=False)


def _encrypt_line_items():
    """A cart's lines are personal data: stored from now on as a Fernet token of their JSON."""
    from app.crypto import keyring  # the app's keys: `flask db upgrade` runs inside the app

    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.alter_column('line_items', existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False,
                              postgresql_using='line_items::text')
    conn = op.get_bind()
    ring = keyring()
    rows = conn.execute(sa.text("SELECT id, line_items FROM checkouts")).all()
    for row_id, value in rows:
        plain = json.dumps(json.loads(value) if value else [], separators=(",", ":"), sort_keys=True)
        conn.execute(sa.text("UPDATE checkouts SET line_items = :v WHERE id = :id"),
                     {"v": ring.encrypt(plain), "id": row_id})


def _decrypt_line_items():
    from app.crypto import keyring

    conn = op.get_bind()
    ring = keyring()
    for row_id, value in conn.execute(sa.text("SELECT id, line_items FROM checkouts")).all():
        conn.execute(sa.text("UPDATE checkouts SET line_items = :v WHERE id = :id"),
                     {"v": ring.decrypt(value) if value else "[]", "id": row_id})
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.alter_column('line_items', existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=False,
                              postgresql_using='line_items::json')


def downgrade():
    _decrypt_line_items()
    for table in ('messages', 'recoveries', 'recovery_clicks'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_attempt_id'))
    # Erased rows keep no number: they cannot go back under NOT NULL.
    op.execute("DELETE FROM suppressions WHERE phone_e164 IS NULL")
    op.execute("DELETE FROM calls WHERE phone IS NULL OR phone_hash IS NULL")
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.alter_column('phone_e164',
               existing_type=sa.TEXT(),
               nullable=False)

    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('redact_requested_at')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_customer_hash'))
        batch_op.drop_column('customer_hash')

    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkouts_customer_hash'))
        batch_op.drop_column('erased_at')
        batch_op.drop_column('customer_hash')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.alter_column('phone_hash',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.alter_column('phone',
               existing_type=sa.TEXT(),
               nullable=False)

    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_requests_shop_id'))
        batch_op.drop_index(batch_op.f('ix_data_requests_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_data_requests_email_hash'))
        batch_op.drop_index(batch_op.f('ix_data_requests_customer_hash'))

    op.drop_table('data_requests')
    with op.batch_alter_table('twilio_deletions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twilio_deletions_status'))
        batch_op.drop_index(batch_op.f('ix_twilio_deletions_shop_id'))
        batch_op.drop_index(batch_op.f('ix_twilio_deletions_next_attempt_at'))

    op.drop_table('twilio_deletions')
    op.drop_table('rotation_progress')
    op.drop_table('restrictions')
    
