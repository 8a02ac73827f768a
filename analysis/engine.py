"""The analysis engine: a results document (DESIGN §4, §5) from arrays of ratings.

`analyze(frame, claims=..., ...)` is pure: no Django, no clock, no I/O; the same data,
parameters and seed give the identical document. Rules it follows:

- Attention-check rows (a finite `attention_low` or `attention_high`) count only for rater
  quality; rows with a missing score are left out (and counted in `notes`).
- Omnibus and pairwise tests, group CIs and bootstrap CIs treat the sample as the unit:
  they run on per-sample mean scores. Group `mean`, `sd`, quartiles and histogram describe
  the ratings themselves; `ci95` is the t interval of the mean of the per-sample means
  (`mean_of_sample_means`), since ratings of one sample are not independent.
- Claim estimates, CIs and verdicts come from the crossed random-intercept model
  (`analysis.stats.mixed`), judged by `analysis.stats.claims` (TOST within ± margin, else
  the 1 - alpha CI against the claim). `claims[].p` tests "true value = claimed".
- Flagged participants (attention, speed, straight-lining; `analysis.stats.raters`) are
  excluded only in `with_exclusions`, which repeats groups, model and claims without them.

Null-with-reason convention: every object holding statistics carries a `reasons` dict;
each of its keys whose value is null (or a list containing null, such as a CI) appears in
`reasons` with a human-readable string saying why. NaN and infinities never reach the
document: they become null with a reason. Top-level `notes` lists study-wide remarks.

ICC: `reliability.icc` is ICC(A,1) (McGraw & Wong 1996). When every participant rated every
sample once it is the classic two-way ANOVA estimate (`icc_method`
"two_way_anova_complete"); otherwise it comes from the crossed model's variance
components, (s2_sample + s2_groups) / (s2_sample + s2_groups + s2_participant +
s2_residual), where s2_groups is the variance of the fitted group means over samples, so
that both estimate the same quantity (the spread of samples' true scores, group
differences included). `icc_within_group` leaves s2_groups out: agreement about samples
beyond their group.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from analysis.stats import (
    bootstrap,
    descriptives,
    detection,
    effects,
    inference,
    raters,
    reliability,
)
from analysis.stats import claims as claim_stats

ENGINE_VERSION = "1.0.0"  # bump when results can change
N_BOOTSTRAP = 2000
CI_LEVEL = 0.95
QUALITY = raters.QualityThresholds()

NO_RATINGS = "no ratings in this group"
NO_MODEL = "mixed model unavailable"
ERROR_FRAME = "RatingsFrame arrays must be one-dimensional and of equal length"


@dataclass(frozen=True)
class ClaimSpec:
    kind: str  # "mean" or "difference"
    groups: tuple[str, ...]  # (g,) or (a, b) meaning mean(a) - mean(b)
    value: float
    source: str = ""


@dataclass
class RatingsFrame:
    """One row per rating of ONE criterion; numpy arrays of equal length."""

    participant: np.ndarray  # str pseudonyms
    sample: np.ndarray  # str sample ids/tokens
    group: np.ndarray  # str group keys
    score: np.ndarray  # float
    seconds: np.ndarray  # float, NaN when unknown
    guess: np.ndarray  # str, "" when no guess
    attention_low: np.ndarray  # float, NaN for regular samples
    attention_high: np.ndarray


@dataclass
class _Ratings:
    """Regular ratings with integer codes: group over `keys`, compact participant/unit."""

    score: np.ndarray
    group: np.ndarray
    participant: np.ndarray
    participant_names: np.ndarray
    sample: np.ndarray
    unit: np.ndarray  # a sample within a group: the unit of the sample-level tests
    unit_group: np.ndarray
    n_samples: int

    @classmethod
    def build(cls, score, group, participant, participant_names, sample, k):
        """From global integer codes (`participant` indexes `participant_names`)."""
        kept, participant = np.unique(participant, return_inverse=True)
        sample_ids, sample = np.unique(sample, return_inverse=True)
        sample = sample.ravel().astype(np.int64)
        unit_keys, unit = np.unique(sample * k + group, return_inverse=True)
        return cls(
            score=score,
            group=group,
            participant=participant.ravel(),
            participant_names=participant_names[kept],
            sample=sample,
            unit=unit.ravel(),
            unit_group=(unit_keys % max(k, 1)).astype(np.int64),
            n_samples=int(sample_ids.size),
        )

    @property
    def unit_means(self) -> np.ndarray:
        return descriptives.grouped_means(self.score, self.unit, self.unit_group.size)


def analyze(
    frame: RatingsFrame,
    *,
    claims: Sequence[ClaimSpec],
    scale_min: float,
    scale_max: float,
    alpha: float = 0.05,
    margin: float | None = None,
    seed: int = 0,
    group_order: Sequence[str] | None = None,
    model_method: str = "auto",
    progress: Callable[[str, int], None] | None = None,
) -> dict:
    """The results document of one criterion's ratings; see the module docstring."""
    report = progress or (lambda stage, percent: None)
    notes: list[str] = []
    alpha, scale_min, scale_max = float(alpha), float(scale_min), float(scale_max)
    margin = claim_stats.default_margin(scale_min, scale_max) if margin is None else float(margin)
    seed = int(seed) % 2**63
    cols = _columns(frame)
    keys = _group_keys(cols["group"], group_order, notes)
    k = len(keys)
    group_code = _codes_in_order(cols["group"], keys)
    is_check = np.isfinite(cols["attention_low"]) | np.isfinite(cols["attention_high"])
    regular = ~is_check & np.isfinite(cols["score"])
    if np.any(~is_check & ~np.isfinite(cols["score"])):
        missing = int(np.count_nonzero(~is_check & ~np.isfinite(cols["score"])))
        notes.append(f"{missing} ratings without a finite score left out")
    names, participant = np.unique(cols["participant"], return_inverse=True)
    participant = participant.ravel()
    sample = np.unique(cols["sample"], return_inverse=True)[1].ravel()
    main = _Ratings.build(
        cols["score"][regular],
        group_code[regular],
        participant[regular],
        names,
        sample[regular],
        k,
    )
    if main.unit_group.size > main.n_samples:
        notes.append("some samples appear in more than one group; each pair is a separate unit")

    doc: dict = {
        "n_ratings": int(main.score.size),
        "n_participants": int(main.participant_names.size),
        "n_samples": main.n_samples,
        "n_attention_check_ratings": int(np.count_nonzero(is_check)),
        "parameters": {
            "alpha": alpha,
            "equivalence_margin": margin,
            "seed": seed,
            "scale": {"min": scale_min, "max": scale_max},
            "model_method": model_method,
            "engine_version": ENGINE_VERSION,
            "confidence_level": CI_LEVEL,
            "n_bootstrap": N_BOOTSTRAP,
            "quantile_method": descriptives.QUANTILE_METHOD,
            "group_order": keys,
            "quality": {
                "attention_max_failures": QUALITY.attention_max_failures,
                "speed_fraction": QUALITY.speed_fraction,
                "straightline_min_items": QUALITY.straightline_min_items,
                "straightline_sd": QUALITY.straightline_sd,
            },
        },
    }
    report("descriptives", 10)
    doc["groups"], boots = _groups(main, keys, seed, stream=0)
    report("tests", 30)
    doc["omnibus"], doc["pairwise"] = _tests(main, keys, boots)
    report("model", 50)
    fit, model_reason = _fit(main, k, model_method)
    doc["model"] = _model_section(fit, model_reason, keys)
    doc["claims"] = _claims(claims, fit, model_reason, main, keys, alpha, margin)
    report("reliability", 70)
    doc["reliability"] = _reliability(main, fit, model_reason)
    report("quality", 85)
    doc["rater_quality"] = _quality(cols, is_check, participant, names)
    doc["zscores"] = _zscores(main, keys)
    flagged_names = set(doc["rater_quality"]["excluded_participants"])
    doc["with_exclusions"] = _with_exclusions(
        doc, main, flagged_names, keys, claims, alpha, margin, seed, model_method
    )
    guessed = regular & (cols["guess"] != "")
    if np.any(guessed):
        doc["detection"] = _detection(
            np.array(keys)[group_code[guessed]], cols["guess"][guessed], keys
        )
    if fit is not None:
        notes.extend(f"model: {note}" for note in fit.notes)
    doc["notes"] = notes
    report("done", 100)
    return _clean(doc)


# Input


def _columns(frame: RatingsFrame) -> dict:
    cols = {
        "participant": _strings(frame.participant),
        "sample": _strings(frame.sample),
        "group": _strings(frame.group),
        "score": np.asarray(frame.score, dtype=float),
        "seconds": np.asarray(frame.seconds, dtype=float),
        "guess": _strings(frame.guess),
        "attention_low": np.asarray(frame.attention_low, dtype=float),
        "attention_high": np.asarray(frame.attention_high, dtype=float),
    }
    lengths = {c.shape for c in cols.values()}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise ValueError(ERROR_FRAME)
    return cols


def _strings(values) -> np.ndarray:
    """A str array; None (as object arrays from a database give it) becomes ""."""
    values = np.asarray(values)
    if values.dtype.kind == "U":
        return values
    if values.dtype == object:
        return np.array(["" if v is None else str(v) for v in values.tolist()], dtype=str)
    return values.astype(str)


def _group_keys(groups, order, notes) -> list[str]:
    present = np.unique(groups).tolist()
    if order is None:
        return sorted(present)
    keys = [str(g) for g in order]
    extra = sorted(set(present) - set(keys))
    if extra:
        notes.append(f"groups not in group_order appended: {', '.join(extra)}")
    return keys + extra


def _codes_in_order(values: np.ndarray, keys: list[str]) -> np.ndarray:
    uniques, inverse = np.unique(values, return_inverse=True)
    index = {key: i for i, key in enumerate(keys)}
    return np.array([index[v] for v in uniques.tolist()], dtype=np.int64)[inverse.ravel()]


# Groups and tests (the sample is the unit)


def _groups(data: _Ratings, keys, seed: int, *, stream: int):
    unit_means = data.unit_means
    order = np.argsort(data.group, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(data.group, minlength=len(keys)))])
    raters_per_group = np.bincount(
        np.unique(data.participant.astype(np.int64) * max(len(keys), 1) + data.group)
        % max(len(keys), 1),
        minlength=len(keys),
    )
    out, boots = {}, []
    for g, key in enumerate(keys):
        scores = data.score[order[bounds[g] : bounds[g + 1]]]
        units = unit_means[data.unit_group == g]
        rng = np.random.default_rng([seed, stream, g])
        boot = bootstrap.bootstrap_means(units, n_resamples=N_BOOTSTRAP, rng=rng)
        boots.append((units, boot))
        out[key] = _group_entry(scores, units, boot, int(raters_per_group[g]))
    return out, boots


def _group_entry(scores, units, boot, n_raters) -> dict:
    if scores.size == 0:
        return _obj(
            {
                "n": 0,
                "n_raters": 0,
                "n_samples": 0,
                "mean": None,
                "sd": None,
                "median": None,
                "q1": None,
                "q3": None,
                "ci95": [None, None],
                "mean_of_sample_means": None,
                "histogram": {},
                "bootstrap_ci95": _obj(
                    {"percentile": [None, None], "bca": [None, None]}, NO_RATINGS
                ),
            },
            NO_RATINGS,
        )
    d = descriptives.describe(scores, level=CI_LEVEL)
    u = descriptives.describe(units, level=CI_LEVEL)
    unit_reason = "fewer than two samples in this group" if units.size < 2 else u.reason
    pct, bca = _boot_intervals(boot, units)
    return _obj(
        {
            "n": d.n,
            "n_raters": n_raters,
            "n_samples": int(units.size),
            "mean": d.mean,
            "sd": d.sd,
            "median": d.median,
            "q1": d.q1,
            "q3": d.q3,
            "ci95": [u.ci_low, u.ci_high],
            "ci95_unit": "sample",
            "mean_of_sample_means": u.mean,
            "histogram": descriptives.histogram(scores),
            "bootstrap_ci95": _obj(
                {"percentile": [pct.low, pct.high], "bca": [bca.low, bca.high]},
                unit_reason,
                percentile=pct.reason,
                bca=bca.reason,
            ),
        },
        d.reason,
        ci95=unit_reason,
    )


def _boot_intervals(boot, units):
    """Percentile and BCa intervals of the mean of per-sample means (null below 2 samples)."""
    if units.size < 2:
        none = bootstrap.Interval(np.nan, np.nan, "fewer than two samples")
        return none, none
    pct = bootstrap.percentile_interval(boot, level=CI_LEVEL)
    accel = bootstrap.acceleration_mean(units)
    return pct, bootstrap.bca_interval(boot, float(units.mean()), accel, level=CI_LEVEL)


def _tests(data: _Ratings, keys, boots):
    per_group = [units for units, _ in boots]
    present = [u for u in per_group if u.size]
    anova = inference.anova_oneway(present)
    welch = inference.welch_anova(present)
    kw = inference.kruskal_wallis(present)
    omnibus = {
        "unit": "sample",
        "anova": _obj(_fields(anova, "F", "df_num", "df_den", "p"), anova.reason),
        "welch_anova": _obj(_fields(welch, "F", "df_num", "df_den", "p"), welch.reason),
        "kruskal_wallis": _obj(_fields(kw, "H", "df", "p"), kw.reason),
    }
    rows, raw = [], []
    for i, j in combinations(range(len(keys)), 2):
        (a, boot_a), (b, boot_b) = boots[i], boots[j]
        t = inference.welch_t(a, b, level=CI_LEVEL)
        u = inference.mann_whitney_u(a, b)
        g = effects.hedges_g(a, b)
        delta = effects.cliffs_delta(a, b)
        boot_diff = boot_a - boot_b
        if a.size >= 2 and b.size >= 2:
            pct = bootstrap.percentile_interval(boot_diff, level=CI_LEVEL)
            accel = bootstrap.acceleration_mean_difference(a, b)
            estimate = float(a.mean() - b.mean())
            bca = bootstrap.bca_interval(boot_diff, estimate, accel, level=CI_LEVEL)
        else:
            pct = bca = bootstrap.Interval(np.nan, np.nan, "a group has fewer than two samples")
        raw.append((t.p, u.p))
        empty = "a group has no ratings" if not (a.size and b.size) else None
        rows.append(
            {
                "groups": [keys[i], keys[j]],
                "n_samples": [int(a.size), int(b.size)],
                "mean_difference": t.estimate,
                "ci95": [t.ci_low, t.ci_high],
                "welch_t": t.t,
                "df": t.df,
                "p": t.p,
                "hedges_g": g.value,
                "cliffs_delta": delta.value,
                "mann_whitney_u": u.U,
                "mann_whitney_method": u.method,
                "p_mann_whitney": u.p,
                "bootstrap_ci95": _obj(
                    {"percentile": [pct.low, pct.high], "bca": [bca.low, bca.high]},
                    empty,
                    percentile=pct.reason,
                    bca=bca.reason,
                ),
                "_reasons": {
                    "mean_difference": empty or t.reason,
                    "ci95": t.reason,
                    "welch_t": t.reason,
                    "df": t.reason,
                    "p": t.reason,
                    "hedges_g": g.reason,
                    "cliffs_delta": delta.reason,
                    "mann_whitney_u": u.reason,
                    "p_mann_whitney": u.reason,
                },
            }
        )
    holm_t = inference.holm([p for p, _ in raw])
    holm_u = inference.holm([p for _, p in raw])
    pairwise = []
    for row, pt, pu in zip(rows, holm_t, holm_u, strict=True):
        reasons = row.pop("_reasons")
        row["p_holm"] = pt
        row["p_mann_whitney_holm"] = pu
        reasons["p_holm"] = reasons["p"]
        reasons["p_mann_whitney_holm"] = reasons["p_mann_whitney"]
        pairwise.append(_obj(row, "not computable", **reasons))
    return omnibus, pairwise


# Model and claims


def _fit(data: _Ratings, k: int, method: str):
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


def _model_section(fit, reason, keys) -> dict:
    if fit is None:
        means = {
            key: _obj({"estimate": None, "se": None, "ci95": [None, None]}, reason) for key in keys
        }
        variance = _obj({"participant": None, "sample": None, "residual": None}, reason)
        return _obj(
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
        means[key] = _obj({"estimate": estimate, "se": se, "ci95": [lo, hi]}, why)
    variance = _obj(dict(fit.variance), "not identifiable in this design (see notes)")
    return _obj(
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


def _claims(specs, fit, model_reason, data: _Ratings, keys, alpha, margin) -> list[dict]:
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
            out.append(_obj(entry, problem))
            continue
        entry.update(_claim_from_fit(fit, contrast, spec.value, alpha, margin))
        entry["observed_raw"] = float(contrast[contrast != 0] @ raw_means[contrast != 0])
        out.append(_obj(entry, entry.pop("_reason") or "not applicable", df=_DF_NORMAL))
    return out


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


# Reliability


def _reliability(data: _Ratings, fit, model_reason) -> dict:
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
    return _obj(out, "not computable", **{k: v for k, v in reasons.items() if v})


def _icc_components(data: _Ratings, fit, model_reason):
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


def _complete_matrix(data: _Ratings):
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


# Raters: quality, z-scores, exclusions, detection


def _quality(cols, is_check, code, names) -> dict:
    q = raters.rater_quality(
        code,
        names.size,
        score=cols["score"],
        seconds=cols["seconds"],
        is_check=is_check,
        check_low=cols["attention_low"],
        check_high=cols["attention_high"],
        thresholds=QUALITY,
    )
    flags = []
    for i in np.flatnonzero(q.flagged):
        why = [
            name
            for name, hit in (
                (raters.ATTENTION, q.attention[i]),
                (raters.SPEEDER, q.speeder[i]),
                (raters.STRAIGHTLINE, q.straightline[i]),
            )
            if hit
        ]
        flags.append(
            _obj(
                {
                    "participant": str(names[i]),
                    "flagged_for": why,
                    "attention_checks": int(q.n_checks[i]),
                    "attention_failures": int(q.n_failed[i]),
                    "median_seconds": q.median_seconds[i],
                    "n_ratings": int(q.n_regular[i]),
                    "sd": q.sd_regular[i],
                },
                "not computable",
                median_seconds="no server-measured times",
                sd="fewer than two regular ratings",
            )
        )
    section = {
        "study_median_seconds": q.study_median_seconds,
        "speed_threshold_seconds": q.speed_threshold,
        "n_flagged": len(flags),
        "n_attention_check_failed": int(np.count_nonzero(q.attention)),
        "n_speeders": int(np.count_nonzero(q.speeder)),
        "n_straight_lining": int(np.count_nonzero(q.straightline)),
        "flags": flags,
        "excluded_participants": [f["participant"] for f in flags],
    }
    return _obj(section, "no server-measured times")


def _zscores(data: _Ratings, keys) -> dict:
    n_p = data.participant_names.size
    z = raters.participant_zscores(data.score, data.participant, n_p)
    usable = np.isfinite(z.z)
    unit_z = descriptives.grouped_means(z.z[usable], data.unit[usable], data.unit_group.size)
    groups = {}
    for g, key in enumerate(keys):
        values = z.z[usable & (data.group == g)]
        units = unit_z[(data.unit_group == g) & np.isfinite(unit_z)]
        d = descriptives.describe(values, level=CI_LEVEL)
        u = descriptives.describe(units, level=CI_LEVEL)
        groups[key] = _obj(
            {"n": d.n, "mean": d.mean, "sd": d.sd, "ci95": [u.ci_low, u.ci_high]},
            d.reason or "no z-scores in this group",
            ci95=u.reason if units.size >= 2 else "fewer than two samples with z-scores",
        )
    invalid = data.participant_names[z.invalid].tolist()
    return {
        "description": "per-participant z-scores (score - participant mean) / participant SD",
        "groups": groups,
        "n_participants_without_z": len(invalid),
        "participants_without_z": invalid,
        "why_without_z": "one rating, or zero SD across the participant's ratings",
    }


def _with_exclusions(doc, main, flagged, keys, claims, alpha, margin, seed, method) -> dict:
    excluded = sorted(flagged & set(main.participant_names.tolist()))
    if not excluded:
        return {
            "excluded_participants": [],
            "n_ratings": doc["n_ratings"],
            "n_participants": doc["n_participants"],
            "identical_to_main": True,
            "groups": doc["groups"],
            "claims": doc["claims"],
            "model": doc["model"],
        }
    keep = ~np.isin(main.participant_names[main.participant], excluded)
    sub = _Ratings.build(
        main.score[keep],
        main.group[keep],
        main.participant[keep],
        main.participant_names,
        main.sample[keep],
        len(keys),
    )
    groups, _ = _groups(sub, keys, seed, stream=1)
    fit, reason = _fit(sub, len(keys), method)
    return {
        "excluded_participants": excluded,
        "n_ratings": int(sub.score.size),
        "n_participants": int(sub.participant_names.size),
        "identical_to_main": False,
        "groups": groups,
        "claims": _claims(claims, fit, reason, sub, keys, alpha, margin),
        "model": _model_section(fit, reason, keys),
    }


def _detection(true, guessed, keys) -> dict:
    d = detection.detection_summary(true, guessed, keys, level=CI_LEVEL)

    def chance(b: detection.BinomialResult) -> dict:
        return _obj(
            {"p0": b.p0, "p": b.p, "ci95": [b.ci_low, b.ci_high]}, b.reason or "not computable"
        )

    return {
        "n": d.n,
        "correct": d.correct,
        "accuracy": d.accuracy,
        "test": "exact binomial, one-sided (accuracy > chance); guesses treated as independent",
        "chance_uniform": chance(d.uniform),
        "chance_majority": chance(d.majority),
        "confusion": d.confusion,
        "per_group_accuracy": _obj(dict(d.per_group_accuracy), "no guesses for this group"),
    }


# Document helpers


def _fields(result, *names) -> dict:
    return {name: getattr(result, name) for name in names}


def _is_null(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return not np.isfinite(value)
    if isinstance(value, list | tuple):
        return any(_is_null(v) for v in value)
    return False


def _obj(fields: dict, reason: str | None, **specific: str | None) -> dict:
    """`fields` plus `reasons`: every null field gets its specific reason, else `reason`."""
    reasons = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            continue
        if _is_null(value):
            reasons[key] = specific.get(key) or reason or "not computable"
    return {**fields, "reasons": reasons}


def _clean(value):
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_clean(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if np.isfinite(value) else None
    return value
