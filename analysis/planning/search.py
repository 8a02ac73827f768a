"""The design search: the cheapest design whose every claim gets the right verdict with
the target probability, by the analytic approximation.

The right verdict of a claim: `supported` when the claim is exactly true, and
`contradicted` when the truth is off by `off_by` (default twice the margin). A design's
probability of the right verdict is the smallest of these over its claims. Raters are paid
per rating, so "cheapest" is the fewest ratings (groups x samples x ratings per sample),
ties going to fewer samples; samples per rater stays as given (the length of a session).

More raters cannot make up for too few samples: at S samples per group a group mean's
variance never falls below s2_sample / S however many raters rate each one (Westfall,
Kenny & Judd 2014). `limited_by` says which of the two the study's own design lacks.
"""

from dataclasses import dataclass

import numpy as np

from analysis.planning.analytic import contrast_variance, verdict_probabilities
from analysis.planning.design import Design, Variance

MAX_SAMPLES_PER_GROUP = 2000
# From two ratings per sample: with one, the engine cannot tell sample from residual
# variance, and the study could not check the variances its plan assumed.
RATINGS_PER_SAMPLE_STEPS = (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 70, 100)
# Ratings per sample standing for "as many raters as you like" at a number of samples.
UNLIMITED_RATINGS = 10**6


@dataclass(frozen=True)
class Criterion:
    """What the search asks of a design."""

    alpha: float
    margin: float
    target: float
    off_by: float


def p_right_verdict(design: Design, variance: Variance, weights_list, criterion: Criterion):
    """The smallest, over the claims' contrasts, of P(supported | true) and
    P(contradicted | off by `off_by`)."""
    worst = 1.0
    for weights in _distinct(weights_list):
        cv = contrast_variance(design, variance, weights)
        kw = {"alpha": criterion.alpha, "margin": criterion.margin}
        true = verdict_probabilities(0.0, 0.0, cv, **kw)["p_supported"]
        off = verdict_probabilities(criterion.off_by, 0.0, cv, **kw)["p_contradicted"]
        worst = min(worst, true, off)
    return worst


def _distinct(weights_list):
    """Claims whose contrasts have the same variance in every design count once: only
    the sum of the weights and of their squares matter."""
    seen = {}
    for weights in weights_list:
        key = (round(float(weights.sum()), 9), round(float(weights @ weights), 9))
        seen.setdefault(key, weights)
    return list(seen.values())


def _unlimited(design: Design) -> Design:
    return design.with_size(design.samples_per_group, UNLIMITED_RATINGS)


def _fewest_samples(design, variance, weights_list, criterion, k) -> int | None:
    """The fewest samples per group reaching the target at k ratings per sample (the
    probability rises with samples), or None within the bounds."""
    low = max(2, -(-design.samples_per_rater // len(design.groups)))

    def reaches(s):
        return p_right_verdict(design.with_size(s, k), variance, weights_list, criterion) >= (
            criterion.target
        )

    return _smallest(reaches, low, MAX_SAMPLES_PER_GROUP)


def _fewest_ratings(design, variance, weights_list, criterion) -> int | None:
    """At the design's samples, the fewest ratings per sample reaching the target."""
    low, high = RATINGS_PER_SAMPLE_STEPS[0], UNLIMITED_RATINGS
    s = design.samples_per_group

    def reaches(k):
        return p_right_verdict(design.with_size(s, k), variance, weights_list, criterion) >= (
            criterion.target
        )

    return _smallest(reaches, low, high)


def _smallest(reaches, low: int, high: int) -> int | None:
    """The smallest n in [low, high] with reaches(n) (which grows with n), or None."""
    if not reaches(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if reaches(middle):
            high = middle
        else:
            low = middle + 1
    return low


def recommend(design: Design, variance: Variance, weights_list, criterion: Criterion) -> dict:
    """The cheapest design reaching the target, and what limits the given one."""
    current = p_right_verdict(design, variance, weights_list, criterion)
    ceiling = p_right_verdict(_unlimited(design), variance, weights_list, criterion)
    best = None
    for k in RATINGS_PER_SAMPLE_STEPS:
        s = _fewest_samples(design, variance, weights_list, criterion, k)
        if s is None:
            continue
        candidate = design.with_size(s, k)
        if best is None or (candidate.ratings, s) < (best.ratings, best.samples_per_group):
            best = candidate
    k_here = _fewest_ratings(design, variance, weights_list, criterion)
    out = {
        "target": criterion.target,
        "off_by": criterion.off_by,
        "p_right_verdict_now": current,
        "p_right_verdict_unlimited_raters": ceiling,
        "ratings_per_sample_at_these_samples": k_here,
    }
    if best is None:
        out.update(
            samples_per_group=None,
            ratings_per_sample=None,
            raters=None,
            ratings=None,
            p_right_verdict=None,
            limited_by="search_bounds",
            reason=(
                f"no design up to {MAX_SAMPLES_PER_GROUP} samples per group and "
                f"{RATINGS_PER_SAMPLE_STEPS[-1]} ratings per sample reaches "
                f"{criterion.target:.0%}: the margin is too small for the assumed variances"
            ),
        )
        return out
    out.update(
        samples_per_group=best.samples_per_group,
        ratings_per_sample=best.ratings_per_sample,
        raters=best.raters,
        ratings=best.ratings,
        p_right_verdict=p_right_verdict(best, variance, weights_list, criterion),
    )
    if current >= criterion.target:
        out.update(limited_by=None, reason=f"the design reaches {criterion.target:.0%} as it is")
    elif ceiling < criterion.target:
        out.update(
            limited_by="samples",
            reason=(
                f"with {design.samples_per_group} samples per group no number of raters "
                f"reaches {criterion.target:.0%} (at most {ceiling:.0%} with unlimited "
                "raters): the samples' own variation is the limit; add samples"
            ),
        )
    else:
        out.update(
            limited_by="ratings",
            reason=(
                f"{design.samples_per_group} samples per group can reach "
                f"{criterion.target:.0%} with {k_here} ratings per sample "
                f"({design.with_size(design.samples_per_group, k_here).raters} raters)"
            ),
        )
    return out


def grid(design: Design, variance: Variance, weights_list, criterion: Criterion, *, up_to: int):
    """P(right verdict) over samples per group (rows: ratings per sample), for the plot."""
    low = max(2, -(-design.samples_per_rater // len(design.groups)))
    samples = np.unique(np.linspace(low, max(up_to, low + 1), 12).round().astype(int))
    ratings = sorted({1, 3, 5, 10, 20, design.ratings_per_sample})
    values = [
        [
            round(
                p_right_verdict(design.with_size(int(s), k), variance, weights_list, criterion), 4
            )
            for s in samples
        ]
        for k in ratings
    ]
    return {
        "samples_per_group": [int(s) for s in samples],
        "ratings_per_sample": ratings,
        "p_right_verdict": values,
    }
