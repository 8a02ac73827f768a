"""Benchmark and calibration of the source-detection analysis (analysis.stats.detection).

    .venv/bin/python bench/detection.py [--studies 2000] [--size 1000000] [--seed S]

1. Null studies with sample effects (tests/analysis/detection_studies.py: 30 raters, 36
   samples, 12 guesses each; every sample has a "looks like" group unrelated to its true
   group and raters follow it 80 % of the time, so accuracy is 1/3 on average): the share
   of studies called "better than chance" at alpha = 0.05 by the crossed test and by the
   naive exact binomial test, on the same studies.
2. Power: raters right half of the time among 3 groups, same design.
3. Cost at a million guesses (20,000 raters x 50 guesses over 30,000 samples in 3 groups,
   each rater's samples drawn at random): wall time and peak traced memory of
   detection_summary, and of the engine's whole `detection` section (with its per-rater
   list) and the size of that section as JSON.
"""

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.engine.guess_detection import detection_section
from analysis.engine.reasons import json_safe
from analysis.stats.detection import detection_summary
from tests.analysis.detection_studies import GROUPS, guessing_studies

ALPHA = 0.05


def rejection_rates(studies, n: int) -> tuple[float, float]:
    crossed = naive = 0
    for index in range(n):
        true, guess, rater, sample = studies.study(index)
        d = detection_summary(true, guess, GROUPS, rater=rater, sample=sample)
        crossed += d.uniform.p < ALPHA
        naive += d.uniform.naive.p < ALPHA
    return crossed / n, naive / n


def binomial_interval(share: float, n: int) -> str:
    half = 1.96 * np.sqrt(share * (1 - share) / n)
    return f"{100 * share:5.1f} % (+/- {100 * half:.1f})"


def big_study(rng, size: int):
    raters, per_rater = size // 50, 50
    samples = max(3, size // 33)
    sample = rng.integers(0, samples, size)
    true = sample % 3
    looks = rng.integers(0, 3, samples)
    draw = rng.random(size)
    guess = np.where(draw < 0.8, looks[sample], rng.integers(0, 3, size))
    rater = np.repeat(np.arange(raters), per_rater)[:size]
    keys = np.array(GROUPS)
    return keys[true], keys[guess], rater, sample


def timed(function):
    """The result, wall and CPU seconds of one call, and the peak traced memory of a second
    call (tracing slows NumPy down, so it is kept out of the timed one)."""
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    result = function()
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, f"{wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak / 2**20:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=2000)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260419)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    start = time.perf_counter()
    crossed, naive = rejection_rates(guessing_studies(rng, args.studies), args.studies)
    print(f"null with sample effects: {args.studies} studies of 30 raters x 12 guesses, 36 samples")
    print(f"  called better than chance at alpha {ALPHA}:")
    print(f"    crossed test  {binomial_interval(crossed, args.studies)}")
    print(f"    binomial test {binomial_interval(naive, args.studies)}")
    power_n = max(200, args.studies // 10)
    power, _ = rejection_rates(guessing_studies(rng, power_n, know=0.25, follow=0.5), power_n)
    print(f"power, raters right half the time among 3 groups, {power_n} studies: {power:.1%}")
    print(f"  ({time.perf_counter() - start:.1f} s)")

    true, guess, rater, sample = big_study(rng, args.size)
    names = np.array([f"p{i}" for i in range(int(rater.max()) + 1)])
    samples = np.unique(sample).size
    print(f"cost at {args.size:,} guesses ({names.size:,} raters, {samples:,} samples)")
    summary, cost = timed(
        lambda: detection_summary(true, guess, GROUPS, rater=rater, sample=sample)
    )
    print(f"  detection_summary: {cost}")
    u = summary.uniform
    print(
        f"    accuracy {summary.accuracy.estimate:.4f}; crossed 95% CI {u.ci_low:.4f} to "
        f"{u.ci_high:.4f}, p {u.p:.3f}; binomial CI {u.naive_ci[0]:.4f} to "
        f"{u.naive_ci[1]:.4f}, p {u.naive.p:.2g}"
    )
    section, cost = timed(
        lambda: json_safe(
            detection_section(
                true,
                guess,
                list(GROUPS),
                participant=rater,
                names=names,
                sample=sample,
                alpha=ALPHA,
            )
        )
    )
    size = len(json.dumps(section)) / 2**20
    rows = len(section["per_participant"])
    print(f"  engine section with {rows:,} per-rater rows: {cost}, {size:.1f} MiB of JSON")


if __name__ == "__main__":
    main()
