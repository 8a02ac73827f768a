"""The `reliability` section: agreement between raters, as Krippendorff's alpha and
ICC(A,1), from a complete design or from the crossed model's variance components."""

import numpy as np

from analysis.engine.inputs import CodedRatings
from analysis.engine.parameters import CI_LEVEL
from analysis.engine.reasons import with_reasons
from analysis.stats import reliability


def reliability_section(data: CodedRatings, fit, model_reason) -> dict:
    interval = reliability.krippendorff_alpha(data.sample, data.score, level="interval")
    ordinal = reliability.krippendorff_alpha(data.sample, data.score, level="ordinal")
    out = {
        "krippendorff_alpha_interval": interval.value,
        "krippendorff_alpha_ordinal": ordinal.value,
        "krippendorff_units": interval.n_units,
        "krippendorff_pairable_values": interval.n_pairable,
    }
    reasons = {
        "krippendorff_alpha_interval": interval.reason,
        "krippendorff_alpha_ordinal": ordinal.reason,
    }
    within, within_reason, total, total_reason = _icc_components(data, fit, model_reason)
    out["icc_within_group"] = within
    reasons["icc_within_group"] = within_reason
    complete = _complete_matrix(data)
    if complete is not None:
        icc = reliability.icc_a1(complete, level=CI_LEVEL)
        out.update(
            icc=icc.value,
            icc_method="two_way_anova_complete",
            icc_ci95=[icc.ci_low, icc.ci_high],
            icc_F=icc.F,
            icc_df=[icc.df1, icc.df2],
            icc_p=icc.p,
        )
        for key in ("icc", "icc_ci95", "icc_F", "icc_df", "icc_p"):
            reasons[key] = icc.reason
    else:
        out.update(icc=total, icc_method="crossed_model_variance_components")
        reasons["icc"] = total_reason
    return with_reasons(out, "not computable", **{k: v for k, v in reasons.items() if v})


def _icc_components(data: CodedRatings, fit, model_reason):
    if fit is None:
        return np.nan, model_reason, np.nan, model_reason
    var = fit.variance
    within, reason = reliability.icc_from_components(
        var["sample"], var["participant"], var["residual"]
    )
    if reason:
        reason = f"{reason} (see model notes)"
        return np.nan, reason, np.nan, reason
    unit_fitted = fit.means[data.unit_group]
    spread = float(np.var(unit_fitted, ddof=1)) if unit_fitted.size > 1 else 0.0
    total, total_reason = reliability.icc_from_components(
        var["sample"] + spread, var["participant"], var["residual"]
    )
    return within, None, total, total_reason


def _complete_matrix(data: CodedRatings):
    n_p, n_s = data.participant_names.size, data.n_samples
    n = data.score.size
    if n_p < 2 or n_s < 2 or n != n_p * n_s:
        return None
    cells = data.sample.astype(np.int64) * n_p + data.participant
    if np.unique(cells).size != n:
        return None
    matrix = np.empty(n)
    matrix[cells] = data.score
    return matrix.reshape(n_s, n_p)
