"""Descriptive statistics of one set of scores.

Quantiles use NumPy's default definition ("linear", Hyndman & Fan type 7, R's default
`quantile(type = 7)`). Sums of squares are taken about the mean with a second-pass
correction, so data with a large common offset (NIST SmLs09: 1e12 + tenths) keep their
precision. A value that cannot be computed is NaN and `reason` says why.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

QUANTILE_METHOD = "linear"


@dataclass(frozen=True)
class Descriptives:
    n: int
    mean: float
    sd: float
    median: float
    q1: float
    q3: float
    ci_low: float
    ci_high: float
    reason: str | None = None


def stable_mean(x: np.ndarray) -> float:
    """Mean with one refinement pass: m0 + mean(x - m0). The deviations from a value near
    the data are exact (Sterbenz), so an offset such as 1e12 costs no digits."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return float("nan")
    m0 = float(x.mean())
    return m0 + float((x - m0).mean())


def centred_sum_of_squares(x: np.ndarray) -> float:
    """Sum of squared deviations from the mean, two-pass with the rounding correction
    (Chan, Golub & LeVeque 1983): exact to rounding even for a large common offset."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return float("nan")
    d = x - x.mean()
    return float(np.dot(d, d) - d.sum() ** 2 / x.size)


def sample_variance(x: np.ndarray) -> float:
    """Variance with ddof=1; NaN for fewer than two values."""
    x = np.asarray(x, dtype=float)
    if x.size < 2:
        return float("nan")
    return max(centred_sum_of_squares(x), 0.0) / (x.size - 1)


def t_interval(mean: float, se: float, df: float, level: float) -> tuple[float, float]:
    """mean ± t_{(1+level)/2, df} * se (NaN when df is not positive)."""
    if not (df > 0) or not np.isfinite(se):
        return float("nan"), float("nan")
    half = float(sps.t.ppf(0.5 + level / 2, df)) * se
    return mean - half, mean + half


def describe(x: np.ndarray, *, level: float = 0.95) -> Descriptives:
    """n, mean, SD (ddof=1), median, quartiles and the t-based CI of the mean."""
    x = np.asarray(x, dtype=float)
    n = int(x.size)
    nan = float("nan")
    if n == 0:
        return Descriptives(0, nan, nan, nan, nan, nan, nan, nan, "no values")
    mean = stable_mean(x)
    q1, median, q3 = (float(v) for v in np.percentile(x, [25, 50, 75], method=QUANTILE_METHOD))
    if n == 1:
        return Descriptives(1, mean, nan, median, q1, q3, nan, nan, "only one value")
    sd = float(np.sqrt(sample_variance(x)))
    lo, hi = t_interval(mean, sd / np.sqrt(n), n - 1, level)
    return Descriptives(n, mean, sd, median, q1, q3, lo, hi)


def format_score(value: float) -> str:
    """A score as a compact key: 7.0 -> "7", 7.5 -> "7.5", -0.0 -> "0"."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return repr(value)


def histogram(x: np.ndarray) -> dict[str, int]:
    """{score: count} in ascending order of score, keys formatted by `format_score`."""
    values, counts = np.unique(np.asarray(x, dtype=float), return_counts=True)
    return {format_score(v): int(c) for v, c in zip(values, counts, strict=True)}


def grouped_means(values: np.ndarray, codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Mean of `values` per integer code 0..n_codes-1 (NaN for empty codes), vectorised."""
    values = np.asarray(values, dtype=float)
    shift = float(values.mean()) if values.size else 0.0
    counts = np.bincount(codes, minlength=n_codes).astype(float)
    sums = np.bincount(codes, weights=values - shift, minlength=n_codes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts + shift


def grouped_sd(values: np.ndarray, codes: np.ndarray, n_codes: int) -> np.ndarray:
    """SD (ddof=1) of `values` per integer code, centred on each code's mean; NaN for codes
    with fewer than two values."""
    counts = np.bincount(codes, minlength=n_codes).astype(float)
    means = grouped_means(values, codes, n_codes)
    d = values - means[codes]
    ss = np.bincount(codes, weights=d * d, minlength=n_codes)
    s1 = np.bincount(codes, weights=d, minlength=n_codes)
    with np.errstate(invalid="ignore", divide="ignore"):
        ss = np.maximum(ss - s1 * s1 / counts, 0.0)
        sd = np.sqrt(ss / (counts - 1))
    sd[counts < 2] = np.nan
    return sd


def string_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """(labels, codes) of a string column, labels[codes] == values: through a 64-bit FNV-1a
    hash of each value, because np.unique on the hashes is several times faster than on
    the strings at a million rows. The result is checked value by value, and a collision
    falls back to np.unique on the strings, so it is always exact. Labels come in the
    order of their hashes."""
    values = np.ascontiguousarray(np.asarray(values, dtype=str))
    if values.size == 0 or values.dtype.itemsize == 0:
        labels, codes = np.unique(values, return_inverse=True)
        return labels, codes.ravel().astype(np.int64)
    width = values.dtype.itemsize // 4
    chars = values.view(np.uint32).reshape(-1, width)
    hashed = np.full(values.size, 1469598103934665603, dtype=np.uint64)
    for column in range(width):
        hashed ^= chars[:, column]  # one column at a time: no n x width copy
        hashed *= np.uint64(1099511628211)
    _, first, codes = np.unique(hashed, return_index=True, return_inverse=True)
    codes = codes.ravel().astype(np.int64)
    labels = values[first]
    if not np.array_equal(labels[codes], values):
        labels, codes = np.unique(values, return_inverse=True)
        codes = codes.ravel().astype(np.int64)
    return labels, codes
