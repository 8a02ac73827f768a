"""The `rater_quality` and `zscores` sections: participants flagged for attention checks,
speed or straight-lining, and per-participant z-scores summarised by group."""

import numpy as np

from analysis.engine.inputs import CodedRatings
from analysis.engine.parameters import CI_LEVEL, QUALITY
from analysis.engine.reasons import with_reasons
from analysis.stats import descriptives, raters


def quality_section(cols, is_check, code, names) -> dict:
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
            with_reasons(
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
    return with_reasons(section, "no server-measured times")


def zscores_section(data: CodedRatings, keys) -> dict:
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
        groups[key] = with_reasons(
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
