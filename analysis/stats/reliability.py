"""Inter-rater reliability: Krippendorff's alpha on sparse data, and ICC(A,1).

Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's alpha-reliability")
takes long data (one row per value: its unit and value; coders matter only through which
values share a unit) and never builds a units x coders matrix. Only pairable values
count: units with fewer than two values are dropped. With n pairable values,

    alpha = 1 - (n - 1) * sum_u [sum_{i != j in u} delta^2(v_i, v_j) / (m_u - 1)]
                       / sum_{i != j} delta^2(v_i, v_j)

- interval: delta^2 = (v_i - v_j)^2; sum_{i != j in u} = 2 m_u SS_u, so both sums come
  from per-unit centred sums of squares (bincount);
- ordinal: delta(c, k) = sum_{g=c..k} n_g - (n_c + n_k) / 2 = t(k) - t(c) with
  t(c) = sum_{g<c} n_g + n_c / 2, so ordinal alpha is interval alpha on t(v);
- nominal: delta = [v_i != v_j]; sums from value counts per unit.

ICC(A,1) (McGraw & Wong 1996, case 2A: two-way random effects, absolute agreement, single
rater) from the two-way ANOVA of a complete targets x raters matrix, with McGraw & Wong's
F test and confidence interval; for sparse crossed designs `icc_from_components` gives
the same quantity from variance components of the crossed random-effects model.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

NAN = float("nan")
LEVELS = ("interval", "ordinal", "nominal")


@dataclass(frozen=True)
class Alpha:
    value: float
    n_pairable: int
    n_units: int
    reason: str | None = None


@dataclass(frozen=True)
class ICC:
    value: float
    F: float
    df1: float
    df2: float
    p: float
    ci_low: float
    ci_high: float
    reason: str | None = None


def _codes(x: np.ndarray) -> tuple[np.ndarray, int]:
    uniques, inverse = np.unique(x, return_inverse=True)
    return inverse.ravel(), uniques.size


def krippendorff_alpha(units: np.ndarray, values: np.ndarray, *, level: str) -> Alpha:
    """Krippendorff's alpha of long data: `units[i]` is the unit of value `values[i]`.

    Missing values (NaN for numbers, None for labels) are ignored. `level` is "interval",
    "ordinal" or "nominal" (nominal accepts labels of any sortable type).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    units = np.asarray(units).ravel()
    values = np.asarray(values).ravel()
    if values.dtype.kind in "fc":
        keep = ~np.isnan(values)
    elif values.dtype == object:
        keep = np.array([v is not None for v in values], dtype=bool)
    else:
        keep = np.ones(values.size, dtype=bool)
    units, values = units[keep], values[keep]
    if units.size == 0:
        return Alpha(NAN, 0, 0, "no values")
    unit, n_units = _codes(units)
    m_u = np.bincount(unit, minlength=n_units)
    pairable = m_u[unit] >= 2
    unit, values = unit[pairable], values[pairable]
    n = int(unit.size)
    if n == 0:
        return Alpha(NAN, 0, 0, "no unit has two or more values")
    unit, n_units = _codes(unit)
    m_u = np.bincount(unit, minlength=n_units).astype(float)
    if level == "nominal":
        return _nominal(unit, values, m_u, n, n_units)
    v = values.astype(float)
    if level == "ordinal":
        _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
        below = np.concatenate([[0.0], np.cumsum(counts)[:-1]])
        v = (below + counts / 2.0)[inverse.ravel()]
    return _interval(unit, v, m_u, n, n_units)


def _interval(unit: np.ndarray, v: np.ndarray, m_u: np.ndarray, n: int, n_units: int) -> Alpha:
    mean_u = np.bincount(unit, weights=v, minlength=n_units) / m_u
    d = v - mean_u[unit]
    ss_u = np.bincount(unit, weights=d * d, minlength=n_units)
    total = v - v.mean()
    ss_total = float(np.dot(total, total))
    if not ss_total > 0:
        return Alpha(NAN, n, n_units, "no variation among pairable values")
    observed = float(np.sum(2 * m_u * ss_u / (m_u - 1)))
    alpha = 1 - (n - 1) * observed / (2 * n * ss_total)
    return Alpha(alpha, n, n_units)


def _nominal(unit: np.ndarray, values: np.ndarray, m_u: np.ndarray, n: int, n_units: int):
    code, n_values = _codes(values)
    keys, per_unit_value = np.unique(unit * n_values + code, return_counts=True)
    same_u = np.bincount(
        keys // n_values, weights=per_unit_value.astype(float) ** 2, minlength=n_units
    )
    observed = float(np.sum((m_u**2 - same_u) / (m_u - 1)))
    n_c = np.bincount(code, minlength=n_values).astype(float)
    expected = float(n * n - np.sum(n_c**2))
    if not expected > 0:
        return Alpha(NAN, n, n_units, "no variation among pairable values")
    return Alpha(1 - (n - 1) * observed / expected, n, n_units)


def icc_a1(matrix: np.ndarray, *, level: float = 0.95) -> ICC:
    """ICC(A,1) of a complete targets x raters matrix (rows: rated targets)."""
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        return ICC(NAN, NAN, NAN, NAN, NAN, NAN, NAN, "needs a complete targets x raters matrix")
    n, k = x.shape
    if n < 2 or k < 2:
        return ICC(NAN, NAN, NAN, NAN, NAN, NAN, NAN, "needs two or more targets and raters")
    grand = x.mean()
    rows = x.mean(axis=1)
    cols = x.mean(axis=0)
    resid = x - rows[:, None] - cols[None, :] + grand
    msr = k * float(np.sum((rows - grand) ** 2)) / (n - 1)
    msc = n * float(np.sum((cols - grand) ** 2)) / (k - 1)
    df2 = (n - 1) * (k - 1)
    mse = float(np.sum(resid**2)) / df2
    denominator = msr + (k - 1) * mse + k * (msc - mse) / n
    if not (mse > 0 and denominator > 0):
        return ICC(NAN, NAN, n - 1, df2, NAN, NAN, NAN, "no residual or total variance")
    icc = (msr - mse) / denominator
    F = msr / mse
    p = float(sps.f.sf(F, n - 1, df2))
    lo, hi = _icc_a1_interval(icc, msr, msc, mse, n, k, level)
    return ICC(icc, F, n - 1, df2, p, lo, hi)


def _icc_a1_interval(icc, msr, msc, mse, n, k, level) -> tuple[float, float]:
    """McGraw & Wong (1996) Table 7, case 2A, with Satterthwaite's df for the denominator."""
    fj = msc / mse
    ratio = n * (1 + (k - 1) * icc) - k * icc
    v_num = (k - 1) * (n - 1) * (k * icc * fj + ratio) ** 2
    v_den = (n - 1) * k**2 * icc**2 * fj**2 + ratio**2
    v = v_num / v_den
    q = 0.5 + level / 2
    f_upper = float(sps.f.ppf(q, n - 1, v))
    f_lower = float(sps.f.ppf(q, v, n - 1))
    lo = n * (msr - f_upper * mse) / (f_upper * (k * msc + (k * n - k - n) * mse) + n * msr)
    hi = n * (f_lower * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_lower * msr)
    return float(lo), float(hi)


def icc_from_components(target: float, rater: float, residual: float) -> tuple[float, str | None]:
    """ICC(A,1) = target / (target + rater + residual) from variance components."""
    parts = np.array([target, rater, residual], dtype=float)
    if not np.all(np.isfinite(parts)):
        return NAN, "variance components unavailable"
    total = float(parts.sum())
    if not total > 0:
        return NAN, "zero total variance"
    return float(target) / total, None
