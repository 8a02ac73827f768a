"""The Monte Carlo check: whole studies of the design simulated from the assumed model and
judged by the engine's own claim verdicts (`analysis.engine.claim_verdicts`: the crossed
model fit and `analysis.stats.claims`), so that the plan needs no approximation at all.

Each simulated study draws a balanced assignment (every rater gets samples_per_rater //
groups samples of each group, the remainder in random groups, no sample twice, each sample
ratings_per_sample raters), rater leniencies, sample qualities and residuals from normal
distributions with the assumed variance components, and scores = true group mean +
leniency + quality + residual, rounded to the scale's steps and clipped to it when
`integer` is set. Study i draws from the generator seeded with (seed, i), so a result does
not depend on how the studies are split between processes.
"""

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from analysis.engine import ClaimSpec, claim_verdicts
from analysis.planning.design import Design, Variance

VERDICTS = ("supported", "contradicted", "inconclusive")


@dataclass(frozen=True)
class Scale:
    low: float
    high: float
    step: float = 1.0


def simulated_study(design: Design, variance: Variance, means, rng, *, scale=None):
    """One study's regular ratings as integer-coded arrays: score, group, participant,
    sample. `scale` (a `Scale`) rounds and clips the scores to it."""
    groups = len(design.groups)
    s, k, m = design.samples_per_group, design.ratings_per_sample, design.samples_per_rater
    raters = design.raters
    base, remainder = divmod(m, groups)
    # The remainder goes round the groups (in a random order of raters and of groups), so
    # each group gets as many extra ratings as the next, as the assignment rule, which
    # serves groups short of their target, ends up doing.
    rank = rng.permutation(raters)
    offset = (rank[:, None] * remainder + np.arange(remainder)[None, :]) % groups
    extra = np.zeros((raters, groups), dtype=np.int64)
    np.put_along_axis(extra, rng.permutation(groups)[offset], 1, axis=1)
    demand = base + extra
    parts_group, parts_rater, parts_sample = [], [], []
    for g in range(groups):
        order = rng.permutation(raters)
        rater = np.repeat(order, demand[order, g])[: s * k]
        # Round robin over the samples: a rater's consecutive positions (at most s of them)
        # fall on distinct samples, and each sample gets k of the s * k positions.
        label = rng.permutation(s)
        sample = g * s + label[np.arange(rater.size) % s]
        parts_group.append(np.full(rater.size, g, dtype=np.int64))
        parts_rater.append(rater)
        parts_sample.append(sample)
    group = np.concatenate(parts_group)
    participant = np.concatenate(parts_rater)
    sample = np.concatenate(parts_sample)
    leniency = rng.normal(0.0, np.sqrt(variance.participant), raters)
    quality = rng.normal(0.0, np.sqrt(variance.sample), groups * s)
    noise = rng.normal(0.0, np.sqrt(variance.residual), group.size)
    score = np.asarray(means, dtype=float)[group] + leniency[participant] + quality[sample] + noise
    if scale is not None:
        steps = np.round((score - scale.low) / scale.step)
        top = round((scale.high - scale.low) / scale.step)
        score = scale.low + np.clip(steps, 0, top) * scale.step
    return score, group, participant, sample


def _run_chunk(task, progress=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    design, variance, means, claims, alpha, margin, scale, seed, indices = task
    verdicts = np.zeros((len(claims), len(VERDICTS)), dtype=np.int64)
    halfwidths = np.zeros(len(claims))
    widths_counted = np.zeros(len(claims), dtype=np.int64)
    for done, index in enumerate(indices, start=1):
        rng = np.random.default_rng([seed, index])
        arrays = simulated_study(design, variance, means, rng, scale=scale)
        entries = claim_verdicts(
            *arrays, keys=design.groups, claims=claims, alpha=alpha, margin=margin
        )
        for j, entry in enumerate(entries):
            if entry["verdict"] in VERDICTS:
                verdicts[j, VERDICTS.index(entry["verdict"])] += 1
            else:
                verdicts[j, 2] += 1  # no verdict counts as not answering the question
            low, high = entry["ci95"]
            if np.isfinite(high - low):  # a study whose fit failed has no CI
                halfwidths[j] += (high - low) / 2
                widths_counted[j] += 1
        if progress is not None:
            progress(done, len(indices))
    return verdicts, halfwidths, widths_counted


def simulate(
    design: Design,
    variance: Variance,
    means,
    claims: list[ClaimSpec],
    *,
    alpha: float,
    margin: float,
    simulations: int,
    seed: int,
    scale: Scale | None = None,
    workers: int | None = None,
    progress=None,
) -> list[dict]:
    """Per claim: the share of simulated studies with each verdict, the mean half-width of
    the 95% CI, and the Monte Carlo standard error of the shares. `progress(done, total)`
    is called after each study when they run in this process (one worker)."""
    workers = workers or min(2, os.cpu_count() or 1)
    workers = max(1, min(workers, simulations))
    chunks = np.array_split(np.arange(simulations), workers)
    tasks = [
        (design, variance, np.asarray(means, float), claims, alpha, margin, scale, seed, c)
        for c in chunks
    ]
    if workers == 1:
        results = [_run_chunk(tasks[0], progress)]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_run_chunk, tasks))
    verdicts = sum(r[0] for r in results)
    counted = sum(r[2] for r in results)
    halfwidths = sum(r[1] for r in results) / np.maximum(counted, 1)
    halfwidths[counted == 0] = np.nan
    out = []
    for j in range(len(claims)):
        shares = verdicts[j] / simulations
        out.append(
            {
                "p_supported": float(shares[0]),
                "p_contradicted": float(shares[1]),
                "p_inconclusive": float(shares[2]),
                "ci95_halfwidth": float(halfwidths[j]),
                "monte_carlo_se": float(np.sqrt(np.max(shares * (1 - shares)) / simulations)),
            }
        )
    return out
