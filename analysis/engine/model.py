"""The `model` section: the crossed random-intercept fit (`analysis.stats.mixed`) that
claims and the ICC build on, and its fitted group means and variance components."""

import numpy as np

from analysis.engine.groups import NO_RATINGS
from analysis.engine.inputs import CodedRatings
from analysis.engine.parameters import CI_LEVEL
from analysis.engine.reasons import with_reasons

NO_MODEL = "mixed model unavailable"


def model_fit(data: CodedRatings, k: int, method: str):
    """The crossed model fit, or (None, reason): never raises."""
    if data.score.size == 0:
        return None, "no ratings"
    try:
        from analysis.stats.mixed import fit_crossed
    except ImportError as exc:
        return None, f"{NO_MODEL}: {exc}"
    try:
        fit = fit_crossed(
            data.score, data.group, data.participant, data.sample, n_groups=k, method=method
        )
    except Exception as exc:
        return None, f"model fit failed: {type(exc).__name__}: {exc}"
    return fit, None


def model_section(fit, reason, keys) -> dict:
    if fit is None:
        means = {
            key: with_reasons({"estimate": None, "se": None, "ci95": [None, None]}, reason)
            for key in keys
        }
        variance = with_reasons({"participant": None, "sample": None, "residual": None}, reason)
        return with_reasons(
            {"method": None, "means": means, "variance": variance, "df": None, "converged": None},
            reason,
        )
    from analysis.stats.mixed import mean_ci

    means = {}
    for g, key in enumerate(keys):
        contrast = np.zeros(len(keys))
        contrast[g] = 1.0
        estimate, se, lo, hi = mean_ci(fit, contrast, level=CI_LEVEL)
        why = NO_RATINGS if not np.isfinite(estimate) else "standard error not identifiable"
        means[key] = with_reasons({"estimate": estimate, "se": se, "ci95": [lo, hi]}, why)
    variance = with_reasons(dict(fit.variance), "not identifiable in this design (see notes)")
    return with_reasons(
        {
            "method": fit.method,
            "means": means,
            "variance": variance,
            "df": fit.df,
            "converged": fit.converged,
            "reml_criterion": fit.reml_criterion,
            "notes": list(fit.notes),
        },
        "not applicable",
        df="normal reference: fewer than one degree of freedom",
        reml_criterion="not a REML fit" if fit.method != "reml" else "not computed",
    )
