"""The design of a crossed random-intercept fit, shared by the REML and the moments fits.

`_design` checks the inputs, leaves out missing scores, centres the scores, recodes groups,
participants and samples compactly and decides which random effects the data can identify,
into a `_Design`. The helpers below read a design: group means, the random-effect blocks
kept, and the sizes (dense side, Schur triples) that decide whether exact REML is cheap.
"""

from dataclasses import dataclass

import numpy as np

ERROR_LENGTHS = "score, group, participant and sample must be 1-d arrays of one length"
ERROR_GROUP_CODES = "group codes must be integers in 0..n_groups-1"
ERROR_CODES = "participant and sample codes must be non-negative integers"


@dataclass
class _Design:
    """Scores centred on their grand mean, with compact codes and the effects kept."""

    y: np.ndarray
    centre: float
    group: np.ndarray  # codes 0..n_fixed-1 over the groups that have ratings
    participant: np.ndarray
    sample: np.ndarray
    n_fixed: int
    n_participants: int
    n_samples: int
    use_participant: bool
    use_sample: bool

    @property
    def n(self) -> int:
        return self.y.size


def _design(score, group, participant, sample, n_groups, notes):
    score = np.asarray(score, dtype=float)
    arrays = [np.asarray(a) for a in (group, participant, sample)]
    if score.ndim != 1 or any(a.shape != score.shape for a in arrays):
        raise ValueError(ERROR_LENGTHS)
    group, participant, sample = (_integer_codes(a) for a in arrays)
    if group.size and (group.min() < 0 or group.max() >= n_groups):
        raise ValueError(ERROR_GROUP_CODES)
    if participant.size and min(participant.min(), sample.min()) < 0:
        raise ValueError(ERROR_CODES)
    finite = np.isfinite(score)
    if not finite.all():
        notes.append(f"{int((~finite).sum())} ratings with a missing or infinite score left out")
        score, group, participant, sample = (a[finite] for a in (score, group, participant, sample))
    if score.size == 0:
        notes.append("no ratings: nothing to estimate")
        return None, np.zeros(n_groups, dtype=bool)

    present = np.bincount(group, minlength=n_groups) > 0
    for g in np.flatnonzero(~present):
        notes.append(f"group {g} has no ratings: its mean is NaN")
    group = np.cumsum(present)[group] - 1
    participant = np.unique(participant, return_inverse=True)[1].astype(np.int64)
    sample = np.unique(sample, return_inverse=True)[1].astype(np.int64)
    n_fixed = int(present.sum())
    n_p, n_s = int(participant.max()) + 1, int(sample.max()) + 1

    sample_groups = np.unique(sample * n_fixed + group)
    if sample_groups.size != n_s:
        notes.append("some samples are rated in more than one group; samples should be nested")
    samples_per_group = np.bincount(sample_groups % n_fixed, minlength=n_fixed)
    for g in np.flatnonzero(samples_per_group == 1):
        if samples_per_group.max() > 1:
            notes.append(
                f"group {np.flatnonzero(present)[g]} has one sample: its SE rests on the "
                "sample variance estimated from the other groups"
            )

    use_p, use_s, identified = identified_effects(
        n_participants=n_p,
        most_ratings_per_participant=int(np.bincount(participant).max()),
        most_samples_per_group=int(samples_per_group.max()),
        most_ratings_per_sample=int(np.bincount(sample).max()),
        own_samples_only=n_p == n_s and np.unique(participant * n_s + sample).size == n_p,
    )
    notes.extend(identified)

    centre = float(score.mean())
    design = _Design(
        y=score - centre,
        centre=centre,
        group=group,
        participant=participant,
        sample=sample,
        n_fixed=n_fixed,
        n_participants=n_p,
        n_samples=n_s,
        use_participant=use_p,
        use_sample=use_s,
    )
    return design, present


def identified_effects(
    *,
    n_participants: int,
    most_ratings_per_participant: int,
    most_samples_per_group: int,
    most_ratings_per_sample: int,
    own_samples_only: bool,
) -> tuple[bool, bool, list[str]]:
    """Which random effects a design identifies: (participant, sample, notes saying why one
    is left out). The fit's rule, public so that the planner applies it to a planned design
    (`analysis.planning.analytic.engine_df`). `own_samples_only`: each participant rated
    only their own sample (as many participants as samples, one pair each)."""
    notes = []
    use_p, use_s = True, True
    if n_participants == 1:
        use_p = False
        notes.append(
            "one participant: participant variance is not identifiable (NaN) and the means "
            "are conditional on this rater"
        )
    elif most_ratings_per_participant == 1:
        use_p = False
        notes.append(
            "every participant gave one rating: participant and residual variance cannot be "
            "separated; participant variance is NaN and the residual holds both"
        )
    if most_samples_per_group == 1:
        use_s = False
        notes.append(
            "one sample per group: sample variance is not identifiable (NaN) and the SEs "
            "leave out sample-to-sample variation"
        )
    elif most_ratings_per_sample == 1:
        use_s = False
        notes.append(
            "one rating per sample: sample and residual variance cannot be separated; sample "
            "variance is NaN and the residual holds both"
        )
    if use_p and use_s and own_samples_only:
        use_p = False
        notes.append(
            "each participant rated only their own sample: participant and sample effects "
            "coincide and are fitted as one sample effect; participant variance is NaN"
        )
    return use_p, use_s, notes


def _integer_codes(codes):
    if codes.size == 0:
        return codes.astype(np.int64)
    if not np.issubdtype(codes.dtype, np.integer):
        as_int = codes.astype(np.int64)
        if not np.array_equal(as_int, codes):
            raise ValueError(ERROR_CODES)
        codes = as_int
    return codes.astype(np.int64)


def _group_means(d):
    counts = np.bincount(d.group, minlength=d.n_fixed)
    return np.bincount(d.group, weights=d.y, minlength=d.n_fixed) / counts


def _blocks(d):
    """The random-effect blocks kept in the model: (name, codes, number of levels)."""
    blocks = []
    if d.use_participant:
        blocks.append(("participant", d.participant, d.n_participants))
    if d.use_sample:
        blocks.append(("sample", d.sample, d.n_samples))
    return blocks


def _dense_side(d):
    blocks = _blocks(d)
    return min(b[2] for b in blocks) if len(blocks) == 2 else 0


def _schur_pairs(d):
    """Number of (row, row, column) triples that assembling the Schur complement touches."""
    blocks = _blocks(d)
    if len(blocks) < 2:
        return 0
    small, large = sorted(blocks, key=lambda b: b[2])
    cells = np.unique(small[1] * large[2] + large[1]) % large[2]
    per_column = np.bincount(cells, minlength=large[2]).astype(np.float64)
    return float(per_column @ per_column)
