"""Omnibus and pairwise tests of group differences, and Holm's adjustment.

Every function takes plain arrays (one per group) and returns a frozen dataclass whose
statistics are NaN when they cannot be computed, with `reason` saying why; none raises on
degenerate data (one group, one value, zero variance). Sums of squares are centred on
each group's mean (`centred_sum_of_squares`), so offsets like NIST SmLs09's 1e12 cost no
precision beyond that of the inputs.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import stats as sps

from analysis.stats.descriptives import (
    centred_sum_of_squares,
    sample_variance,
    stable_mean,
    t_interval,
)

NAN = float("nan")
MWU_EXACT_MAX_N = 50  # R's wilcox.test: exact p when both n < 50 and there are no ties


@dataclass(frozen=True)
class FTest:
    F: float
    df_num: float
    df_den: float
    p: float
    reason: str | None = None


@dataclass(frozen=True)
class KruskalWallis:
    H: float
    df: float
    p: float
    reason: str | None = None


@dataclass(frozen=True)
class TTest:
    t: float
    df: float
    p: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    reason: str | None = None


@dataclass(frozen=True)
class MannWhitney:
    U: float
    p: float
    method: str
    reason: str | None = None


def _arrays(groups: Sequence[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(g, dtype=float).ravel() for g in groups]


def _shifted(groups: list[np.ndarray]) -> list[np.ndarray]:
    """The groups minus one common value near the data: location-free statistics are
    unchanged, and every later sum works on small, exactly represented deviations."""
    sizes = [g.size for g in groups if g.size]
    if not sizes:
        return groups
    shift = float(np.concatenate(groups).mean())
    if not np.isfinite(shift):
        return groups
    return [g - shift for g in groups]


def anova_oneway(groups: Sequence[np.ndarray]) -> FTest:
    """Classical one-way ANOVA F test (equal variances), as R's `anova(lm(y ~ g))`."""
    gs = _shifted([g for g in _arrays(groups) if g.size])
    k, n = len(gs), sum(g.size for g in gs)
    if k < 2:
        return FTest(NAN, NAN, NAN, NAN, "fewer than two groups with data")
    if n - k < 1:
        return FTest(NAN, k - 1, NAN, NAN, "no replication within groups")
    grand = float(np.concatenate(gs).mean())
    means = np.array([g.mean() for g in gs])
    sizes = np.array([g.size for g in gs], dtype=float)
    ss_between = float(np.sum(sizes * (means - grand) ** 2))
    ss_within = float(sum(centred_sum_of_squares(g) for g in gs))
    df_num, df_den = k - 1, n - k
    if not ss_within > 0:
        return FTest(NAN, df_num, df_den, NAN, "zero variance within groups")
    F = (ss_between / df_num) / (ss_within / df_den)
    return FTest(F, df_num, df_den, float(sps.f.sf(F, df_num, df_den)))


def welch_anova(groups: Sequence[np.ndarray]) -> FTest:
    """Welch's heteroscedastic one-way test, as R's `oneway.test(var.equal = FALSE)`."""
    gs = _shifted([g for g in _arrays(groups) if g.size])
    k = len(gs)
    if k < 2:
        return FTest(NAN, NAN, NAN, NAN, "fewer than two groups with data")
    if min(g.size for g in gs) < 2:
        return FTest(NAN, k - 1, NAN, NAN, "a group has fewer than two values")
    sizes = np.array([g.size for g in gs], dtype=float)
    variances = np.array([sample_variance(g) for g in gs])
    if not np.all(variances > 0):
        return FTest(NAN, k - 1, NAN, NAN, "a group has zero variance")
    means = np.array([g.mean() for g in gs])
    w = sizes / variances
    total = w.sum()
    centre = float(np.sum(w * means) / total)
    a = float(np.sum(w * (means - centre) ** 2)) / (k - 1)
    tmp = float(np.sum((1 - w / total) ** 2 / (sizes - 1)))
    b = 1 + 2 * (k - 2) / (k * k - 1) * tmp
    F = a / b
    df_den = (k * k - 1) / (3 * tmp)
    return FTest(F, k - 1, df_den, float(sps.f.sf(F, k - 1, df_den)))


def kruskal_wallis(groups: Sequence[np.ndarray]) -> KruskalWallis:
    """Kruskal-Wallis H with the tie correction, chi-square p (R's `kruskal.test`)."""
    gs = [g for g in _arrays(groups) if g.size]
    k = len(gs)
    if k < 2:
        return KruskalWallis(NAN, NAN, NAN, "fewer than two groups with data")
    pooled = np.concatenate(gs)
    n = pooled.size
    ranks = sps.rankdata(pooled)
    _, ties = np.unique(pooled, return_counts=True)
    correction = 1 - float(np.sum(ties.astype(float) ** 3 - ties)) / (n**3 - n)
    if correction <= 0:
        return KruskalWallis(NAN, k - 1, NAN, "all values are equal")
    bounds = np.cumsum([0] + [g.size for g in gs])
    centre = (n + 1) / 2
    h = sum((hi - lo) * (ranks[lo:hi].mean() - centre) ** 2 for lo, hi in pairwise(bounds))
    H = 12 / (n * (n + 1)) * h / correction
    return KruskalWallis(H, k - 1, float(sps.chi2.sf(H, k - 1)))


def welch_t(a: np.ndarray, b: np.ndarray, *, level: float = 0.95) -> TTest:
    """Welch two-sample t test of mean(a) - mean(b) with its Welch CI (R's `t.test`)."""
    a, b = _arrays([a, b])
    if a.size < 2 or b.size < 2:
        estimate = float(a.mean() - b.mean()) if a.size and b.size else NAN
        return TTest(NAN, NAN, NAN, estimate, NAN, NAN, NAN, "a group has fewer than two values")
    va, vb = sample_variance(a) / a.size, sample_variance(b) / b.size
    estimate = stable_mean(a) - stable_mean(b)
    se = float(np.sqrt(va + vb))
    if not se > 0:
        return TTest(NAN, NAN, NAN, estimate, 0.0, NAN, NAN, "zero variance in both groups")
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    t = estimate / se
    lo, hi = t_interval(estimate, se, df, level)
    return TTest(t, df, float(2 * sps.t.sf(abs(t), df)), estimate, se, lo, hi)


def one_sample_t(x: np.ndarray, mu: float, *, level: float = 0.95) -> TTest:
    """One-sample t test of mean(x) = mu with the t CI of the mean (R's `t.test(x, mu=)`)."""
    (x,) = _arrays([x])
    if x.size < 2:
        estimate = float(x.mean()) if x.size else NAN
        return TTest(NAN, NAN, NAN, estimate, NAN, NAN, NAN, "fewer than two values")
    estimate = stable_mean(x)
    se = float(np.sqrt(sample_variance(x) / x.size))
    if not se > 0:
        return TTest(NAN, NAN, NAN, estimate, 0.0, NAN, NAN, "zero variance")
    t = (estimate - mu) / se
    lo, hi = t_interval(estimate, se, x.size - 1, level)
    return TTest(t, x.size - 1, float(2 * sps.t.sf(abs(t), x.size - 1)), estimate, se, lo, hi)


def mann_whitney_u(
    a: np.ndarray, b: np.ndarray, *, alternative: str = "two-sided", method: str = "auto"
) -> MannWhitney:
    """Mann-Whitney U of the first group (R's W) and its p value.

    `method="auto"` follows R's `wilcox.test`: the exact distribution when both groups have
    fewer than 50 values and there are no ties, otherwise the normal approximation with
    continuity and tie corrections (SciPy's "asymptotic", identical to R's). SciPy's own
    default switches to the approximation already above 8 values; the two agree wherever
    both use the approximation.
    """
    a, b = _arrays([a, b])
    if a.size == 0 or b.size == 0:
        return MannWhitney(NAN, NAN, method, "a group has no values")
    pooled = np.concatenate([a, b])
    if np.all(pooled == pooled[0]):
        u = a.size * b.size / 2
        return MannWhitney(u, NAN, method, "all values are equal")
    if method == "auto":
        has_ties = np.unique(pooled).size < pooled.size
        small = a.size < MWU_EXACT_MAX_N and b.size < MWU_EXACT_MAX_N
        method = "exact" if small and not has_ties else "asymptotic"
    res = sps.mannwhitneyu(a, b, alternative=alternative, method=method, use_continuity=True)
    return MannWhitney(float(res.statistic), float(res.pvalue), method)


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p values (R's `p.adjust(p, "holm")`); NaN entries are left
    out of the family and stay NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    m = valid.size
    if m == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out
