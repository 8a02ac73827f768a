"""Benchmark of a whole analysis job's computation (engine.analyze, the input checksum and
the plots) on synthetic studies of 10k, 100k and 1M ratings.

    .venv/bin/python bench/analysis_scale.py [--sizes 10000,100000,1000000] [--no-tools]

1M ratings = 10,000 participants over 50,000 samples in 3 groups; each participant rates
100 samples (33 or 34 per group, a random start and stride in each group's samples) and 2
attention checks; the smaller sizes scale both sides down. Scores are integers 1-10 from
group mean + rater leniency + sample quality + noise; pseudonyms and tokens are 22
characters, as in the database.

Each size runs in a subprocess of its own, so that its peak memory (ru_maxrss, the
resident high-water mark) is its own. The time of each stage of engine.analyze is taken
through its progress callback; "peak RSS" is the high-water mark at the end of the stage.

In the same run, on the same data, the usual Python tools time the same pieces where they
fit, each in its own subprocess with a time limit: pingouin (ANOVA, Welch ANOVA,
Kruskal-Wallis and pairwise tests on per-sample means: the engine's "tests"), krippendorff
(alpha interval and ordinal: part of "reliability") and statsmodels MixedLM (crossed
random intercepts, REML: "model"). They are benchmark-only dependencies, not in
pyproject.toml: `.venv/bin/pip install krippendorff pingouin statsmodels`. A tool is
skipped, saying why, at sizes where it would take over ~2 minutes or not fit in memory.

Target (DESIGN §4): the whole analysis of 1M ratings under 60 s and 2 GB.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = 20261129
GROUPS = ("human", "ai", "collaboration")
TRUE_MEANS = np.array([6.5, 4.5, 8.5])
PER_PARTICIPANT = 100
RATINGS_PER_SAMPLE = 20
CHECKS_PER_PARTICIPANT = 2
TOOL_TIMEOUT = 150
# Beyond these sizes the tool takes minutes or more memory than the machine has: measured
# or extrapolated on a 2-core machine (MixedLM builds dense n x (raters + samples) blocks;
# krippendorff needs a dense raters x samples matrix: 10k x 50k floats is 4 GB).
TOOL_LIMITS = {
    "pingouin": (10**7, ""),
    "krippendorff": (200_000, "needs a dense raters x samples matrix (4 GB at 1M)"),
    "statsmodels": (10_000, "MixedLM with crossed effects takes over 2 minutes past 10k"),
}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate(n_ratings: int, seed: int = SEED) -> dict:
    """Codes and scores of a crossed study; see the module docstring."""
    rng = np.random.default_rng(seed)
    n_participants = max(n_ratings // PER_PARTICIPANT, 2)
    per_group = max(n_ratings // RATINGS_PER_SAMPLE // len(GROUPS), PER_PARTICIPANT)
    n_samples = per_group * len(GROUPS)
    parts, samples = [], []
    for g in range(len(GROUPS)):
        k = PER_PARTICIPANT // len(GROUPS) + (g < PER_PARTICIPANT % len(GROUPS))
        start = rng.integers(0, per_group, n_participants)[:, None]
        stride = rng.integers(1, max(per_group // k, 2), n_participants)[:, None]
        picked = (start + stride * np.arange(k)[None, :]) % per_group
        samples.append((g * per_group + picked).ravel())
        parts.append(np.repeat(np.arange(n_participants), k))
    participant = np.concatenate(parts)
    sample = np.concatenate(samples)
    order = np.lexsort((sample, participant))
    participant, sample = participant[order], sample[order]
    group = sample // per_group
    leniency = rng.normal(0, 0.8, n_participants)
    quality = rng.normal(0, 0.7, n_samples)
    raw = TRUE_MEANS[group] + leniency[participant] + quality[sample]
    score = np.clip(np.round(raw + rng.normal(0, 1.1, sample.size)), 1, 10)
    checks = np.repeat(np.arange(n_participants), CHECKS_PER_PARTICIPANT)
    check_score = np.where(rng.random(checks.size) < 0.95, 1.0, rng.integers(1, 11, checks.size))
    return {
        "participant": participant,
        "sample": sample,
        "group": group,
        "score": score,
        "n_participants": n_participants,
        "n_samples": n_samples,
        "check_participant": checks,
        "check_score": check_score,
        "seconds": rng.lognormal(np.log(22), 0.5, sample.size + checks.size),
    }


def names(prefix: str, n: int) -> np.ndarray:
    return np.array([f"{prefix}{i:021d}" for i in range(n)])


def frame_of(data: dict):
    from analysis.engine import RatingsFrame

    pseudonyms = names("p", data["n_participants"])
    tokens = names("s", data["n_samples"] + 2)
    n_checks = data["check_participant"].size
    check_sample = np.arange(n_checks) % 2 + data["n_samples"]
    nan = np.full(data["score"].size, np.nan)
    return RatingsFrame(
        participant=np.concatenate(
            [pseudonyms[data["participant"]], pseudonyms[data["check_participant"]]]
        ),
        sample=np.concatenate([tokens[data["sample"]], tokens[check_sample]]),
        group=np.concatenate([np.array(GROUPS)[data["group"]], np.full(n_checks, GROUPS[0])]),
        score=np.concatenate([data["score"], data["check_score"]]),
        seconds=data["seconds"],
        guess=np.full(data["score"].size + n_checks, ""),
        attention_low=np.concatenate([nan, np.ones(n_checks)]),
        attention_high=np.concatenate([nan, np.full(n_checks, 2.0)]),
    )


def run_engine(size: int) -> dict:
    """One size: every stage's wall time and the RSS high-water mark at its end."""
    from analysis.engine import ClaimSpec, analyze
    from analysis.plots import plots_render
    from analysis.snapshot import input_checksum, input_counts

    stages: list[dict] = []
    data = simulate(size)
    frame = frame_of(data)
    del data
    base = rss_mb()
    claims = [
        ClaimSpec("mean", (key,), value) for key, value in zip(GROUPS, (6.5, 4.5, 8.5), strict=True)
    ]
    claims.append(ClaimSpec("difference", ("collaboration", "human"), 2.0))
    clock = {"t": time.perf_counter(), "stage": "setup (codes)"}

    def progress(stage: str, percent: int) -> None:
        now = time.perf_counter()
        stages.append({"stage": clock["stage"], "seconds": now - clock["t"], "rss": rss_mb()})
        clock.update(t=now, stage=stage)

    started = time.perf_counter()
    document = analyze(
        frame,
        claims=claims,
        scale_min=1,
        scale_max=10,
        seed=0,
        group_order=list(GROUPS),
        progress=progress,
    )
    engine_seconds = time.perf_counter() - started
    stages = [s for s in stages if s["stage"] != "done"]
    t = time.perf_counter()
    input_checksum(frame, np.arange(frame.score.size))
    input_counts(document)
    stages.append(
        {"stage": "checksum + counts", "seconds": time.perf_counter() - t, "rss": rss_mb()}
    )
    t = time.perf_counter()
    plots_render(
        document=document,
        frame=frame,
        order=list(GROUPS),
        labels={g: g for g in GROUPS},
        margin=0.5,
    )
    stages.append({"stage": "plots", "seconds": time.perf_counter() - t, "rss": rss_mb()})
    json.dumps(document)
    return {
        "size": size,
        "n_rows": int(frame.score.size),
        "n_participants": document["n_participants"],
        "n_samples": document["n_samples"],
        "method": document["model"]["method"],
        "rss_after_data": base,
        "engine_seconds": engine_seconds,
        "job_seconds": engine_seconds + sum(s["seconds"] for s in stages[-2:]),
        "peak_rss": rss_mb(),
        "stages": stages,
        "claims": [(c["groups"], c["verdict"]) for c in document["claims"]],
    }


def sample_means(data: dict):
    counts = np.bincount(data["sample"], minlength=data["n_samples"])
    sums = np.bincount(data["sample"], weights=data["score"], minlength=data["n_samples"])
    rated = counts > 0
    per_group = data["n_samples"] // len(GROUPS)
    return (sums[rated] / counts[rated]), np.arange(data["n_samples"])[rated] // per_group


def run_tool(tool: str, size: int) -> dict:
    data = simulate(size)
    if tool == "pingouin":
        import pandas as pd
        import pingouin as pg

        means, group = sample_means(data)
        table = pd.DataFrame({"score": means, "group": np.array(GROUPS)[group]})
        t = time.perf_counter()
        pg.anova(data=table, dv="score", between="group")
        pg.welch_anova(data=table, dv="score", between="group")
        pg.kruskal(data=table, dv="score", between="group")
        pg.pairwise_tests(data=table, dv="score", between="group", padjust="holm", effsize="hedges")
        pg.pairwise_tests(data=table, dv="score", between="group", padjust="holm", parametric=False)
        return {"seconds": time.perf_counter() - t, "what": "tests on sample means"}
    if tool == "krippendorff":
        import krippendorff

        matrix = np.full((data["n_participants"], data["n_samples"]), np.nan)
        matrix[data["participant"], data["sample"]] = data["score"]
        t = time.perf_counter()
        krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")
        krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal")
        return {"seconds": time.perf_counter() - t, "what": "alpha interval + ordinal"}
    if tool == "statsmodels":
        import statsmodels.api as sm
        from scipy import sparse

        def indicators(codes):
            return sparse.csr_matrix(
                (np.ones(codes.size), (np.arange(codes.size), codes))
            ).toarray()

        t = time.perf_counter()
        model = sm.MixedLM(
            data["score"],
            np.eye(len(GROUPS))[data["group"]],
            groups=np.ones(data["score"].size),
            exog_vc={
                "participant": {1: indicators(data["participant"])},
                "sample": {1: indicators(data["sample"])},
            },
        )
        model.fit(reml=True)
        return {"seconds": time.perf_counter() - t, "what": "MixedLM crossed REML"}
    raise ValueError(tool)


# What each progress stage of engine.analyze covers (the callback marks stage starts).
STAGE_NAMES = {
    "setup (codes)": "setup (codes)",
    "descriptives": "groups + bootstrap",
    "tests": "tests",
    "model": "model + claims",
    "reliability": "reliability",
    "quality": "quality, z, exclusions",
}
COMPARABLE = {"pingouin": "tests", "krippendorff": "reliability", "statsmodels": "model"}


def child(args: list[str]) -> dict:
    return json.loads(
        subprocess.run(
            [sys.executable, __file__, *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=TOOL_TIMEOUT if args[0] == "--tool" else 1800,
            cwd=ROOT,
        ).stdout.splitlines()[-1]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--no-tools", action="store_true")
    parser.add_argument("--engine", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tool", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(run_engine(args.engine)))
        return
    if args.tool:
        print(json.dumps(run_tool(args.tool[0], int(args.tool[1]))))
        return

    for size in (int(s) for s in args.sizes.split(",")):
        result = child(["--engine", str(size)])
        print(
            f"\n== {size:,} ratings: {result['n_participants']:,} raters, "
            f"{result['n_samples']:,} samples, {result['n_rows']:,} rows with attention "
            f"checks; model {result['method']}"
        )
        print(f"   {'stage':<24}{'seconds':>9}{'peak RSS MB':>13}")
        for stage in result["stages"]:
            label = STAGE_NAMES.get(stage["stage"], stage["stage"])
            print(f"   {label:<24}{stage['seconds']:>9.2f}{stage['rss']:>13.0f}")
        print(f"   {'engine.analyze':<24}{result['engine_seconds']:>9.2f}")
        job, data = result["job_seconds"], result["rss_after_data"]
        print(
            f"   {'job (+checksum, plots)':<24}{job:>9.2f}{result['peak_rss']:>13.0f}"
            f"   (data alone: {data:.0f} MB)"
        )
        engine_stage = {s["stage"]: s["seconds"] for s in result["stages"]}
        if args.no_tools:
            continue
        for tool, stage in COMPARABLE.items():
            limit, why = TOOL_LIMITS[tool]
            ours = engine_stage.get(stage, float("nan"))
            if size > limit:
                print(f"   {tool:<13} skipped at this size: {why}; engine '{stage}' {ours:.2f} s")
                continue
            try:
                timing = child(["--tool", tool, str(size)])
            except subprocess.TimeoutExpired:
                print(
                    f"   {tool:<13} over {TOOL_TIMEOUT} s, stopped; engine '{stage}' {ours:.2f} s"
                )
                continue
            except (subprocess.CalledProcessError, json.JSONDecodeError) as error:
                print(f"   {tool:<13} failed: {str(error)[:200]}")
                continue
            print(
                f"   {tool:<13} {timing['what']}: {timing['seconds']:.2f} s; "
                f"engine '{stage}' stage {ours:.2f} s"
            )


if __name__ == "__main__":
    main()
