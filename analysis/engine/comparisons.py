"""The `omnibus` and `pairwise` sections: tests between groups on per-sample mean scores
(ANOVA, Welch ANOVA, Kruskal-Wallis; Welch t, Mann-Whitney U, effect sizes and bootstrap
intervals of each pair, with Holm-adjusted p-values)."""

from itertools import combinations

import numpy as np

from analysis.engine.inputs import CodedRatings
from analysis.engine.parameters import CI_LEVEL
from analysis.engine.reasons import fields_of, with_reasons
from analysis.stats import bootstrap, effects, inference


def tests_section(data: CodedRatings, keys, boots):
    per_group = [units for units, _ in boots]
    present = [u for u in per_group if u.size]
    anova = inference.anova_oneway(present)
    welch = inference.welch_anova(present)
    kw = inference.kruskal_wallis(present)
    omnibus = {
        "unit": "sample",
        "anova": with_reasons(fields_of(anova, "F", "df_num", "df_den", "p"), anova.reason),
        "welch_anova": with_reasons(fields_of(welch, "F", "df_num", "df_den", "p"), welch.reason),
        "kruskal_wallis": with_reasons(fields_of(kw, "H", "df", "p"), kw.reason),
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
                "bootstrap_ci95": with_reasons(
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
        pairwise.append(with_reasons(row, "not computable", **reasons))
    return omnibus, pairwise
