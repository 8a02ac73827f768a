"""Benchmark of the pairwise-preference analysis (analysis.engine.analyze_pairwise).

    .venv/bin/python bench/pairwise.py [--comparisons 1000000] [--raters 10000]
                                       [--samples 50000] [--seed S]

A simulated pairwise study (tests/analysis/pairwise_studies.py: three groups, samples
that differ (sd 0.5), raters with their own lean toward A, ties allowed) of 1,000,000
comparisons by 10,000 raters of 50,000 samples, analysed whole: win rates with their
crossed intervals and the seeded pigeonhole bootstrap (2,000 resamples), the group
Bradley-Terry-Davidson fit, the per-sample fit (50,000 abilities), ordering claims and
agreement, made JSON-safe. Prints the wall time and the peak memory of the process
(ru_maxrss, which includes the simulated study) and, with --trace-memory, of the analysis
alone (tracemalloc, which slows it), the time at which each stage starts, and the size of
the document.
"""

import argparse
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.engine import ClaimSpec, analyze_pairwise
from tests.analysis.pairwise_studies import GROUPS, simulated_frame

CLAIMS = [
    ClaimSpec("mean", ("collaboration",), 8.5),
    ClaimSpec("mean", ("human",), 6.5),
    ClaimSpec("mean", ("ai",), 4.5),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=1_000_000)
    parser.add_argument("--raters", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="also trace the analysis's own allocations (tracemalloc; slows it down)",
    )
    args = parser.parse_args()
    per_rater = max(1, args.comparisons // args.raters)
    frame = simulated_frame(
        np.random.default_rng(args.seed),
        abilities=[0.0, -0.5, 0.4],
        n_raters=args.raters,
        n_samples=args.samples,
        per_rater=per_rater,
        position=0.1,
        nu=0.3,
        sample_sd=0.5,
        rater_sd=0.2,
    )
    n = frame.choice.size
    print(f"{n:,} comparisons by {args.raters:,} raters of {args.samples:,} samples")
    stages = []
    if args.trace_memory:
        tracemalloc.start()
    start = time.perf_counter()

    def progress(stage: str, percent: int) -> None:
        stages.append((stage, time.perf_counter() - start))

    document = analyze_pairwise(frame, claims=CLAIMS, group_order=GROUPS, progress=progress)
    elapsed = time.perf_counter() - start
    stages.append(("JSON-safe document", elapsed))
    traced = ""
    if args.trace_memory:
        traced = f"peak traced {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MiB; "
        tracemalloc.stop()
    size = len(json.dumps(document, allow_nan=False))
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    section = document["pairwise_preference"]
    print(
        f"analysis: {elapsed:.1f} s wall; {traced}"
        f"process peak RSS {max_rss:.0f} MiB; document {size / 2**20:.1f} MiB as JSON"
    )
    for stage, seconds in stages:
        print(f"  {stage} at {seconds:.1f} s")
    for claim in section["claims"]:
        low, high = claim["ci95"]
        print(
            f"  {' > '.join(claim['groups'])}: {claim['verdict']} (win probability "
            f"{claim['probability']:.3f}, 95% CI {low:.3f} to {high:.3f})"
        )
    bt = section["bradley_terry"]
    print(
        f"  P(A | equal) = {bt['p_first_position']:.3f}; "
        f"{bt['sample_abilities']['n_fitted']:,} sample abilities fitted "
        f"({bt['sample_abilities']['method']})"
    )


if __name__ == "__main__":
    main()
