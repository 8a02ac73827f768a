"""Benchmark of the crossed random-intercept model (analysis.stats.mixed.fit_crossed).

    .venv/bin/python bench/analysis_mixed.py [--sizes 20000,100000,1000000] [--skip-statsmodels]

Simulates crossed rating studies (1M ratings = 10,000 participants over 50,000 samples in 3
groups, each participant rating 100 samples, 33 or 34 per group, drawn at random, so the
samples get unequal numbers of ratings; smaller sizes scale both sides down) and prints, per
size, the wall time and peak traced memory of fit_crossed, the method it chose, and the
estimates against the truth. Where exact REML is chosen, the moments fit is timed too.
statsmodels MixedLM (a benchmark-only dependency: `.venv/bin/pip install statsmodels`) is
timed on the same data up to --statsmodels-max ratings. Where bench/reference holds an lme4
fit of the same seeded data (lmm_20k_lme4.json, lmm_100k_lme4.json; made once by hand with
`--write-csv` and bench/reference/lmm_lme4.R), the fit is compared with it. Times are
wall and CPU seconds: on a shared machine the wall time of multi-threaded BLAS can be many
times its idle value (OPENBLAS_NUM_THREADS=1 steadies it).
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

from analysis.stats.mixed import fit_crossed

SEED = 20261129
GROUPS = ("human", "ai", "collaboration")
TRUE_MEANS = np.array([6.5, 4.5, 8.5])
TRUE_SD = {"participant": 1.0, "sample": 0.8, "residual": 1.3}
PER_PARTICIPANT = 100
RATINGS_PER_SAMPLE = 20
REFERENCES = Path(__file__).resolve().parent / "reference"  # lmm_<size/1000>k_lme4.json


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


def timed(function, *args, **kwargs):
    """Result, wall seconds and CPU seconds (all threads) of a call."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start, time.process_time() - cpu


def peak_memory(function, *args, **kwargs) -> float:
    """Peak of memory traced by tracemalloc (NumPy reports its buffers) during a call, MB."""
    tracemalloc.start()
    function(*args, **kwargs)
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
    """statsmodels' documented way to fit crossed random intercepts: one all-covering group
    with a variance component per factor."""
    import pandas as pd
    import statsmodels.formula.api as smf

    score, group, participant, sample = data
    frame = pd.DataFrame(
        {"score": score, "group": group, "participant": participant, "sample": sample}
    )
    model = smf.mixedlm(
        "score ~ 0 + C(group)",
        frame,
        groups=np.ones(score.size),
        re_formula="0",
        vc_formula={"participant": "0 + C(participant)", "sample": "0 + C(sample)"},
    )
    return model.fit(reml=True)


def compare_lme4(fit, data) -> None:
    path = REFERENCES / f"lmm_{data[0].size // 1000}k_lme4.json"
    if not path.exists():
        print(f"    lme4: no reference {path.name}; see the module docstring")
        return
    reference = json.loads(path.read_text())
    if reference["data"]["sha256"] != checksum(*data):
        print("    lme4: reference was fitted on other data (checksum differs); not compared")
        return
    expected = reference["expected"]
    mean_diff = max(
        abs(m - expected["means"][name]["estimate"])
        for name, m in zip(GROUPS, fit.means, strict=True)
    )
    se_rel = max(
        abs(s / expected["means"][name]["se"] - 1) for name, s in zip(GROUPS, fit.se, strict=True)
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

    fit_crossed(*simulate(600), n_groups=len(GROUPS))  # warm-up: SciPy's lazy imports
    for size in sizes:
        run_size(size, args)


def run_size(size: int, args) -> None:
    data, seconds, _ = timed(simulate, size)
    score, _, participant, sample = data
    print(
        f"\n{score.size} ratings, {participant.max() + 1} participants, "
        f"{sample.max() + 1} samples (simulated in {seconds:.1f} s)"
    )
    fit, seconds, cpu = timed(fit_crossed, *data, n_groups=len(GROUPS))
    memory = ""
    if not args.skip_memory:
        memory = f", peak {peak_memory(fit_crossed, *data, n_groups=len(GROUPS)):.0f} MB"
    print(
        f"  fit_crossed auto -> {fit.method}: {seconds:.2f} s wall, {cpu:.2f} s CPU{memory}, "
        f"df {fit.df}"
    )
    print(describe(fit))
    for note in fit.notes:
        print(f"    note: {note}")
    compare_lme4(fit, data)
    if fit.method == "reml":
        other, seconds, cpu = timed(fit_crossed, *data, n_groups=len(GROUPS), method="moments")
        print(f"  fit_crossed moments: {seconds:.2f} s wall, {cpu:.2f} s CPU")
        print(describe(other))
    if not args.skip_statsmodels and score.size <= args.statsmodels_max:
        result, seconds, cpu = timed(statsmodels_fit, data)
        print(
            f"  statsmodels MixedLM REML: {seconds:.1f} s wall, {cpu:.1f} s CPU, means "
            + ", ".join(f"{m:.4f}" for m in result.fe_params)
            + ", variance participant {:.4f}, sample {:.4f}, residual {:.4f}".format(
                *result.vcomp, result.scale
            )
        )


if __name__ == "__main__":
    main()
