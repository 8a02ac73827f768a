"""Standardised effect sizes of a two-group difference.

- Hedges' g: Cohen's d on the pooled SD, times the small-sample correction
  J = 1 - 3 / (4 (n_a + n_b) - 9) (Hedges 1981; the form in Lakens 2013, eq. 4).
- Cliff's delta: P(a > b) - P(a < b) over all pairs, from the rank sum in O(n log n)
  (delta = 2 CLES - 1 with CLES = P(a > b) + P(a = b) / 2), never from the n_a x n_b table.

NaN with a `reason` when the value is undefined.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from analysis.stats.descriptives import centred_sum_of_squares, stable_mean

NAN = float("nan")


@dataclass(frozen=True)
class Effect:
    value: float
    reason: str | None = None


def hedges_g(a: np.ndarray, b: np.ndarray) -> Effect:
    """Bias-corrected standardised mean difference (mean(a) - mean(b)) / pooled SD."""
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    df = a.size + b.size - 2
    if a.size == 0 or b.size == 0 or df < 1:
        return Effect(NAN, "too few values for a pooled SD")
    pooled = (centred_sum_of_squares(a) + centred_sum_of_squares(b)) / df
    if not pooled > 0:
        return Effect(NAN, "zero pooled SD")
    d = (stable_mean(a) - stable_mean(b)) / np.sqrt(pooled)
    if a.size + b.size <= 3:
        return Effect(NAN, "too few values for the small-sample correction")
    j = 1 - 3 / (4 * (a.size + b.size) - 9)
    return Effect(float(d * j))


def common_language_effect(a: np.ndarray, b: np.ndarray) -> Effect:
    """CLES = P(a > b) + P(a = b) / 2 over all pairs (McGraw & Wong 1992)."""
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    if a.size == 0 or b.size == 0:
        return Effect(NAN, "a group has no values")
    ranks = sps.rankdata(np.concatenate([a, b]))
    u = ranks[: a.size].sum() - a.size * (a.size + 1) / 2
    return Effect(float(u / (a.size * b.size)))


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> Effect:
    """Cliff's delta = P(a > b) - P(a < b) = 2 CLES - 1."""
    cles = common_language_effect(a, b)
    if cles.reason:
        return cles
    return Effect(2 * cles.value - 1)
