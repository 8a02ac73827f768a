"""Source detection: could raters tell which group a sample came from?

Accuracy is tested with an exact one-sided binomial test (Clopper-Pearson interval) of
"accuracy > chance" against two chance levels:
- uniform: 1/k for k groups (what guessing at random achieves);
- majority: the share of the most frequent true group among the guessed rows (what always
  naming that group achieves), which is the fairer baseline with unbalanced groups.
Guesses of one participant are not independent; the binomial test treats them as if they
were, so its p is optimistic when participants differ in skill.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

NAN = float("nan")


@dataclass(frozen=True)
class BinomialResult:
    successes: int
    trials: int
    proportion: float
    p0: float
    p: float
    ci_low: float
    ci_high: float
    reason: str | None = None


def binomial_test(
    successes: int, trials: int, p0: float, *, alternative: str = "greater", level: float = 0.95
) -> BinomialResult:
    """Exact binomial test (R's `binom.test`) with the Clopper-Pearson interval."""
    if trials <= 0:
        return BinomialResult(0, 0, NAN, p0, NAN, NAN, NAN, "no guesses")
    if not 0 < p0 < 1:
        share = successes / trials
        return BinomialResult(successes, trials, share, p0, NAN, NAN, NAN, "chance level is 0 or 1")
    res = sps.binomtest(int(successes), int(trials), p0, alternative=alternative)
    ci = res.proportion_ci(confidence_level=level, method="exact")
    return BinomialResult(
        int(successes), int(trials), successes / trials, p0, float(res.pvalue), ci.low, ci.high
    )


@dataclass(frozen=True)
class Detection:
    n: int
    correct: int
    accuracy: float
    uniform: BinomialResult
    majority: BinomialResult
    confusion: dict[str, dict[str, int]]
    per_group_accuracy: dict[str, float]


def detection_summary(
    true: np.ndarray, guessed: np.ndarray, groups: Sequence[str], *, level: float = 0.95
) -> Detection:
    """Accuracy against chance and the confusion matrix {true: {guessed: count}}.

    `groups` are the k study groups (rows of the matrix, and 1/k chance); guesses naming
    anything else are counted wrong and get their own column.
    """
    true = np.asarray(true).astype(str)
    guessed = np.asarray(guessed).astype(str)
    n = int(true.size)
    correct = int(np.count_nonzero(true == guessed))
    true_values, true_inv = np.unique(true, return_inverse=True)
    guess_values, guess_inv = np.unique(guessed, return_inverse=True)
    labels = list(groups) + sorted(set(guess_values.tolist()) - set(groups))
    index = {label: i for i, label in enumerate(labels)}
    rows = np.array([index.get(v, -1) for v in true_values.tolist()], dtype=int)[true_inv]
    cols = np.array([index[v] for v in guess_values.tolist()], dtype=int)[guess_inv]
    cells = np.zeros((len(labels), len(labels)), dtype=int)
    known = rows >= 0
    np.add.at(cells, (rows[known], cols[known]), 1)
    confusion = {g: {label: int(cells[index[g], index[label]]) for label in labels} for g in groups}
    per_group = {}
    for g in groups:
        row_total = int(cells[index[g]].sum())
        per_group[g] = float(cells[index[g], index[g]] / row_total) if row_total else NAN
    k = len(groups)
    uniform = binomial_test(correct, n, 1 / k if k else NAN, level=level)
    majority_share = float(cells[: len(groups)].sum(axis=1).max() / n) if n and k else NAN
    majority = binomial_test(correct, n, majority_share, level=level)
    return Detection(n, correct, correct / n if n else NAN, uniform, majority, confusion, per_group)
