"""Recovery lift of contacted checkouts over the holdout, with its confidence interval."""

import math
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.recovery.lift import LiftResult, lift

Z95 = NormalDist().inv_cdf(0.975)


def wilson_by_hand(successes: int, total: int, z: float) -> tuple[float, float]:
    """Wilson (1927) score interval, written out from the textbook formula."""
    p = successes / total
    denominator = 1 + z**2 / total
    centre = (p + z**2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)) / denominator
    return centre - half, centre + half


def test_synthetic_campaign_with_a_known_ten_point_lift() -> None:
    result = lift(300, 1000, 20, 100)
    assert result.rate_contacted == pytest.approx(0.30)
    assert result.rate_holdout == pytest.approx(0.20)
    assert result.lift == pytest.approx(0.10)
    low_c, high_c = wilson_by_hand(300, 1000, Z95)
    low_h, high_h = wilson_by_hand(20, 100, Z95)
    expected_low = 0.10 - math.sqrt((0.30 - low_c) ** 2 + (high_h - 0.20) ** 2)
    expected_high = 0.10 + math.sqrt((high_c - 0.30) ** 2 + (0.20 - low_h) ** 2)
    assert result.ci_low == pytest.approx(expected_low)
    assert result.ci_high == pytest.approx(expected_high)
    assert result.ci_low == pytest.approx(0.00698, abs=1e-5)
    assert result.ci_high == pytest.approx(0.17272, abs=1e-5)
    assert result.significant


@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
        ((6, 7, 2, 7), 0.0582, 0.8062),
        ((5, 56, 0, 29), -0.0381, 0.1926),
        ((0, 10, 0, 20), -0.1611, 0.2775),
    ],
)
def test_interval_matches_newcombes_published_examples(counts, low, high) -> None:
    # Newcombe, Statistics in Medicine 17 (1998) 873-890, Table II, method 10.
    result = lift(*counts)
    assert result.ci_low == pytest.approx(low, abs=5e-5)
    assert result.ci_high == pytest.approx(high, abs=5e-5)


def test_large_groups_agree_with_the_wald_interval() -> None:
    result = lift(30_000, 100_000, 2_000, 10_000)
    standard_error = math.sqrt(0.3 * 0.7 / 100_000 + 0.2 * 0.8 / 10_000)
    assert result.ci_low == pytest.approx(0.10 - Z95 * standard_error, abs=5e-4)
    assert result.ci_high == pytest.approx(0.10 + Z95 * standard_error, abs=5e-4)


def test_a_higher_confidence_widens_the_interval() -> None:
    at_95 = lift(300, 1000, 20, 100)
    at_99 = lift(300, 1000, 20, 100, confidence=0.99)
    assert at_99.ci_low < at_95.ci_low and at_99.ci_high > at_95.ci_high
    assert not at_99.significant


def test_no_difference_is_not_significant() -> None:
    result = lift(50, 500, 5, 50)
    assert result.lift == pytest.approx(0)
    assert result.ci_low < 0 < result.ci_high
    assert not result.significant


def test_empty_groups_give_no_numbers_instead_of_dividing_by_zero() -> None:
    assert lift(0, 0, 0, 0) == LiftResult(None, None, None, None, None)


def test_an_empty_holdout_gives_the_contacted_rate_only() -> None:
    assert lift(30, 100, 0, 0) == LiftResult(0.3, None, None, None, None)
    assert not lift(30, 100, 0, 0).significant


def test_an_empty_contacted_group_gives_the_holdout_rate_only() -> None:
    assert lift(0, 0, 2, 10) == LiftResult(None, 0.2, None, None, None)


@pytest.mark.parametrize("counts", [(5, 4, 0, 10), (-1, 10, 0, 10), (0, 10, 11, 10), (0, -1, 0, 1)])
def test_impossible_counts_are_refused(counts) -> None:
    with pytest.raises(ValueError):
        lift(*counts)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1])
def test_a_confidence_outside_0_to_1_is_refused(confidence) -> None:
    with pytest.raises(ValueError):
        lift(1, 10, 1, 10, confidence=confidence)


@st.composite
def groups(draw) -> tuple[int, int, int, int]:
    contacted_total = draw(st.integers(1, 5000))
    holdout_total = draw(st.integers(1, 5000))
    return (
        draw(st.integers(0, contacted_total)),
        contacted_total,
        draw(st.integers(0, holdout_total)),
        holdout_total,
    )


@settings(database=None, max_examples=300)
@given(groups(), st.floats(0.5, 0.999))
def test_the_interval_contains_the_lift_and_stays_within_minus_one_to_one(counts, confidence):
    result = lift(*counts, confidence=confidence)
    assert result.lift is not None and result.ci_low is not None and result.ci_high is not None
    assert -1 <= result.ci_low <= result.lift <= result.ci_high <= 1
    assert result.lift == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
