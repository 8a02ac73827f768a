"""The `claims` section: each claim's estimate, intervals, p-values and verdict from the
crossed model, judged by `analysis.stats.claims`."""

import numpy as np

from analysis.engine.inputs import ClaimSpec, CodedRatings
from analysis.engine.model import model_fit
from analysis.engine.parameters import CI_LEVEL
from analysis.engine.reasons import with_reasons
from analysis.stats import claims as claim_stats
from analysis.stats import descriptives


def claims_section(specs, fit, model_reason, data: CodedRatings, keys, alpha, margin) -> list[dict]:
    raw_means = descriptives.grouped_means(data.score, data.group, len(keys))
    out = []
    for spec in specs:
        groups = list(spec.groups)
        contrast, problem = _contrast(spec, keys)
        entry = {
            "kind": spec.kind,
            "groups": groups,
            "claimed": float(spec.value),
            "source": spec.source,
            "margin": margin,
            "equivalence_bounds": [spec.value - margin, spec.value + margin],
        }
        if problem is None and not np.all(np.isfinite(raw_means[contrast != 0])):
            problem = "a group of this claim has no ratings"
        if problem is None and fit is None:
            problem = model_reason
        if problem is not None:
            entry.update(
                observed=None,
                observed_raw=None,
                se=None,
                df=None,
                ci95=[None, None],
                ci_level=1 - alpha,
                ci=[None, None],
                ci_tost=[None, None],
                p=None,
                p_tost=None,
                verdict=None,
            )
            out.append(with_reasons(entry, problem))
            continue
        entry.update(_claim_from_fit(fit, contrast, spec.value, alpha, margin))
        entry["observed_raw"] = float(contrast[contrast != 0] @ raw_means[contrast != 0])
        out.append(with_reasons(entry, entry.pop("_reason") or "not applicable", df=_DF_NORMAL))
    return out


def claim_verdicts(
    score, group, participant, sample, *, keys, claims, alpha, margin, model_method="auto"
) -> list[dict]:
    """The claims section alone, as `analyze` computes it, for regular ratings already
    coded as integers (group codes index `keys`): the crossed model fit and each claim's
    estimate, CIs and verdict. The planner's simulated studies run through it. Entries
    keep NaN where `analyze` would write null."""
    participant = np.asarray(participant, dtype=np.int64)
    names = np.arange(int(participant.max()) + 1 if participant.size else 0)
    data = CodedRatings.build(
        np.asarray(score, dtype=float),
        np.asarray(group, dtype=np.int64),
        participant,
        names,
        np.asarray(sample, dtype=np.int64),
        len(keys),
    )
    fit, reason = model_fit(data, len(keys), model_method)
    return claims_section(claims, fit, reason, data, list(keys), alpha, margin)


_DF_NORMAL = "normal reference: the model gives no degrees of freedom"


def _contrast(spec: ClaimSpec, keys):
    contrast = np.zeros(len(keys))
    expected = {"mean": 1, "difference": 2}.get(spec.kind)
    if expected is None or len(spec.groups) != expected:
        return contrast, f"malformed claim: kind {spec.kind!r} with groups {list(spec.groups)}"
    unknown = [g for g in spec.groups if g not in keys]
    if unknown:
        return contrast, f"unknown group: {', '.join(unknown)}"
    contrast[keys.index(spec.groups[0])] = 1.0
    if expected == 2:
        if spec.groups[0] == spec.groups[1]:
            return contrast, "a difference needs two different groups"
        contrast[keys.index(spec.groups[1])] = -1.0
    return contrast, None


def _claim_from_fit(fit, contrast, claimed, alpha, margin) -> dict:
    from analysis.stats.mixed import mean_ci

    estimate, se, _, _ = mean_ci(fit, contrast, level=1 - alpha)
    result = claim_stats.claim_verdict(estimate, se, claimed, df=fit.df, alpha=alpha, margin=margin)
    _, _, lo95, hi95 = mean_ci(fit, contrast, level=CI_LEVEL)
    if result.reason:
        lo95 = hi95 = np.nan
    return {
        "observed": estimate,
        "se": se,
        "df": fit.df,
        "ci95": [lo95, hi95],
        "ci_level": 1 - alpha,
        "ci": [result.ci_low, result.ci_high],
        "ci_tost": [result.tost_ci_low, result.tost_ci_high],
        "p": result.p,
        "p_tost": result.p_tost,
        "verdict": result.verdict,
        "basis": f"crossed mixed model ({fit.method})",
        "_reason": result.reason,
    }
