"""The holdout draw: a stable, uniform share of checkouts that are never contacted."""

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.recovery.holdout import is_holdout

SECRET = b"test-holdout-secret"
SHOP = "demo-shop.myshopify.com"
TOKENS = [f"{n:032x}" for n in range(10_000)]
# Pinned once from is_holdout(SECRET, SHOP, f"{n:032x}", 50) for n < 64, and cross-checked with a
# hand-written HMAC-SHA256 over b"shop\x00token": first 8 bytes, big-endian, over 2**64.
PINNED_AT_50_PERCENT = "1111100101001110000111011110010000101010100000000011100001111000"


def share(percent: int, secret: bytes = SECRET, shop: str = SHOP) -> float:
    return sum(is_holdout(secret, shop, token, percent) for token in TOKENS) / len(TOKENS)


@pytest.mark.parametrize("percent", [1, 10, 25, 50, 90])
def test_the_held_out_share_matches_the_percent(percent: int) -> None:
    p = percent / 100
    four_standard_deviations = 4 * (p * (1 - p) / len(TOKENS)) ** 0.5
    assert abs(share(percent) - p) < four_standard_deviations


def test_zero_percent_holds_out_nobody() -> None:
    assert share(0) == 0


def test_hundred_percent_holds_out_everybody() -> None:
    assert share(100) == 1


def test_the_draw_is_deterministic() -> None:
    first = [is_holdout(SECRET, SHOP, token, 10) for token in TOKENS[:500]]
    again = [is_holdout(SECRET, SHOP, token, 10) for token in TOKENS[:500]]
    assert first == again


def test_the_draw_is_the_same_in_another_process() -> None:
    # A different hash seed would change anything built on hash(); the HMAC draw must not move.
    script = (
        "from app.recovery.holdout import is_holdout\n"
        f"print(''.join('1' if is_holdout({SECRET!r}, {SHOP!r}, f'{{n:032x}}', 10) else '0'"
        " for n in range(500)))"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": root}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    here = "".join("1" if is_holdout(SECRET, SHOP, token, 10) else "0" for token in TOKENS[:500])
    assert result.stdout.strip() == here


def test_known_checkouts_keep_their_assignment() -> None:
    # Changing the derivation would silently reshuffle every running experiment.
    drawn = "".join("1" if is_holdout(SECRET, SHOP, t, 50) else "0" for t in TOKENS[:64])
    assert drawn == PINNED_AT_50_PERCENT
    assert [n for n in range(64) if is_holdout(SECRET, SHOP, TOKENS[n], 10)] == [40, 50, 57]


def test_groups_grow_monotonically_with_the_percent() -> None:
    # Raising the percent only adds checkouts to the holdout; none leaves it.
    for token in TOKENS[:1000]:
        drawn = [is_holdout(SECRET, SHOP, token, p) for p in range(0, 101, 5)]
        assert drawn == sorted(drawn)


def test_another_secret_draws_other_checkouts() -> None:
    mine = {t for t in TOKENS if is_holdout(SECRET, SHOP, t, 10)}
    theirs = {t for t in TOKENS if is_holdout(b"another-secret", SHOP, t, 10)}
    assert mine != theirs
    # Independent draws overlap in about 1 % of tokens, not 10 %.
    assert len(mine & theirs) < 0.03 * len(TOKENS)


def test_shops_draw_independently() -> None:
    mine = {t for t in TOKENS if is_holdout(SECRET, SHOP, t, 10)}
    theirs = {t for t in TOKENS if is_holdout(SECRET, "other.myshopify.com", t, 10)}
    assert len(mine & theirs) < 0.03 * len(TOKENS)


def test_shop_domain_case_does_not_matter() -> None:
    assert all(
        is_holdout(SECRET, SHOP, t, 30) == is_holdout(SECRET, SHOP.upper(), t, 30)
        for t in TOKENS[:300]
    )


@pytest.mark.parametrize("percent", [-1, 101])
def test_a_percent_outside_0_to_100_is_refused(percent: int) -> None:
    with pytest.raises(ValueError):
        is_holdout(SECRET, SHOP, "token", percent)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        is_holdout(b"", SHOP, "token", 10)


@settings(database=None, max_examples=200)
@given(secret=st.binary(min_size=1), shop=st.text(), token=st.text(), percent=st.integers(0, 100))
def test_any_checkout_gets_a_boolean_consistent_with_the_bounds(secret, shop, token, percent):
    drawn = is_holdout(secret, shop, token, percent)
    assert drawn is is_holdout(secret, shop, token, percent)
    assert not is_holdout(secret, shop, token, 0)
    assert is_holdout(secret, shop, token, 100)
    if drawn and percent < 100:
        assert is_holdout(secret, shop, token, percent + 1)

