"""The `detection` section: whether raters' guesses of each sample's group beat chance,
judged with the crossing of raters and samples respected (`analysis.stats.detection`)."""

import numpy as np

from analysis.engine.parameters import CI_LEVEL
from analysis.engine.reasons import with_reasons
from analysis.stats import detection

TEST = (
    "one-sided t test of accuracy > chance on min(raters, samples) - 1 df, with a two-way "
    "(rater and sample) cluster-robust variance; p_binomial_naive and ci95_binomial_naive "
    "come from an exact binomial test that treats guesses as independent, for comparison only"
)
METHOD = "two_way_cluster_robust"
CORRECTION = "log-linear (Hautus 1995): H = (hits + 0.5) / (signal + 1), likewise F"


def _interval(e) -> list[float]:
    return [e.ci_low, e.ci_high]


def _chance(test: detection.ChanceTest, alpha: float) -> dict:
    naive = test.naive
    better = None if not np.isfinite(test.p) else bool(test.p < alpha)
    return with_reasons(
        {
            "p0": test.p0,
            "p": test.p,
            "ci95": [test.ci_low, test.ci_high],
            "better_than_chance": better,
            "p_binomial_naive": naive.p,
            "ci95_binomial_naive": list(test.naive_ci),
        },
        test.reason or "not computable",
        p_binomial_naive=naive.reason,
        ci95_binomial_naive=naive.reason,
    )


def _estimate(e: detection.CrossedEstimate) -> dict:
    return with_reasons(
        {"estimate": e.estimate, "se": e.se, "ci95": _interval(e)}, e.reason or "not computable"
    )


def _per_rater(d: detection.Detection, names: np.ndarray) -> list[dict]:
    r, sdt = d.per_rater, d.per_rater.sdt
    columns = zip(
        r.labels.tolist(),
        r.n.tolist(),
        r.correct.tolist(),
        r.accuracy.tolist(),
        sdt.hits.tolist(),
        sdt.signal_trials.tolist(),
        sdt.false_alarms.tolist(),
        sdt.noise_trials.tolist(),
        sdt.d_prime.tolist(),
        sdt.c.tolist(),
        strict=True,
    )
    rows = []
    for code, n, correct, accuracy, hits, signal, false_alarms, noise, d_prime, c in columns:
        if not n:
            continue
        missing = d.sdt_reason or (
            detection.NO_SIGNAL_TRIALS if not signal else detection.NO_NOISE_TRIALS
        )
        row = {
            "participant": str(names[code]),
            "n": int(n),
            "correct": int(correct),
            "accuracy": accuracy,
            "hits": int(hits),
            "signal_trials": int(signal),
            "false_alarms": int(false_alarms),
            "noise_trials": int(noise),
            "d_prime": d_prime,
            "c": c,
        }
        rows.append(with_reasons(row, missing))
    return rows


def _signal_detection(d: detection.Detection) -> dict:
    fields = {
        "signal": list(detection.SIGNAL_GROUPS),
        "noise": list(detection.NOISE_GROUPS),
        "correction": CORRECTION,
        "n": d.sdt_n,
    }
    if d.sdt is None:
        return with_reasons({**fields, "d_prime": None, "c": None}, d.sdt_reason)
    counts = d.sdt.counts
    return with_reasons(
        {
            **fields,
            "hits": int(counts.hits),
            "signal_trials": int(counts.signal_trials),
            "false_alarms": int(counts.false_alarms),
            "noise_trials": int(counts.noise_trials),
            "hit_rate": float(counts.hit_rate),
            "false_alarm_rate": float(counts.false_alarm_rate),
            "d_prime": _estimate(d.sdt.d_prime),
            "c": _estimate(d.sdt.c),
        },
        d.sdt.reason or "not computable",
    )


def detection_section(true, guessed, keys, *, participant, names, sample, alpha: float) -> dict:
    """The section for guesses `guessed` of samples whose group is `true`; `participant`
    holds codes into `names`, `sample` any sample codes."""
    d = detection.detection_summary(
        true, guessed, keys, rater=participant, sample=sample, level=CI_LEVEL
    )
    return {
        "n": d.n,
        "correct": d.correct,
        "accuracy": d.accuracy.estimate,
        "n_participants": d.n_raters,
        "n_samples": d.n_samples,
        "method": METHOD,
        "test": TEST,
        "accuracy_ci95": with_reasons(
            {"se": d.accuracy.se, "df": d.accuracy.df, "ci95": _interval(d.accuracy)},
            d.accuracy.reason or "not computable",
        ),
        "chance_uniform": _chance(d.uniform, alpha),
        "chance_majority": _chance(d.majority, alpha),
        "confusion": d.confusion,
        "per_group_accuracy": with_reasons(
            {g: e.estimate for g, e in d.per_group.items()}, "no guesses for this group"
        ),
        "per_group": {
            g: {"n": int(np.count_nonzero(np.asarray(true) == g)), **_estimate(e)}
            for g, e in d.per_group.items()
        },
        "signal_detection": _signal_detection(d),
        "per_participant": _per_rater(d, names),
    }
