"""Which checkouts are held out of outreach, so that recovery lift can be measured."""

import hashlib
import hmac

# 8 bytes of the digest give 2**64 equally likely values: far finer than one percent.
_DRAW_BYTES = 8
_DRAW_RANGE = 2 ** (8 * _DRAW_BYTES)
_PERCENT = 100
# Separates the two fields so that ("ab", "c") and ("a", "bc") cannot draw the same value.
_FIELD_SEPARATOR = b"\x00"


def is_holdout(secret: bytes, shop_domain: str, checkout_token: str, percent: int) -> bool:
    """True when this checkout falls in the shop's holdout share (stable for the same inputs)."""
    if not secret:
        # Without a secret anyone could predict, and so game, the assignment.
        raise ValueError("holdout secret must not be empty")
    if not 0 <= percent <= _PERCENT:
        raise ValueError(f"holdout percent must be within 0..100, got {percent}")
    message = shop_domain.lower().encode() + _FIELD_SEPARATOR + checkout_token.encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    draw = int.from_bytes(digest[:_DRAW_BYTES], "big")
    # draw / 2**64 is uniform in [0, 1); compare in integers to avoid float rounding at the edges.
    return draw * _PERCENT < percent * _DRAW_RANGE
