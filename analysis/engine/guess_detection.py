"""The `detection` section: whether raters' guesses of each sample's group beat chance."""

from analysis.engine.parameters import CI_LEVEL
from analysis.engine.reasons import _obj
from analysis.stats import detection


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
