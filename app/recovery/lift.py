"""How much outreach raised the recovery rate compared with the holdout group."""

import math
from dataclasses import dataclass
from statistics import NormalDist

DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class LiftResult:
    """Recovery rates of both groups, their difference (the lift) and its confidence interval."""

    rate_contacted: float | None
    rate_holdout: float | None
    lift: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def significant(self) -> bool:
        """True when the whole interval lies above zero: outreach demonstrably helped."""
        return self.ci_low is not None and self.ci_low > 0


def lift(
    contacted_recovered: int,
    contacted_total: int,
    holdout_recovered: int,
    holdout_total: int,
    confidence: float = DEFAULT_CONFIDENCE,
) -> LiftResult:
    """Difference of recovery proportions with a Newcombe (Wilson score) confidence interval."""
    _check_counts(contacted_recovered, contacted_total)
    _check_counts(holdout_recovered, holdout_total)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
    rate_contacted = _rate(contacted_recovered, contacted_total)
    rate_holdout = _rate(holdout_recovered, holdout_total)
    if rate_contacted is None or rate_holdout is None:
        return LiftResult(rate_contacted, rate_holdout, None, None, None)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    low_c, high_c = wilson_interval(contacted_recovered, contacted_total, z)
    low_h, high_h = wilson_interval(holdout_recovered, holdout_total, z)
    difference = rate_contacted - rate_holdout
    # Newcombe (1998) method 10: combine each group's Wilson interval. Unlike the Wald interval
    # it stays sensible for the small holdout groups and 0 % or 100 % rates a shop often has.
    ci_low = difference - math.hypot(rate_contacted - low_c, high_h - rate_holdout)
    ci_high = difference + math.hypot(high_c - rate_contacted, rate_holdout - low_h)
    # A difference of proportions lies in [-1, 1]; clamp away float rounding at the extremes.
    return LiftResult(
        rate_contacted, rate_holdout, difference, max(-1.0, ci_low), min(1.0, ci_high)
    )


def wilson_interval(successes: int, total: int, z: float) -> tuple[float, float]:
    """Wilson score interval of one proportion for a normal quantile z."""
    p = successes / total
    z2n = z * z / total
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / total + z2n / (4 * total))
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(recovered: int, total: int) -> float | None:
    """The recovery proportion, None for an empty group (no data is not a 0 % rate)."""
    return recovered / total if total else None


def _check_counts(recovered: int, total: int) -> None:
    """Refuse counts that cannot describe a group (negative, or more recoveries than members)."""
    if total < 0 or not 0 <= recovered <= total:
        raise ValueError(f"invalid counts: {recovered} recovered of {total}")
