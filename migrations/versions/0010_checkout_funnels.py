"""the overview's funnel stored per checkout and per day, kept current by triggers; an index for erased checkouts

`checkout_funnels` stores what app.dashboard.funnel.flags_of computes per checkout; `funnel_changes`
lists checkouts whose flags may be out of date. Triggers on the tables that decide the flags list a
checkout in the same transaction as the write, whoever writes (ORM, bulk statements, erasure,
retention): statement-level with transition tables on PostgreSQL, row-level on SQLite. Every
existing checkout is listed here; the `funnel-refresh` job computes them (the overview is exact
meanwhile: it computes listed checkouts live). `funnel_days` counts `checkout_funnels` per shop, UTC
day and flags; triggers on `checkout_funnels` keep it equal, in the same transaction.

A later SQLite batch migration that rebuilds one of these tables drops its triggers: it must create
them again (tests/dashboard/test_funnel.py checks they exist at head, on both databases).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.dbtypes import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

ERASED = sa.text("erased_at IS NOT NULL")

# Per table: the columns whose change can change a checkout's flags, and the checkouts a row
# decides, as SQL expressions of the row `{r}` (consent_events name their checkout by shop and token).
SOURCES = {
    "checkouts": (("shop_id", "token", "shopify_created_at", "created_at"), ("{r}.id",)),
    "contact_attempts": (("checkout_id", "shop_id", "status", "outcome", "channel"), ("{r}.checkout_id",)),
    "recoveries": (("checkout_id", "holdout", "channel"), ("{r}.checkout_id",)),
    "messages": (("checkout_id", "attempt_id", "shop_id", "status"),
                 ("{r}.checkout_id", "(SELECT a.checkout_id FROM contact_attempts a WHERE a.id = {r}.attempt_id)")),
    "consent_events": (("shop_id", "checkout_token", "granted", "phone_hash", "channels", "consented_at"),
                       ("(SELECT c.id FROM checkouts c WHERE c.shop_id = {r}.shop_id AND c.token = {r}.checkout_token)",)),
}
DAY_EVENTS = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
              "DELETE": "OLD TABLE AS old_rows"}
# A checkout's own deletion takes its stored funnel with it (foreign key): nothing to list.
EVENTS = {table: ("INSERT", "UPDATE") if table == "checkouts" else ("INSERT", "UPDATE", "DELETE")
          for table in SOURCES}


def _listing(rows: str, expressions, changed: str = "") -> str:
    """INSERT the checkouts the rows of `rows` (aliased r) decide into funnel_changes, once each."""
    ids = " UNION ".join(f"SELECT {expression.format(r='r')} AS checkout_id FROM {rows}{changed}"
                         for expression in expressions)
    return (f"INSERT INTO funnel_changes (checkout_id) SELECT checkout_id FROM ({ids}) AS ids "
            f"WHERE checkout_id IS NOT NULL ON CONFLICT DO NOTHING;")


def _postgresql_upgrade() -> None:
    for table, (columns, expressions) in SOURCES.items():
        def differs(other):
            return (f" JOIN {other} o ON o.id = r.id WHERE ({', '.join('r.' + c for c in columns)}) "
                    f"IS DISTINCT FROM ({', '.join('o.' + c for c in columns)})")
        op.execute(f"""
            CREATE FUNCTION ringback_funnel_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    {_listing("new_rows r", expressions)}
                ELSIF TG_OP = 'UPDATE' THEN
                    {_listing("new_rows r", expressions, differs("old_rows"))}
                    {_listing("old_rows r", expressions, differs("new_rows"))}
                ELSE
                    {_listing("old_rows r", expressions)}
                END IF;
                RETURN NULL;
            END $$""")
        for event in EVENTS[table]:
            transition = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                          "DELETE": "OLD TABLE AS old_rows"}[event]
            op.execute(f"CREATE TRIGGER ringback_funnel_{table}_{event.lower()} AFTER {event} ON {table} "
                       f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION ringback_funnel_{table}()")


def _postgresql_days() -> None:
    def deltas(rows: str, sign: str) -> str:
        return f"SELECT shop_id, started_at::date AS day, flags, {sign}1 AS n FROM {rows}"

    def apply(*parts: str) -> str:
        # Summed per key, applied in key order (concurrent writers lock the rows alike: no deadlock).
        return (f"INSERT INTO funnel_days (shop_id, day, flags, checkouts) SELECT shop_id, day, flags, "
                f"sum(n) FROM ({' UNION ALL '.join(parts)}) AS d GROUP BY shop_id, day, flags "
                f"HAVING sum(n) <> 0 ORDER BY shop_id, day, flags ON CONFLICT (shop_id, day, flags) "
                f"DO UPDATE SET checkouts = funnel_days.checkouts + excluded.checkouts;")

    emptied = ("DELETE FROM funnel_days f USING (SELECT DISTINCT shop_id, started_at::date AS day FROM "
               "old_rows) AS o WHERE f.shop_id = o.shop_id AND f.day = o.day AND f.checkouts = 0;")
    op.execute(f"""
        CREATE FUNCTION ringback_funnel_days() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {apply(deltas("new_rows", "+"))}
            ELSIF TG_OP = 'UPDATE' THEN
                {apply(deltas("new_rows", "+"), deltas("old_rows", "-"))}
                {emptied}
            ELSE
                {apply(deltas("old_rows", "-"))}
                {emptied}
            END IF;
            RETURN NULL;
        END $$""")
    for event, transition in DAY_EVENTS.items():
        op.execute(f"CREATE TRIGGER ringback_funnel_days_{event.lower()} AFTER {event} ON checkout_funnels "
                   f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION ringback_funnel_days()")


def _sqlite_days() -> None:
    key = "shop_id = {r}.shop_id AND day = date({r}.started_at) AND flags = {r}.flags"
    add = ("INSERT INTO funnel_days (shop_id, day, flags, checkouts) VALUES "
           "(NEW.shop_id, date(NEW.started_at), NEW.flags, 1) "
           "ON CONFLICT (shop_id, day, flags) DO UPDATE SET checkouts = checkouts + 1;")
    remove = (f"UPDATE funnel_days SET checkouts = checkouts - 1 WHERE {key.format(r='OLD')}; "
              f"DELETE FROM funnel_days WHERE {key.format(r='OLD')} AND checkouts = 0;")
    moved = ("NEW.shop_id IS NOT OLD.shop_id OR date(NEW.started_at) IS NOT date(OLD.started_at) "
             "OR NEW.flags IS NOT OLD.flags")
    op.execute(f"CREATE TRIGGER ringback_funnel_days_insert AFTER INSERT ON checkout_funnels BEGIN {add} END")
    op.execute(f"CREATE TRIGGER ringback_funnel_days_update AFTER UPDATE ON checkout_funnels WHEN {moved} "
               f"BEGIN {remove} {add} END")
    op.execute(f"CREATE TRIGGER ringback_funnel_days_delete AFTER DELETE ON checkout_funnels BEGIN {remove} END")


def _sqlite_upgrade() -> None:
    for table, (columns, expressions) in SOURCES.items():
        for event in EVENTS[table]:
            rows = {"INSERT": ("NEW",), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD",)}[event]
            when = (" WHEN " + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)) if event == "UPDATE" else ""
            body = " ".join(
                "INSERT OR IGNORE INTO funnel_changes (checkout_id) SELECT checkout_id FROM ("
                + " UNION ".join(f"SELECT {e.format(r=row)} AS checkout_id" for e in expressions)
                + ") WHERE checkout_id IS NOT NULL;" for row in rows)
            op.execute(f"CREATE TRIGGER ringback_funnel_{table}_{event.lower()} AFTER {event} ON {table}"
                       f"{when} BEGIN {body} END")


def upgrade():
    op.create_table(
        'checkout_funnels',
        sa.Column('checkout_id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=False),
        sa.Column('flags', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['checkout_id'], ['checkouts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('checkout_id'),
    )
    op.create_index('ix_checkout_funnels_shop_started', 'checkout_funnels', ['shop_id', 'started_at'],
                    unique=False, postgresql_include=['flags'])
    op.create_table(
        'funnel_days',
        sa.Column('shop_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('flags', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('checkouts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('shop_id', 'day', 'flags'),
    )
    op.create_table(
        'funnel_changes',
        sa.Column('checkout_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('checkout_id'),
    )
    op.create_index('ix_checkouts_shop_erased', 'checkouts', ['shop_id', 'id'], unique=False,
                    postgresql_where=ERASED, sqlite_where=ERASED)
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
        _postgresql_days()
    else:
        _sqlite_upgrade()
        _sqlite_days()
    op.execute("INSERT INTO funnel_changes (checkout_id) SELECT id FROM checkouts")


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in SOURCES:
        for event in EVENTS[table]:
            op.execute(f"DROP TRIGGER ringback_funnel_{table}_{event.lower()}"
                       + (f" ON {table}" if dialect == "postgresql" else ""))
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION ringback_funnel_{table}()")
    for event in DAY_EVENTS:
        op.execute(f"DROP TRIGGER ringback_funnel_days_{event.lower()}"
                   + (" ON checkout_funnels" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION ringback_funnel_days()")
    op.drop_index('ix_checkouts_shop_erased', table_name='checkouts')
    op.drop_table('funnel_changes')
    op.drop_table('funnel_days')
    op.drop_index('ix_checkout_funnels_shop_started', table_name='checkout_funnels')
    op.drop_table('checkout_funnels')
