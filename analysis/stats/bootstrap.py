"""Seeded, vectorised bootstrap of means and differences of means.

Resampling draws index matrices in chunks (`CHUNK_VALUES` values at a time) from a NumPy
`Generator`, so memory stays bounded at a million values and the same seed gives the same
distribution. Intervals:

- percentile: the (1-level)/2 and (1+level)/2 quantiles of the bootstrap distribution
  (NumPy's linear quantiles, as SciPy's `bootstrap`);
- BCa (Efron 1987): bias correction z0 from the share of resamples below the estimate
  (ties counted half, as SciPy) and the acceleration from the jackknife. For k independent
  samples the multi-sample jackknife of Efron & Tibshirani (1993, ch. 14) is used:
  U_ji = (n_j - 1)(mean_i theta_(ji) - theta_(ji)),
  a = sum_j sum_i U_ji^3 / n_j^3 / (6 [sum_j sum_i U_ji^2 / n_j^2]^1.5).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

CHUNK_VALUES = 4_000_000
NAN = float("nan")


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    reason: str | None = None


def bootstrap_means(x: np.ndarray, *, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of `n_resamples` resamples (with replacement) of x, in a fixed order."""
    x = np.asarray(x, dtype=float).ravel()
    out = np.empty(n_resamples)
    if x.size == 0:
        out.fill(np.nan)
        return out
    per_chunk = max(1, CHUNK_VALUES // x.size)
    for start in range(0, n_resamples, per_chunk):
        stop = min(start + per_chunk, n_resamples)
        idx = rng.integers(0, x.size, size=(stop - start, x.size))
        out[start:stop] = x[idx].mean(axis=1)
    return out


def percentile_interval(boot: np.ndarray, *, level: float = 0.95) -> Interval:
    boot = np.asarray(boot, dtype=float)
    if boot.size == 0 or not np.all(np.isfinite(boot)):
        return Interval(NAN, NAN, "no finite bootstrap distribution")
    lo, hi = np.percentile(boot, [50 * (1 - level), 50 * (1 + level)])
    return Interval(float(lo), float(hi))


def jackknife_acceleration(leave_one_out: Sequence[np.ndarray]) -> float:
    """BCa acceleration from the leave-one-out values theta_(ji) of each of k independent
    samples (one array per sample); NaN when every jackknife value is equal."""
    num = den = 0.0
    for theta in leave_one_out:
        theta = np.asarray(theta, dtype=float)
        n = theta.size
        if n < 2:
            continue
        u = (n - 1) * (theta.mean() - theta)
        num += float(np.sum(u**3)) / n**3
        den += float(np.sum(u**2)) / n**2
    if not den > 0:
        return NAN
    return num / (6 * den**1.5)


def leave_one_out_means(x: np.ndarray) -> np.ndarray:
    """theta_(i) = mean of x without x_i, in O(n)."""
    x = np.asarray(x, dtype=float).ravel()
    if x.size < 2:
        return np.full(x.size, np.nan)
    centred = x - x.mean()
    return x.mean() - centred / (x.size - 1)


def acceleration_mean(x: np.ndarray) -> float:
    return jackknife_acceleration([leave_one_out_means(x)])


def acceleration_mean_difference(x: np.ndarray, y: np.ndarray) -> float:
    """Acceleration for mean(x) - mean(y) with x and y resampled independently."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    return jackknife_acceleration(
        [leave_one_out_means(x) - y.mean(), x.mean() - leave_one_out_means(y)]
    )


def bca_interval(
    boot: np.ndarray, estimate: float, acceleration: float, *, level: float = 0.95
) -> Interval:
    """Bias-corrected and accelerated interval from a bootstrap distribution."""
    boot = np.asarray(boot, dtype=float)
    if boot.size == 0 or not np.all(np.isfinite(boot)):
        return Interval(NAN, NAN, "no finite bootstrap distribution")
    if not np.isfinite(acceleration):
        return Interval(NAN, NAN, "jackknife acceleration undefined (constant jackknife)")
    share = (np.count_nonzero(boot < estimate) + np.count_nonzero(boot <= estimate)) / (
        2 * boot.size
    )
    z0 = float(special.ndtri(share))
    if not np.isfinite(z0):
        return Interval(NAN, NAN, "bootstrap distribution lies entirely on one side")
    probs = []
    for z_alpha in special.ndtri([(1 - level) / 2, (1 + level) / 2]):
        shifted = z0 + z_alpha
        probs.append(float(special.ndtr(z0 + shifted / (1 - acceleration * shifted))))
    lo, hi = np.percentile(boot, [100 * probs[0], 100 * probs[1]])
    return Interval(float(lo), float(hi))
