"""Simulated pairwise studies for the pairwise-preference tests and `bench/pairwise.py`
(NumPy, seeded).

Samples are spread over the groups in turn; a sample's true ability is its group's plus a
normal deviation (`sample_sd`). Each rater makes `per_rater` comparisons, each of two
samples of two different groups (the group pair and the samples drawn at random, which
side is A at random), and chooses by Davidson's model (`analysis.stats.pairwise`) with
x = ability_A - ability_B + position + the rater's own position lean (normal, `rater_sd`)
and tie parameter `nu` (0: no ties).
"""

import numpy as np

from analysis.engine import ComparisonsFrame

GROUPS = ("human", "ai", "collaboration")


def simulated_codes(
    rng: np.random.Generator,
    *,
    abilities,
    n_raters: int,
    n_samples: int,
    per_rater: int,
    position: float = 0.0,
    nu: float = 0.0,
    sample_sd: float = 0.0,
    rater_sd: float = 0.0,
):
    """(rater, sample_a, sample_b, group_a, group_b, outcome) integer arrays."""
    abilities = np.asarray(abilities, dtype=float)
    k = abilities.size
    group_of = np.arange(n_samples) % k
    true = abilities[group_of] + rng.normal(0, sample_sd, n_samples)
    per_group = np.bincount(group_of, minlength=k)
    n = n_raters * per_rater
    rater = np.repeat(np.arange(n_raters), per_rater)
    first = rng.integers(0, k, n)
    second = (first + rng.integers(1, k, n)) % k
    # The j-th sample of group g is sample g + j k.
    sample_a = first + k * rng.integers(0, per_group[first])
    sample_b = second + k * rng.integers(0, per_group[second])
    lean = rng.normal(0, rater_sd, n_raters)[rater]
    x = true[sample_a] - true[sample_b] + position + lean
    a, b = np.exp(x / 2), np.exp(-x / 2)
    d = a + b + nu
    u = rng.random(n)
    outcome = np.where(u < a / d, 0, np.where(u < (a + b) / d, 1, 2))
    return rater, sample_a, sample_b, group_of[sample_a], group_of[sample_b], outcome


def simulated_frame(rng: np.random.Generator, **design) -> ComparisonsFrame:
    """A `ComparisonsFrame` of one simulated study over `GROUPS` (see `simulated_codes`)."""
    rater, sample_a, sample_b, group_a, group_b, outcome = simulated_codes(rng, **design)
    groups = np.array(GROUPS)
    n = rater.size
    return ComparisonsFrame(
        participant=np.char.add("p", rater.astype(str)),
        sample_a=np.char.add("s", sample_a.astype(str)),
        sample_b=np.char.add("s", sample_b.astype(str)),
        group_a=groups[group_a],
        group_b=groups[group_b],
        choice=np.array(["a", "b", "tie"])[outcome],
        strength=np.full(n, ""),
        seconds=np.full(n, np.nan),
    )
