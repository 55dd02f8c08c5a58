"""`flask rotate-keys`: stored data re-encrypted under the first encryption key, lookup hashes moved
to a new lookup key.

Encryption keys rotate online. Every `EncryptedText` column in the metadata is read as the stored
token (never through the type, which would decrypt it), rotated (`MultiFernet.rotate`) and written
back only if it is still the token read: a web process or worker may have rewritten the row
meanwhile, already under the new first key. Tables go in batches by primary key, each batch committed
with its progress (`RotationProgress`), so an interrupted run resumes where it stopped.

The lookup key changes offline (web and workers stopped: they would keep hashing under the old key),
in one transaction. A hash whose row holds its plaintext is recomputed from it; a hash-only row
(orders, erased suppressions, ...) is translated old → new through the rows that do hold the
plaintext. An opt-out that cannot be translated would silently stop being honoured, so a dry pass
refuses the change before anything is written unless the operator accepts dropping those rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.fernet import InvalidToken
from flask import current_app

from app.consent.models import Suppression
from app.consent.phones import lookup_key
from app.crypto import EncryptedText, Keyring, keyring
from app.dbtypes import utcnow
from app.extensions import db
from app.keys import LOOKUP_KEY, KeyFingerprint, require_lookup_key
from app.privacy.models import RotationProgress

BATCH_SIZE = 500
PROGRESS_PREFIX = "encryption:"
# Phone numbers have few enough possible values that anyone holding the hashes and a guessable key
# could recover them by trying every number: the new key must be a real secret.
MIN_LOOKUP_KEY_CHARS = 32
HASH_SUFFIX = "_hash"
# The strings a hash of each kind may have been made from, the canonical one first: phones are
# hashed as `lookup_key(phone)` (E.164 when it parses), e-mails as stored (already lower-case).
CANDIDATES: dict[str, Callable[[str], tuple[str, ...]]] = {
    "phone": lambda plain: tuple(dict.fromkeys((lookup_key(plain), plain))),
    "email": lambda plain: (plain,),
    # Shopify customer ids are stored nowhere in the clear: their hashes cannot move and are dropped
    # (rows stay findable by their e-mail and phone hashes).
    "customer": lambda plain: (f"shopify-customer:{plain}",),
}
# Where a row keeps the plaintext of its hash of each kind.
SOURCES = {"phone": ("phone", "phone_e164"), "email": ("email",), "customer": ()}

RECOMPUTED, TRANSLATED, DROPPED = "recomputed", "translated", "dropped"


class RotationError(Exception):
    """A run that must stop; the message is one line and names tables and rows, never a value."""


@dataclass
class Summary:
    """What a run did, in counts only."""

    reencrypted: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, Counter] = field(default_factory=dict)
    lookup_key: str | None = None

    def lines(self) -> list[str]:
        lines = ["Rows re-encrypted under the first key of RINGBACK_ENCRYPTION_KEYS:"]
        lines += [f"  {table}: {count}" for table, count in self.reencrypted.items()]
        if self.lookup_key is None:
            return lines
        if self.hashes:
            total = sum(self.hashes.values(), Counter())
            lines.append("Lookup hashes under the new key: " + _outcomes(total))
            lines += [f"  {name}: {_outcomes(counts)}" for name, counts in self.hashes.items()]
        else:
            lines.append("Lookup hashes: already under the new key, nothing to move.")
        # The operator gave the key: it is not echoed into terminals and CI logs.
        lines.append("Now set RINGBACK_LOOKUP_KEY to the key given with --new-lookup-key for the web app and "
                     "the workers, then start them.")
        return lines


def _outcomes(counts: Counter) -> str:
    return ", ".join(f"{counts[outcome]} {outcome}" for outcome in (RECOMPUTED, TRANSLATED, DROPPED))


def rotate_keys(*, new_lookup_key: str = "", drop_untranslatable: bool = False,
                restart: bool = False) -> Summary:
    """Re-encrypt everything; with a new lookup key, also move every lookup hash to it."""
    summary = Summary()
    plan = _lookup_plan(new_lookup_key, drop_untranslatable) if new_lookup_key else None
    summary.reencrypted = reencrypt_all(restart=restart)
    if new_lookup_key:
        summary.lookup_key = new_lookup_key
        summary.hashes = apply_rehash(plan) if plan is not None else {}
    return summary


def _lookup_plan(new_lookup_key: str, drop_untranslatable: bool) -> RehashPlan | None:
    """The dry pass of a lookup-key change, before anything is written; None when there is nothing
    to move (the key is the current one, or an earlier run already moved the hashes to it)."""
    new = new_keyring(new_lookup_key)
    recorded = db.session.get(KeyFingerprint, LOOKUP_KEY)
    if recorded is not None and recorded.fingerprint == new.lookup_fingerprint():
        return None
    require_lookup_key()  # the stored hashes must be the current key's, or none would translate
    if new.lookup_fingerprint() == keyring().lookup_fingerprint():
        return None
    return plan_rehash(keyring(), new, drop_untranslatable)


def new_keyring(new_lookup_key: str) -> Keyring:
    """The current encryption keys with another lookup key, refusing one too short to be secret."""
    if len(new_lookup_key) < MIN_LOOKUP_KEY_CHARS:
        raise RotationError(f"the new lookup key must be at least {MIN_LOOKUP_KEY_CHARS} characters")
    return Keyring(tuple(current_app.config["RINGBACK_ENCRYPTION_KEYS"]), new_lookup_key)


# -- shared: tables, batches, raw tokens -----------------------------------------------------------

def primary_key(table: sa.Table) -> sa.Column:
    """The table's integer primary key, the order of batches and the unit of progress."""
    columns = list(table.primary_key.columns)
    if len(columns) != 1 or not isinstance(columns[0].type, sa.Integer):
        raise RotationError(f"{table.name}: rotation needs a single integer primary key")
    return columns[0]


def stored(column: sa.Column):
    """The column as stored: the Fernet token, not the type's decrypted value."""
    return sa.type_coerce(column, sa.Text)


def raw(column: sa.Column):
    """`stored(column)` to select, under the column's name."""
    return stored(column).label(column.name)


def batches(table: sa.Table, columns: Iterable, after: int = 0) -> Iterator[list[sa.RowMapping]]:
    """The table's rows after primary key `after`, `BATCH_SIZE` at a time, in key order."""
    pk = primary_key(table)
    query = sa.select(pk, *columns).order_by(pk).limit(BATCH_SIZE)
    while True:
        rows = db.session.execute(query.where(pk > after)).mappings().all()
        if not rows:
            return
        yield rows
        after = rows[-1][pk.name]


def decrypt(ring: Keyring, column: sa.Column, row_id: int, token: str) -> str:
    try:
        return ring.decrypt(token)
    except (InvalidToken, ValueError):
        raise _unreadable(column, row_id) from None


def _unreadable(column: sa.Column, row_id: int) -> RotationError:
    return RotationError(f"{column.table.name} row {row_id}: {column.name} is not readable with any key "
                         "in RINGBACK_ENCRYPTION_KEYS")


# -- encryption keys ---------------------------------------------------------------------------------

def encrypted_tables() -> list[tuple[sa.Table, list[sa.Column]]]:
    """Every table with encrypted columns, from the metadata: a new encrypted column is rotated too."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
        if columns:
            found.append((table, columns))
    return found


def reencrypt_all(*, restart: bool = False) -> dict[str, int]:
    """Rows re-encrypted per table; resumes an interrupted run unless `restart`."""
    if restart:
        _clear_progress()
    ring = keyring()
    counts = {table.name: _reencrypt_table(ring, table, columns) for table, columns in encrypted_tables()}
    _clear_progress()
    return counts


def _reencrypt_table(ring: Keyring, table: sa.Table, columns: list[sa.Column]) -> int:
    progress = _progress(table)
    rotated = 0
    for rows in batches(table, [raw(c) for c in columns], after=progress.last_id):
        rotated += _reencrypt_batch(ring, table, columns, rows)
        progress.last_id = rows[-1][primary_key(table).name]
        db.session.commit()
    return rotated


def _reencrypt_batch(ring: Keyring, table: sa.Table, columns: list[sa.Column], rows) -> int:
    """Rotate one batch, column by column; returns how many rows held anything to rotate."""
    pk = primary_key(table)
    touched = set()
    for column in columns:
        params = [{"b_id": row[pk.name], "b_old": row[column.name],
                   "b_new": _rotated(ring, column, row[pk.name], row[column.name])}
                  for row in rows if row[column.name] is not None]
        if params:
            db.session.execute(_compare_and_set(table, pk, column), params)
            touched.update(p["b_id"] for p in params)
    return len(touched)


def _rotated(ring: Keyring, column: sa.Column, row_id: int, token: str) -> str:
    try:
        return ring.rotate(token)
    except (InvalidToken, ValueError):
        raise _unreadable(column, row_id) from None


def _compare_and_set(table: sa.Table, pk: sa.Column, column: sa.Column):
    """Write the rotated token only over the token read: a concurrent write (already under the new
    key) wins. Typed Text on both sides, so the column's type neither encrypts nor decrypts again."""
    return (sa.update(table)
            .where(pk == sa.bindparam("b_id"), stored(column) == sa.bindparam("b_old", type_=sa.Text))
            .values({column.name: sa.bindparam("b_new", type_=sa.Text)}))


def _progress(table: sa.Table) -> RotationProgress:
    name = PROGRESS_PREFIX + table.name
    progress = db.session.get(RotationProgress, name)
    if progress is None:
        progress = RotationProgress(name=name, last_id=0)
        db.session.add(progress)
    return progress


def _clear_progress() -> None:
    db.session.execute(sa.delete(RotationProgress).where(RotationProgress.name.startswith(PROGRESS_PREFIX)))
    db.session.commit()


# -- the lookup key --------------------------------------------------------------------------------

@dataclass(frozen=True)
class HashColumn:
    """A keyed hash of a phone or e-mail, and the same row's encrypted plaintext it was made from."""

    column: sa.Column
    kind: str
    source: sa.Column | None

    @property
    def name(self) -> str:
        return f"{self.column.table.name}.{self.column.name}"

    @property
    def blocking(self) -> bool:
        """Whether an untranslatable hash may not just become NULL: an opt-out would stop being
        honoured (suppressions), or the column cannot be NULL (the row would have to go)."""
        return self.column.table.name == Suppression.__tablename__ or not self.column.nullable


def hash_columns() -> list[HashColumn]:
    """Every `*_hash` column in the metadata, so a new one is rehashed (or refused) too."""
    return [_hash_column(table, column) for table in db.metadata.sorted_tables
            for column in table.columns if column.name.endswith(HASH_SUFFIX)]


def _hash_column(table: sa.Table, column: sa.Column) -> HashColumn:
    kind = column.name.removesuffix(HASH_SUFFIX)
    if kind not in CANDIDATES:
        raise RotationError(f"{table.name}.{column.name}: no rule says what this hash was made from")
    source = next((table.c[name] for name in SOURCES[kind]
                   if name in table.c and isinstance(table.c[name].type, EncryptedText)), None)
    return HashColumn(column, kind, source)


def _by_table(columns: list[HashColumn]) -> dict[sa.Table, list[HashColumn]]:
    tables: dict[sa.Table, list[HashColumn]] = {}
    for hashed in columns:
        tables.setdefault(hashed.column.table, []).append(hashed)
    return tables


@dataclass
class RehashPlan:
    """Old hash → new hash for every hash-only value some stored plaintext explains."""

    old: Keyring
    new: Keyring
    columns: list[HashColumn]
    drop_untranslatable: bool
    translations: dict[str, str] = field(default_factory=dict)

    def own(self, hashed: HashColumn, plain: str | None, old_hash: str) -> str | None:
        """The new hash of the string the row's own plaintext shows its hash was made from."""
        if plain is None:
            return None
        for candidate in CANDIDATES[hashed.kind](plain):
            if self.old.lookup_hash(candidate) == old_hash:
                return self.new.lookup_hash(candidate)
        return None

    def rehash(self, hashed: HashColumn, plain: str | None, old_hash: str) -> tuple[str, str | None]:
        """(outcome, new hash or None) for one stored hash."""
        own = self.own(hashed, plain, old_hash)
        if own is not None:
            return RECOMPUTED, own
        if old_hash in self.translations:
            return TRANSLATED, self.translations[old_hash]
        if plain is not None:  # made some other way: this row's plaintext under today's rule
            return RECOMPUTED, self.new.lookup_hash(CANDIDATES[hashed.kind](plain)[0])
        return DROPPED, None


@dataclass(frozen=True)
class StoredHash:
    """One non-NULL hash as stored, with its row's plaintext (None when the row keeps only the hash)."""

    row_id: int
    column: HashColumn
    plain: str | None
    value: str


def stored_hashes(ring: Keyring, table: sa.Table, columns: list[HashColumn], rows) -> Iterator[StoredHash]:
    pk = primary_key(table).name
    for row in rows:
        for hashed in columns:
            if row[hashed.column.name] is not None:
                yield StoredHash(row[pk], hashed, _plaintext(ring, hashed, row, row[pk]),
                                 row[hashed.column.name])


def _plaintext(ring: Keyring, hashed: HashColumn, row, row_id: int) -> str | None:
    if hashed.source is None or row[hashed.source.name] is None:
        return None
    return decrypt(ring, hashed.source, row_id, row[hashed.source.name])


def _read(columns: list[HashColumn]) -> list:
    sources = dict.fromkeys(c.source for c in columns if c.source is not None)
    return [c.column for c in columns] + [raw(source) for source in sources]


def _hash_batches(plan: RehashPlan):
    """(table, its hash columns, a batch of rows) over every table that holds lookup hashes."""
    for table, columns in _by_table(plan.columns).items():
        for rows in batches(table, _read(columns)):
            yield table, columns, rows


def plan_rehash(old: Keyring, new: Keyring, drop_untranslatable: bool) -> RehashPlan:
    """The dry pass: translations for every hash-only value, refusing to lose an opt-out unasked."""
    plan = RehashPlan(old, new, hash_columns(), drop_untranslatable)
    needed, blocking = _hashes_without_plaintext(plan)
    plan.translations = _translations(plan, needed)
    lost = Counter(name for name, value in blocking if value not in plan.translations)
    if lost and not drop_untranslatable:
        where = ", ".join(f"{name}: {count}" for name, count in sorted(lost.items()))
        raise RotationError(
            f"{lost.total()} opt-out(s) keep only a hash that no stored phone translates to the new lookup "
            f"key ({where}); changing the key would stop honouring them. Nothing was changed; rerun "
            "with --drop-untranslatable to delete them.")
    return plan


def _hashes_without_plaintext(plan: RehashPlan) -> tuple[set[str], list[tuple[str, str]]]:
    """Old hashes no row's own plaintext explains, and (column, hash) for those that must not be lost."""
    needed: set[str] = set()
    blocking: list[tuple[str, str]] = []
    for table, columns, rows in _hash_batches(plan):
        for found in stored_hashes(plan.old, table, columns, rows):
            if plan.own(found.column, found.plain, found.value) is None:
                needed.add(found.value)
                if found.column.blocking and found.plain is None:
                    blocking.append((found.column.name, found.value))
    return needed, blocking


def _translations(plan: RehashPlan, needed: set[str]) -> dict[str, str]:
    """Old → new for the needed hashes, from every stored plaintext that explains one."""
    found: dict[str, str] = {}
    with_plaintext = [c for c in plan.columns if c.source is not None]
    for table, columns in _by_table(with_plaintext).items():
        pk = primary_key(table).name
        for rows in batches(table, [raw(s) for s in dict.fromkeys(c.source for c in columns)]):
            for row in rows:
                for hashed in columns:
                    plain = _plaintext(plan.old, hashed, row, row[pk])
                    if plain is not None:
                        found.update(_explained(plan, hashed, plain, needed))
    return found


def _explained(plan: RehashPlan, hashed: HashColumn, plain: str, needed: set[str]) -> dict[str, str]:
    """The needed old hashes this plaintext was made into, each with its new hash."""
    pairs = ((plan.old.lookup_hash(c), plan.new.lookup_hash(c)) for c in CANDIDATES[hashed.kind](plain))
    return {old: new for old, new in pairs if old in needed}


def apply_rehash(plan: RehashPlan) -> dict[str, Counter]:
    """Write every new hash and the new key's fingerprint in one transaction; counts per column."""
    counts = {hashed.name: Counter() for hashed in plan.columns}
    for table, columns, rows in _hash_batches(plan):
        _rehash_batch(plan, table, columns, rows, counts)
    db.session.merge(KeyFingerprint(name=LOOKUP_KEY, fingerprint=plan.new.lookup_fingerprint(),
                                    recorded_at=utcnow()))
    db.session.commit()
    return counts


def _rehash_batch(plan: RehashPlan, table: sa.Table, columns: list[HashColumn], rows, counts) -> None:
    """Update the batch's hashes; delete the rows whose untranslatable hash may not become NULL."""
    pk = primary_key(table).name
    new = {row[pk]: dict.fromkeys(c.column.name for c in columns) for row in rows}
    doomed = set()
    for found in stored_hashes(plan.old, table, columns, rows):
        outcome, value = plan.rehash(found.column, found.plain, found.value)
        if outcome == DROPPED and found.column.blocking:
            doomed.add(_droppable(plan, found))
        counts[found.column.name][outcome] += 1
        new[found.row_id][found.column.column.name] = value
    _write(table, {row_id: values for row_id, values in new.items() if row_id not in doomed}, doomed)


def _droppable(plan: RehashPlan, found: StoredHash) -> int:
    """The row to delete, if the operator allowed it; a row the dry pass did not see stops the run."""
    if not plan.drop_untranslatable:
        raise RotationError(f"{found.column.name} row {found.row_id}: an untranslatable hash appeared "
                            "after the dry pass (are the web app and the workers stopped?)")
    return found.row_id


def _write(table: sa.Table, new: dict[int, dict[str, str | None]], doomed: set[int]) -> None:
    """One executemany UPDATE for the batch's new hashes, one DELETE for its doomed rows."""
    pk = primary_key(table)
    if new:
        names = list(next(iter(new.values())))
        updates = [{"b_id": row_id, **{f"b_{name}": value for name, value in values.items()}}
                   for row_id, values in new.items()]
        db.session.execute(sa.update(table).where(pk == sa.bindparam("b_id"))
                           .values({name: sa.bindparam(f"b_{name}") for name in names}), updates)
    if doomed:
        db.session.execute(sa.delete(table).where(pk.in_(doomed)))
