"""Benchmark of the crossed random-intercept model (analysis.stats.mixed.fit_crossed).

    .venv/bin/python bench/analysis_mixed.py [--sizes 20000,100000,1000000] [--skip-statsmodels]

Simulates crossed rating studies (1M ratings = 10,000 participants over 50,000 samples in 3
groups, each participant rating 100 samples, 33 or 34 per group, drawn at random, so the
samples get unequal numbers of ratings; smaller sizes scale both sides down) and prints, per
size, the wall time and peak traced memory of fit_crossed, the method it chose, and the
estimates against the truth. Where exact REML is chosen, the moments fit is timed too.
statsmodels MixedLM (a benchmark-only dependency: `.venv/bin/pip install statsmodels`) is
timed on the same data up to --statsmodels-max ratings. At 20,000 ratings the fit is
compared with R's lme4 on the same seeded data (bench/reference/lmm_20k_lme4.json; made by
`--write-csv` and bench/reference/lmm_20k_lme4.R).
"""

import argparse
import hashlib
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.stats.mixed import fit_crossed  # noqa: E402

SEED = 20261129
GROUPS = ("human", "ai", "collaboration")
TRUE_MEANS = np.array([6.5, 4.5, 8.5])
TRUE_SD = {"participant": 1.0, "sample": 0.8, "residual": 1.3}
PER_PARTICIPANT = 100
RATINGS_PER_SAMPLE = 20
REFERENCE = Path(__file__).resolve().parent / "reference" / "lmm_20k_lme4.json"


def simulate(n_ratings: int, seed: int = SEED):
    """A seeded crossed study with about n_ratings ratings; returns score, group, participant,
    sample arrays (samples 0.. are laid out group by group)."""
    rng = np.random.default_rng(seed)
    n_participants = max(n_ratings // PER_PARTICIPANT, 2)
    n_samples = max(n_ratings // RATINGS_PER_SAMPLE, 2 * len(GROUPS))
    per_group = n_samples // len(GROUPS)
    n_samples = per_group * len(GROUPS)
    sample_group = np.repeat(np.arange(len(GROUPS)), per_group)
    participant, sample = [], []
    for i in range(n_participants):
        shares = np.full(len(GROUPS), PER_PARTICIPANT // len(GROUPS))
        shares[(i + np.arange(PER_PARTICIPANT % len(GROUPS))) % len(GROUPS)] += 1
        for g, k in enumerate(shares):
            chosen = rng.choice(per_group, size=min(k, per_group), replace=False)
            sample.append(g * per_group + chosen)
            participant.append(np.full(chosen.size, i))
    participant = np.concatenate(participant)
    sample = np.concatenate(sample)
    group = sample_group[sample]
    u = rng.normal(0.0, TRUE_SD["participant"], n_participants)
    v = rng.normal(0.0, TRUE_SD["sample"], n_samples)
    e = rng.normal(0.0, TRUE_SD["residual"], sample.size)
    score = TRUE_MEANS[group] + u[participant] + v[sample] + e
    return np.round(score, 6), group, participant, sample


def checksum(score, group, participant, sample) -> str:
    digest = hashlib.sha256()
    for a in (np.round(score, 6), group, participant, sample):
        digest.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return digest.hexdigest()


def write_csv(path: Path, data) -> None:
    score, group, participant, sample = data
    with path.open("w") as out:
        out.write("score,group,participant,sample\n")
        for y, g, p, s in zip(score, group, participant, sample, strict=True):
            out.write(f"{y:.6f},{GROUPS[g]},p{p},s{s}\n")


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def peak_memory(function) -> float:
    """Peak of memory traced by tracemalloc (NumPy reports its buffers) during a call, MB."""
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def describe(fit) -> str:
    means = ", ".join(
        f"{name} {m:.4f} (se {s:.4f}, truth {t})"
        for name, m, s, t in zip(GROUPS, fit.means, fit.se, TRUE_MEANS, strict=True)
    )
    variance = ", ".join(
        f"{k} {fit.variance[k]:.4f} (truth {TRUE_SD[k] ** 2:.4f})" for k in TRUE_SD
    )
    return f"    means: {means}\n    variance: {variance}"


def statsmodels_fit(data):
    import statsmodels.api as sm

    score, group, participant, sample = data
    exog = np.eye(len(GROUPS))[group]
    model = sm.MixedLM(
        score,
        exog,
        groups=np.ones(score.size),
        exog_vc={
            "participant": {1: _indicators(participant)},
            "sample": {1: _indicators(sample)},
        },
    )
    return model.fit(reml=True)


def _indicators(codes):
    from scipy import sparse

    matrix = sparse.csr_matrix((np.ones(codes.size), (np.arange(codes.size), codes)))
    return matrix.toarray()


def compare_lme4(fit, data) -> None:
    if not REFERENCE.exists():
        print("    lme4: no reference file; see the module docstring")
        return
    reference = json.loads(REFERENCE.read_text())
    if reference["data"]["sha256"] != checksum(*data):
        print("    lme4: reference was fitted on other data (checksum differs); not compared")
        return
    expected = reference["expected"]
    mean_diff = max(
        abs(m - expected["means"][name]["estimate"])
        for name, m in zip(GROUPS, fit.means, strict=True)
    )
    se_rel = max(
        abs(s / expected["means"][name]["se"] - 1)
        for name, s in zip(GROUPS, fit.se, strict=True)
    )
    var_rel = {k: fit.variance[k] / expected["variance"][k] - 1 for k in TRUE_SD}
    print(
        f"    vs lme4 {reference['source']['lme4']}: max |mean diff| {mean_diff:.2e}, "
        f"max SE rel diff {se_rel:.2e}, variance rel diff "
        + ", ".join(f"{k} {v:+.2e}" for k, v in var_rel.items())
    )
    if fit.reml_criterion is not None:
        print(
            f"    REML criterion {fit.reml_criterion:.4f} vs lme4 {expected['reml_criterion']:.4f}"
        )
    print(f"    lme4 fit time (R, by hand): {reference['source']['seconds']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000,1000000")
    parser.add_argument("--skip-statsmodels", action="store_true")
    parser.add_argument("--statsmodels-max", type=int, default=20000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--write-csv", type=Path, help="write the data of the first size (for lme4) and stop"
    )
    args = parser.parse_args()

    sizes = [int(s) for s in args.sizes.split(",")]
    if args.write_csv:
        data = simulate(sizes[0])
        write_csv(args.write_csv, data)
        print(f"wrote {data[0].size} ratings to {args.write_csv}, sha256 {checksum(*data)}")
        return

    for size in sizes:
        data, seconds = timed(lambda size=size: simulate(size))
        score, group, participant, sample = data
        print(
            f"\n{score.size} ratings, {participant.max() + 1} participants, "
            f"{sample.max() + 1} samples (simulated in {seconds:.1f} s)"
        )
        fit, seconds = timed(lambda: fit_crossed(*data, n_groups=len(GROUPS)))
        memory = "" if args.skip_memory else (
            f", peak {peak_memory(lambda: fit_crossed(*data, n_groups=len(GROUPS))):.0f} MB"
        )
        print(f"  fit_crossed auto -> {fit.method}: {seconds:.2f} s{memory}, df {fit.df}")
        print(describe(fit))
        for note in fit.notes:
            print(f"    note: {note}")
        if size == 20000:
            compare_lme4(fit, data)
        if fit.method == "reml":
            other, seconds = timed(lambda: fit_crossed(*data, n_groups=3, method="moments"))
            print(f"  fit_crossed moments: {seconds:.2f} s")
            print(describe(other))
        if not args.skip_statsmodels and score.size <= args.statsmodels_max:
            result, seconds = timed(lambda: statsmodels_fit(data))
            print(
                f"  statsmodels MixedLM REML: {seconds:.1f} s, means "
                + ", ".join(f"{m:.4f}" for m in result.fe_params)
                + ", variance participant {:.4f}, sample {:.4f}, residual {:.4f}".format(
                    *result.vcomp, result.scale
                )
            )


if __name__ == "__main__":
    main()
