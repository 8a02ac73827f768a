"""What a plan is about: the design of a crossed rating study, the assumed variance
components, and the true group means the claims are judged against.

The design (DESIGN §7, Planning): each of the groups has `samples_per_group` samples, each
rated by `ratings_per_sample` raters, each rater rating `samples_per_rater` regular samples
balanced over groups (each group `samples_per_rater // groups` times, the remainder groups
drawn at random, as the study's assignment rule serves them). The number of raters
follows: groups * samples_per_group * ratings_per_sample / samples_per_rater, rounded up.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.engine import ClaimSpec


@dataclass(frozen=True)
class Design:
    groups: tuple[str, ...]
    samples_per_group: int
    ratings_per_sample: int
    samples_per_rater: int

    @property
    def raters(self) -> int:
        total = len(self.groups) * self.samples_per_group * self.ratings_per_sample
        return math.ceil(total / self.samples_per_rater)

    @property
    def ratings(self) -> int:
        return len(self.groups) * self.samples_per_group * self.ratings_per_sample

    def with_size(self, samples_per_group: int, ratings_per_sample: int) -> "Design":
        return Design(self.groups, samples_per_group, ratings_per_sample, self.samples_per_rater)

    def problems(self) -> list[str]:
        """Why this design cannot be planned, or an empty list."""
        out = []
        if len(self.groups) < 1 or len(set(self.groups)) != len(self.groups):
            out.append("the design needs one or more groups with distinct keys")
        if self.samples_per_group < 2:
            out.append(
                "samples per group must be at least 2: with one sample a group's mean says "
                "nothing about samples beyond it"
            )
        if self.ratings_per_sample < 1:
            out.append("ratings per sample must be at least 1")
        if self.samples_per_rater < 1:
            out.append("samples per rater must be at least 1")
        elif self.groups and math.ceil(self.samples_per_rater / len(self.groups)) > max(
            self.samples_per_group, 1
        ):
            out.append(
                "samples per rater cannot exceed the samples of the study: a rater would see "
                "a sample twice"
            )
        return out

    def as_dict(self) -> dict:
        return {
            "groups": list(self.groups),
            "samples_per_group": self.samples_per_group,
            "ratings_per_sample": self.ratings_per_sample,
            "samples_per_rater": self.samples_per_rater,
            "raters": self.raters,
            "ratings": self.ratings,
        }


@dataclass(frozen=True)
class Variance:
    """Variance components of the crossed model, in squared scale points."""

    participant: float
    sample: float
    residual: float

    def problems(self) -> list[str]:
        values = (self.participant, self.sample, self.residual)
        if not all(math.isfinite(v) for v in values) or min(values) < 0:
            return ["variance components must be finite and not negative"]
        if not self.residual > 0:
            return ["the residual variance must be above 0"]
        return []

    def as_dict(self) -> dict:
        return {"participant": self.participant, "sample": self.sample, "residual": self.residual}


def contrast(claim: ClaimSpec, groups: Sequence[str]) -> np.ndarray:
    """The claim's weights over the groups: a mean picks one group, a difference a - b."""
    weights = np.zeros(len(groups))
    if claim.kind not in ("mean", "difference"):
        raise ValueError(f"unknown claim kind {claim.kind!r}")
    expected = 1 if claim.kind == "mean" else 2
    if len(claim.groups) != expected or len(set(claim.groups)) != expected:
        raise ValueError(f"a {claim.kind} claim needs {expected} distinct group(s)")
    for key in claim.groups:
        if key not in groups:
            raise ValueError(f"unknown group {key!r} in a claim (groups: {', '.join(groups)})")
    weights[list(groups).index(claim.groups[0])] = 1.0
    if expected == 2:
        weights[list(groups).index(claim.groups[1])] = -1.0
    return weights


def assumed_means(
    groups: Sequence[str],
    claims: Sequence[ClaimSpec],
    truth: Mapping[str, float],
    centre: float,
) -> np.ndarray:
    """True group means: those given in `truth`; the others as the claims say (least
    squares over the claimed means and differences, so consistent claims hold exactly);
    a group no claim pins down sits at `centre` (the middle of the scale)."""
    means = np.full(len(groups), float(centre))
    fixed = np.array([g in truth for g in groups])
    for i, g in enumerate(groups):
        if g in truth:
            means[i] = float(truth[g])
    if fixed.all() or not claims:
        return means
    rows = np.array([contrast(c, groups) for c in claims])
    values = np.array([c.value for c in claims], dtype=float)
    free = ~fixed
    target = values - rows[:, fixed] @ means[fixed] - rows[:, free] @ means[free]
    # Minimum-norm least squares around the centre: groups the claims leave open stay there.
    shift = np.linalg.lstsq(rows[:, free], target, rcond=None)[0]
    means[free] += shift
    return means
