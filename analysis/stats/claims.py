"""Verdicts on claimed values (a group mean or a difference of two means).

Given an estimate, its standard error and degrees of freedom (None: normal reference), a
claim `value` is judged with the equivalence margin m (DESIGN §4):

- `supported`: two one-sided tests (TOST, Schuirmann 1987) reject both "true <= value - m"
  and "true >= value + m" at level alpha; equivalently the 1 - 2 alpha CI lies strictly
  inside [value - m, value + m];
- otherwise `contradicted`: the 1 - alpha CI excludes the value (the two-sided test of
  "true = value" has p < alpha);
- otherwise `inconclusive`.

The TOST p is the larger of the two one-sided p values. A verdict needs a finite estimate
and a positive standard error; otherwise it is None with a reason.

The rule lives in one place, `verdict_regions`: for a standard error it gives where the
estimate must fall for each verdict, and `VerdictRegions.verdict` (the verdict of an
estimate, as `claim_verdict` gives it) and `VerdictRegions.probabilities` (the chance of
each verdict for an estimate of a given distribution, as the planner needs) both read it.
"""

import functools
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
NAN = float("nan")


@dataclass(frozen=True)
class ClaimResult:
    estimate: float
    se: float
    df: float | None
    claimed: float
    margin: float
    ci_low: float  # 1 - alpha
    ci_high: float
    tost_ci_low: float  # 1 - 2 alpha
    tost_ci_high: float
    p: float  # two-sided test of true == claimed
    p_tost: float
    p_tost_lower: float
    p_tost_upper: float
    verdict: str | None
    reason: str | None = None


def default_margin(scale_min: float, scale_max: float) -> float:
    """Half a point on a 1-10 scale, scaled with the range: 0.5 * (max - min) / 9."""
    return 0.5 * (scale_max - scale_min) / 9


def _reference(df: float | None):
    if df is None or not np.isfinite(df):
        return sps.norm
    return sps.t(df)


def _interval(estimate: float, se: float, quantile: float) -> tuple[float, float]:
    half = quantile * se
    return estimate - half, estimate + half


def claim_verdict(
    estimate: float,
    se: float,
    claimed: float,
    *,
    df: float | None = None,
    alpha: float = 0.05,
    margin: float,
) -> ClaimResult:
    """TOST-based verdict on `claimed` for an estimate with standard error `se`."""
    if df is not None and not df > 0:
        return _undecided(estimate, se, df, claimed, margin, "degrees of freedom not positive")
    if not np.isfinite(estimate):
        return _undecided(estimate, se, df, claimed, margin, "no estimate")
    if not (np.isfinite(se) and se > 0):
        return _undecided(estimate, se, df, claimed, margin, "standard error is zero or unknown")
    dist = _reference(df)
    q_tost, q_two_sided = _quantiles(df, alpha)
    lo, hi = _interval(estimate, se, q_two_sided)
    tlo, thi = _interval(estimate, se, q_tost)
    p = float(2 * dist.sf(abs(estimate - claimed) / se))
    p_lower = float(dist.sf((estimate - (claimed - margin)) / se))
    p_upper = float(dist.cdf((estimate - (claimed + margin)) / se))
    regions = verdict_regions(se, claimed, df=df, alpha=alpha, margin=margin)
    return ClaimResult(
        float(estimate),
        float(se),
        df,
        float(claimed),
        float(margin),
        lo,
        hi,
        tlo,
        thi,
        p,
        max(p_lower, p_upper),
        p_lower,
        p_upper,
        str(regions.verdict(estimate)),
    )


@dataclass(frozen=True)
class VerdictRegions:
    """The verdict rule as regions of the estimate, for a given standard error:
    `supported` when the estimate lies strictly between `supported_low` and
    `supported_high` (an empty region when low >= high); otherwise `contradicted` when it
    lies strictly outside [`consistent_low`, `consistent_high`]; otherwise `inconclusive`.
    Array-valued when `se` is an array (the planner integrates over its distribution)."""

    supported_low: np.ndarray
    supported_high: np.ndarray
    consistent_low: np.ndarray
    consistent_high: np.ndarray

    def verdict(self, estimate) -> np.ndarray:
        """The verdict of `estimate` (scalar or array, broadcast against the regions)."""
        estimate = np.asarray(estimate, dtype=float)
        supported = (self.supported_low < estimate) & (estimate < self.supported_high)
        outside = (estimate < self.consistent_low) | (estimate > self.consistent_high)
        return np.where(supported, SUPPORTED, np.where(outside, CONTRADICTED, INCONCLUSIVE))

    def probabilities(self, cdf) -> dict[str, np.ndarray]:
        """The chance of each verdict for an estimate with the continuous distribution
        function `cdf` (vectorised): the measure of the regions of `verdict`, where
        `supported` takes precedence over `contradicted`."""
        a, b = self.supported_low, self.supported_high
        lo, hi = self.consistent_low, self.consistent_high

        def between(low, high):
            low, high = np.asarray(low), np.asarray(high)
            return np.where(high > low, cdf(high) - cdf(low), 0.0)

        supported = between(a, b)
        # Outside [lo, hi] but not in the supported region (on either side of it).
        overlap = between(np.maximum(a, hi), b) + between(a, np.minimum(b, lo))
        contradicted = 1.0 - between(lo, hi) - overlap
        return {
            SUPPORTED: supported,
            CONTRADICTED: contradicted,
            INCONCLUSIVE: 1.0 - supported - contradicted,
        }


def verdict_regions(se, claimed: float, *, df: float | None, alpha: float, margin: float):
    """Where the estimate must fall for each verdict at standard error
    `se` (positive, scalar or array): the 1 - 2 alpha CI inside claimed +- margin is
    estimate - q1 se > claimed - margin and estimate + q1 se < claimed + margin; the 1 -
    alpha CI excluding the claim is |estimate - claimed| > q2 se."""
    q_tost, q_two_sided = _quantiles(df, alpha)
    se = np.asarray(se, dtype=float)
    return VerdictRegions(
        supported_low=claimed - margin + q_tost * se,
        supported_high=claimed + margin - q_tost * se,
        consistent_low=claimed - q_two_sided * se,
        consistent_high=claimed + q_two_sided * se,
    )


@functools.lru_cache(maxsize=4096)
def _quantiles(df: float | None, alpha: float) -> tuple[float, float]:
    """The upper quantiles of the 1 - 2 alpha and the 1 - alpha two-sided intervals."""
    dist = _reference(df)
    return float(dist.ppf(0.5 + (1 - 2 * alpha) / 2)), float(dist.ppf(0.5 + (1 - alpha) / 2))


def _undecided(estimate, se, df, claimed, margin, reason: str) -> ClaimResult:
    return ClaimResult(
        float(estimate),
        float(se),
        df,
        float(claimed),
        float(margin),
        NAN,
        NAN,
        NAN,
        NAN,
        NAN,
        NAN,
        NAN,
        NAN,
        None,
        reason,
    )
