"""Calibration of the claim verdicts under a true null.

Simulates many rating studies where the claims are exactly true (crossed design: every
rater rates some samples of every group; rater leniency and sample quality as large as
the noise; integer 1-10 scores) and counts how often the engine calls a true claim
`contradicted`. That rate should be about alpha (0.05). For contrast it prints the rate of
a naive per-rating t interval that treats ratings as independent.

    .venv/bin/python bench/calibration.py [--studies 1000] [--raters 40] [--seed 1]
"""

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from scipy import stats

from analysis.engine import ClaimSpec, RatingsFrame, analyze

TRUTH = {"human": 6.0, "ai": 5.0, "collaboration": 6.5}
CLAIMS = [
    ClaimSpec("mean", ("human",), 6.0),
    ClaimSpec("mean", ("ai",), 5.0),
    ClaimSpec("difference", ("collaboration", "human"), 0.5),
]


def simulate(rng, *, raters: int, samples_per_group: int, per_group: int) -> RatingsFrame:
    keys = list(TRUTH)
    sample_effect = rng.normal(0, 1.0, (len(keys), samples_per_group))
    leniency = rng.normal(0, 1.0, raters)
    p_rows, g_rows, s_rows = [], [], []
    for g in range(len(keys)):
        chosen = np.argsort(rng.random((raters, samples_per_group)), axis=1)[:, :per_group]
        p_rows.append(np.repeat(np.arange(raters), per_group))
        g_rows.append(np.full(raters * per_group, g))
        s_rows.append(chosen.ravel())
    p, g, s = (np.concatenate(rows) for rows in (p_rows, g_rows, s_rows))
    mean = np.array([TRUTH[k] for k in keys])[g]
    raw = mean + leniency[p] + sample_effect[g, s] + rng.normal(0, 1.0, p.size)
    score = np.clip(np.round(raw), 1, 10)
    n = p.size
    return RatingsFrame(
        participant=np.char.add("p", p.astype(str)),
        sample=np.char.add(np.array(keys)[g], np.char.add("-", s.astype(str))),
        group=np.array(keys)[g],
        score=score.astype(float),
        seconds=rng.gamma(4.0, 5.0, n),
        guess=np.full(n, ""),
        attention_low=np.full(n, np.nan),
        attention_high=np.full(n, np.nan),
    )


def naive_contradicts(frame: RatingsFrame, claim: ClaimSpec, alpha: float) -> bool:
    """The mistake the model exists to avoid: every rating an independent observation."""
    if claim.kind == "mean":
        x = frame.score[frame.group == claim.groups[0]]
        ci = stats.t.interval(1 - alpha, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    else:
        a = frame.score[frame.group == claim.groups[0]]
        b = frame.score[frame.group == claim.groups[1]]
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        d = a.mean() - b.mean()
        z = stats.norm.ppf(1 - alpha / 2)
        ci = (d - z * se, d + z * se)
    return not ci[0] <= claim.value <= ci[1]


def wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.96
    centre = (k + z * z / 2) / (n + z * z)
    half = z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    return centre - half, centre + half


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--raters", type=int, default=40)
    parser.add_argument("--samples-per-group", type=int, default=20)
    parser.add_argument("--per-group", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    model = np.zeros(len(CLAIMS), dtype=int)
    naive = np.zeros(len(CLAIMS), dtype=int)
    started = time.perf_counter()
    for study in range(args.studies):
        frame = simulate(
            rng,
            raters=args.raters,
            samples_per_group=args.samples_per_group,
            per_group=args.per_group,
        )
        doc = analyze(
            frame, claims=CLAIMS, scale_min=1, scale_max=10, seed=study, group_order=list(TRUTH)
        )
        model += [c["verdict"] == "contradicted" for c in doc["claims"]]
        naive += [naive_contradicts(frame, c, 0.05) for c in CLAIMS]
    elapsed = time.perf_counter() - started
    ratings = args.raters * args.per_group * len(TRUTH)
    print(
        f"{args.studies} studies of {ratings} ratings ({args.raters} raters, "
        f"{args.samples_per_group} samples per group), alpha 0.05, {elapsed:.0f} s"
    )
    for claim, k, k_naive in zip(CLAIMS, model, naive, strict=True):
        lo, hi = wilson(int(k), args.studies)
        name = " - ".join(claim.groups)
        print(
            f"{claim.kind:<10} {name:<24} contradicted {k / args.studies:6.3f} "
            f"(95% CI {lo:.3f} to {hi:.3f});  naive per-rating CI: "
            f"{k_naive / args.studies:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
