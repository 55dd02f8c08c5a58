"""Encryption at rest (Fernet with key rotation) and keyed lookup hashes for personal data."""

from __future__ import annotations

import hashlib
import hmac
import json
import zlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

EXTENSION_KEY = "ringback.keyring"
# Marks a compressed plaintext: a byte no UTF-8 text starts with, so tokens written before
# compression existed (and columns that never compress) read as they always did.
_COMPRESSED = b"\xff"


class Keyring:
    """The first key encrypts; every key decrypts, so keys can be rotated without downtime."""

    def __init__(self, keys: tuple[str, ...], lookup_key: str = ""):
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        # The lookup key must outlive encryption-key rotation. Production names its own
        # (RINGBACK_LOOKUP_KEY, required there); elsewhere it derives from the oldest key (last in
        # the list), which stays in place while newer keys are prepended. `app.keys` refuses to run
        # when it changes either way.
        seed = lookup_key or keys[-1]
        self._lookup_key = hashlib.sha256(b"ringback-lookup\x00" + seed.encode()).digest()

    def encrypt(self, plaintext: str, compress: bool = False) -> str:
        """A Fernet token of the text; with `compress`, of the text zlib-compressed (large texts:
        ciphertext does not compress, so this is the only place it can be done)."""
        data = plaintext.encode("utf-8")
        if compress:
            data = _COMPRESSED + zlib.compress(data, 1)
        return self._fernet.encrypt(data).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text of a token, compressed or not (MultiFernet.rotate keeps either as it is)."""
        data = self._fernet.decrypt(token.encode("ascii"))
        if data[:1] == _COMPRESSED:
            data = zlib.decompress(data[1:])
        return data.decode("utf-8")

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the current first key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def lookup_fingerprint(self) -> str:
        """Names the lookup key without revealing it: equal keys, equal fingerprints (see app.keys)."""
        return hmac.new(self._lookup_key, b"ringback-key-fingerprint\x00", hashlib.sha256).hexdigest()

    def lookup_hash(self, value: str) -> str:
        """A keyed hash that finds a row by a personal value without storing the value."""
        return hmac.new(self._lookup_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def init_app(app) -> None:
    app.extensions[EXTENSION_KEY] = Keyring(
        tuple(app.config["RINGBACK_ENCRYPTION_KEYS"]), app.config.get("RINGBACK_LOOKUP_KEY", "")
    )


def keyring() -> Keyring:
    return current_app.extensions[EXTENSION_KEY]


def lookup_hash(value: str) -> str:
    return keyring().lookup_hash(value)


def customer_hash(customer_id: int | None) -> str | None:
    """Shopify's customer id, kept only as a keyed hash: it finds the customer's rows, names no one."""
    return lookup_hash(f"shopify-customer:{customer_id}") if customer_id is not None else None


class EncryptedText(TypeDecorator):
    """A text column stored as a Fernet token; readable only with the app's keys."""

    impl = Text
    cache_ok = True
    compress = False  # CompressedEncryptedText: zlib inside the token

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keyring().encrypt(value, compress=self.compress)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return keyring().decrypt(value)


class CompressedEncryptedText(EncryptedText):
    """An EncryptedText for large texts (webhook payloads): compressed inside the token. A 1.7 KB
    checkout makes a 0.9 KB token instead of 2.4 KB, under PostgreSQL's TOAST threshold, so its row
    is written inline (bench/README.md: webhook_ingest.py)."""

    cache_ok = True
    compress = True


class EncryptedJSON(EncryptedText):
    """A JSON value (a cart's lines, say) stored as a Fernet token of its JSON text (an EncryptedText
    underneath, so key rotation and every check of encrypted columns cover it too)."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return super().process_bind_param(json.dumps(value, separators=(",", ":"), sort_keys=True), dialect)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return json.loads(super().process_result_value(value, dialect))


__all__ = ["EncryptedJSON", "EncryptedText", "InvalidToken", "Keyring", "customer_hash", "init_app",
           "keyring", "lookup_hash"]
