"""The `groups` section: per-group descriptives of the ratings, the t interval of the mean
of per-sample means and its bootstrap intervals (the sample is the unit)."""

import numpy as np

from analysis.engine.inputs import CodedRatings
from analysis.engine.parameters import CI_LEVEL, N_BOOTSTRAP
from analysis.engine.reasons import with_reasons
from analysis.stats import bootstrap, descriptives

NO_RATINGS = "no ratings in this group"


def groups_section(data: CodedRatings, keys, seed: int, *, stream: int):
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
        return with_reasons(
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
                "bootstrap_ci95": with_reasons(
                    {"percentile": [None, None], "bca": [None, None]}, NO_RATINGS
                ),
            },
            NO_RATINGS,
        )
    d = descriptives.describe(scores, level=CI_LEVEL)
    u = descriptives.describe(units, level=CI_LEVEL)
    unit_reason = "fewer than two samples in this group" if units.size < 2 else u.reason
    pct, bca = _boot_intervals(boot, units)
    return with_reasons(
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
            "bootstrap_ci95": with_reasons(
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
