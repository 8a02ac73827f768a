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
"""

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


def _interval(estimate: float, se: float, dist, level: float) -> tuple[float, float]:
    half = float(dist.ppf(0.5 + level / 2)) * se
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
    lo, hi = _interval(estimate, se, dist, 1 - alpha)
    tlo, thi = _interval(estimate, se, dist, 1 - 2 * alpha)
    p = float(2 * dist.sf(abs(estimate - claimed) / se))
    p_lower = float(dist.sf((estimate - (claimed - margin)) / se))
    p_upper = float(dist.cdf((estimate - (claimed + margin)) / se))
    if tlo > claimed - margin and thi < claimed + margin:
        verdict = SUPPORTED
    elif claimed < lo or claimed > hi:
        verdict = CONTRADICTED
    else:
        verdict = INCONCLUSIVE
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
        verdict,
    )


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
