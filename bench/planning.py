"""Benchmark of the power planner (analysis.planning).

    .venv/bin/python bench/planning.py [--studies 1000] [--agreement-studies 2000] [--workers 2]

Prints three figures:

1. the analytic plan of the seed claims (three claimed means, two differences) in the demo's
   design (3 groups x 16 samples, 20 ratings per sample, 16 per rater: 60 raters) with its
   design search, in wall seconds (target < 1 s);
2. a Monte Carlo check of --studies simulated studies of 2,000 ratings each (2 groups x 50
   samples x 20 ratings, 20 samples per rater: 100 raters), every one fitted and judged by
   the engine's claim verdicts, in wall seconds on --workers processes, with the peak
   resident memory of this process and of its workers (target < 60 s on 2 cores);
3. unless --agreement-studies is 0, the analytic probabilities against --agreement-studies
   simulated studies on each of the six designs of tests/analysis/test_planning.py (few and
   many samples, few and many raters, a large sample variance), the largest difference in
   percentage points (target <= 3).
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from analysis.engine import ClaimSpec
from analysis.planning import Design, Variance, plan
from analysis.planning.analytic import contrast_variance

SEED_CLAIMS = [
    ClaimSpec("mean", ("collaboration",), 8.5),
    ClaimSpec("mean", ("human",), 6.5),
    ClaimSpec("mean", ("ai",), 4.5),
    ClaimSpec("difference", ("collaboration", "human"), 2.0),
    ClaimSpec("difference", ("human", "ai"), 2.0),
]
DEMO = Design(("collaboration", "human", "ai"), 16, 20, 16)
DEMO_VARIANCE = Variance(0.64, 0.49, 1.21)  # the demo's simulated raters
AGREEMENT = [
    (Design(("a", "b"), 6, 15, 6), Variance(0.5, 0.4, 1.0)),
    (Design(("a", "b"), 40, 3, 40), Variance(0.6, 0.3, 1.0)),
    (Design(("a", "b", "c"), 10, 5, 15), Variance(0.3, 2.0, 1.0)),
    (Design(("a", "b", "c"), 12, 10, 3), Variance(0.8, 0.5, 1.2)),
    (Design(("a", "b", "c"), 10, 4, 8), Variance(0.6, 0.5, 1.0)),
    (Design(("a", "b", "c"), 16, 5, 16), Variance(0.64, 0.49, 1.21)),
]


def peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def analytic_demo() -> None:
    plan(design=DEMO, variance=DEMO_VARIANCE, claims=SEED_CLAIMS)  # warm up imports
    start = time.perf_counter()
    document = plan(design=DEMO, variance=DEMO_VARIANCE, claims=SEED_CLAIMS)
    seconds = time.perf_counter() - start
    print(f"analytic plan + design search, demo design: {seconds:.3f} s (target < 1 s)")
    for claim in document["claims"]:
        name = " - ".join(claim["groups"])
        print(
            f"  {name} = {claim['claimed']:g}: supported {claim['p_supported']:.3f}, "
            f"contradicted {claim['p_contradicted']:.3f}, inconclusive "
            f"{claim['p_inconclusive']:.3f}, 95% CI +- {claim['ci95_halfwidth']:.3f}"
        )
    print(f"  {document['recommendation']['sentence']}")


def monte_carlo(studies: int, workers: int) -> None:
    design = Design(("a", "b"), 50, 20, 20)
    claims = [ClaimSpec("mean", ("a",), 6.0), ClaimSpec("difference", ("a", "b"), 1.0)]
    start = time.perf_counter()
    cpu = time.process_time()
    document = plan(
        design=design,
        variance=DEMO_VARIANCE,
        claims=claims,
        method="simulation",
        simulations=studies,
        seed=1,
        workers=workers,
    )
    seconds = time.perf_counter() - start
    own, children = peak_mb()
    print(
        f"Monte Carlo: {studies} studies of {design.ratings} ratings ({design.raters} raters) "
        f"through the engine on {workers} processes: {seconds:.1f} s wall "
        f"({seconds / studies * 1000:.1f} ms per study; parent CPU {time.process_time() - cpu:.1f}"
        f" s); peak memory {own:.0f} MB parent, {children:.0f} MB largest worker "
        "(target < 60 s)"
    )
    for claim in document["claims"]:
        analytic = claim["analytic"]
        print(
            f"  {' - '.join(claim['groups'])}: simulated supported {claim['p_supported']:.3f} "
            f"(analytic {analytic['p_supported']:.3f}), contradicted "
            f"{claim['p_contradicted']:.3f} ({analytic['p_contradicted']:.3f}), CI +- "
            f"{claim['ci95_halfwidth']:.3f} ({analytic['ci95_halfwidth']:.3f})"
        )


def agreement(studies: int, workers: int) -> None:
    worst = 0.0
    start = time.perf_counter()
    for design, variance in AGREEMENT:
        mean_se = contrast_variance(design, variance, np.eye(len(design.groups))[0]).se
        claims = [ClaimSpec("mean", ("a",), 5.0), ClaimSpec("difference", ("a", "b"), 0.0)]
        diff_se = contrast_variance(
            design, variance, np.array([1.0, -1.0] + [0.0] * (len(design.groups) - 2))
        ).se
        truth = {"a": 5.0 + mean_se, "b": 5.0 + mean_se - 1.5 * diff_se}
        document = plan(
            design=design,
            variance=variance,
            claims=claims,
            truth=truth,
            margin=2.5 * mean_se,
            method="simulation",
            simulations=studies,
            seed=11,
            workers=workers,
        )
        differences = []
        for claim in document["claims"]:
            for key in ("p_supported", "p_contradicted", "p_inconclusive"):
                differences.append(abs(claim[key] - claim["analytic"][key]))
        worst = max(worst, max(differences))
        shape = (
            f"{len(design.groups)}x{design.samples_per_group} samples, "
            f"{design.ratings_per_sample} ratings each, {design.raters} raters"
        )
        print(f"  {shape:45s} largest difference {100 * max(differences):.1f} points")
    seconds = time.perf_counter() - start
    print(
        f"analytic against {studies} simulated studies per design: largest difference "
        f"{100 * worst:.1f} percentage points (target <= 3; Monte Carlo SE at most "
        f"{100 * np.sqrt(0.25 / studies):.1f}); {seconds:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--agreement-studies", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    analytic_demo()
    monte_carlo(args.studies, args.workers)
    if args.agreement_studies:
        agreement(args.agreement_studies, args.workers)


if __name__ == "__main__":
    main()
