"""The result of a crossed random-intercept fit: `CrossedFit`, and how every fit builds one.

`_finish` puts the means and covariance of the groups with ratings back among all groups and
adds the degrees of freedom for CIs; `_constant_fit` and `_empty_fit` are the results for
designs with no variation and with nothing to estimate. NaN stands for whatever cannot be
computed.
"""

from dataclasses import dataclass

import numpy as np

from analysis.stats.mixed.design import _group_means

NAN = float("nan")


@dataclass(frozen=True)
class CrossedFit:
    method: str  # "reml" (exact sparse REML) or "moments" (method of moments + GLS)
    means: np.ndarray  # (n_groups,) GLS estimates of the group means
    cov: np.ndarray  # (n_groups, n_groups) covariance of `means`
    se: np.ndarray  # sqrt(diag(cov))
    variance: dict  # {"participant": float, "sample": float, "residual": float}
    df: float | None  # t degrees of freedom for CIs (see package docstring); None: normal
    converged: bool
    reml_criterion: float | None  # -2 REML log-likelihood at the optimum, as lme4's
    notes: list[str]


def _finish(method, d, present, n_groups, means, cov, variance, *, converged, criterion, notes):
    s2_p, s2_s, s2_e = variance
    full_means = np.full(n_groups, NAN)
    full_cov = np.full((n_groups, n_groups), NAN)
    index = np.flatnonzero(present)
    full_means[index] = means
    full_cov[np.ix_(index, index)] = cov
    diagonal = np.diag(full_cov)
    se = np.sqrt(np.where(diagonal >= 0, diagonal, NAN))
    return CrossedFit(
        method=method,
        means=full_means,
        cov=full_cov,
        se=se,
        variance={
            "participant": float(s2_p) if d.use_participant else NAN,
            "sample": float(s2_s) if d.use_sample else NAN,
            "residual": float(s2_e),
        },
        df=_degrees_of_freedom(d, s2_p, notes),
        converged=converged,
        reml_criterion=criterion,
        notes=notes,
    )


def ci_degrees_of_freedom(
    *,
    n_ratings: int,
    n_samples: int,
    n_groups: int,
    n_participants: int,
    use_participant: bool,
    use_sample: bool,
    participant_variance: float,
) -> float | None:
    """The t degrees of freedom of the CIs of a fit (see the package docstring), None for
    the normal: samples minus groups (ratings minus groups when the sample effect is left
    out), capped at participants - 1 while the participant variance is in the model and
    positive. Public so that the planner gives a planned design the fit's own rule
    (`analysis.planning.analytic.engine_df`)."""
    df = n_samples - n_groups if use_sample else n_ratings - n_groups
    if use_participant and np.isfinite(participant_variance) and participant_variance > 0:
        df = min(df, n_participants - 1)
    return float(df) if df >= 1 else None


def _degrees_of_freedom(d, s2_p, notes):
    df = ci_degrees_of_freedom(
        n_ratings=d.n,
        n_samples=d.n_samples,
        n_groups=d.n_fixed,
        n_participants=d.n_participants,
        use_participant=d.use_participant,
        use_sample=d.use_sample,
        participant_variance=s2_p,
    )
    if df is None:
        notes.append("fewer than one degree of freedom: CIs use normal quantiles")
    return df


def _constant_fit(d, present, n_groups, method, notes):
    notes.append(
        "every rating equals its group's mean: all variance components are zero and the "
        "means have zero standard error"
    )
    zero = np.zeros((d.n_fixed, d.n_fixed))
    return _finish(
        "moments" if method == "moments" else "reml",
        d,
        present,
        n_groups,
        _group_means(d) + d.centre,
        zero,
        (0.0, 0.0, 0.0),
        converged=True,
        criterion=None,
        notes=notes,
    )


def _empty_fit(n_groups, method, notes):
    return CrossedFit(
        method=method,
        means=np.full(n_groups, NAN),
        cov=np.full((n_groups, n_groups), NAN),
        se=np.full(n_groups, NAN),
        variance={"participant": NAN, "sample": NAN, "residual": NAN},
        df=None,
        converged=False,
        reml_criterion=None,
        notes=notes,
    )
