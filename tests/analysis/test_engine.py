"""The analysis engine: the results document of DESIGN §5 from arrays of ratings."""

import json
import tracemalloc

import numpy as np
import pytest

from analysis.engine import ENGINE_VERSION, ClaimSpec, RatingsFrame, analyze
from tests.reference import reference

SEED_MEANS = {"human": 6.5, "ai": 4.5, "collaboration": 8.5}
ORDER = ["human", "ai", "collaboration"]


def frame_of(participant, sample, group, score, *, seconds=None, guess=None, low=None, high=None):
    n = len(score)
    nan = np.full(n, np.nan)
    return RatingsFrame(
        participant=np.asarray(participant, dtype=str),
        sample=np.asarray(sample, dtype=str),
        group=np.asarray(group, dtype=str),
        score=np.asarray(score, dtype=float),
        seconds=nan.copy() if seconds is None else np.asarray(seconds, dtype=float),
        guess=np.full(n, "", dtype=str) if guess is None else np.asarray(guess, dtype=str),
        attention_low=nan.copy() if low is None else np.asarray(low, dtype=float),
        attention_high=nan.copy() if high is None else np.asarray(high, dtype=float),
    )


def simulate(
    seed: int,
    *,
    participants: int,
    samples_per_group: int,
    per_group: int,
    means: dict[str, float],
    sd_participant: float = 0.8,
    sd_sample: float = 0.7,
    sd_residual: float = 1.1,
    rounded: bool = True,
) -> RatingsFrame:
    """A crossed rating study with known truth: score = group mean + participant effect +
    sample effect + noise (rounded to 1..10). Each participant rates `per_group` distinct
    samples of every group."""
    rng = np.random.default_rng(seed)
    keys = list(means)
    k = len(keys)
    sample_effect = rng.normal(0, sd_sample, (k, samples_per_group))
    participant_effect = rng.normal(0, sd_participant, participants)
    step = max(1, samples_per_group // per_group)
    p_rows, g_rows, s_rows = [], [], []
    for g in range(k):
        offset = rng.integers(0, samples_per_group, participants)[:, None]
        chosen = (offset + step * np.arange(per_group)[None, :]) % samples_per_group
        p_rows.append(np.repeat(np.arange(participants), per_group))
        g_rows.append(np.full(participants * per_group, g))
        s_rows.append(chosen.ravel())
    p, g, s = (np.concatenate(rows) for rows in (p_rows, g_rows, s_rows))
    truth = np.array([means[key] for key in keys])[g]
    score = truth + participant_effect[p] + sample_effect[g, s] + rng.normal(0, sd_residual, p.size)
    if rounded:
        score = np.clip(np.round(score), 1, 10)
    return frame_of(
        np.char.add("p", p.astype(str)),
        np.char.add(np.array(keys)[g], np.char.add("-", s.astype(str))),
        np.array(keys)[g],
        score,
        seconds=rng.gamma(4.0, 5.0, p.size),
    )


def run(frame: RatingsFrame, claims=(), **kwargs) -> dict:
    kwargs.setdefault("scale_min", 1)
    kwargs.setdefault("scale_max", 10)
    return analyze(frame, claims=list(claims), **kwargs)


def nulls_without_reason(node, path="$"):
    """Paths of null values (or lists holding null) that their object's `reasons` omits."""
    found = []
    if isinstance(node, dict):
        reasons = node.get("reasons") or {}
        for key, value in node.items():
            if key == "reasons":
                continue
            is_null = value is None or (
                isinstance(value, list)
                and any(v is None for v in value)
                and not any(isinstance(v, dict) for v in value)
            )
            if is_null and not reasons.get(key):
                found.append(f"{path}.{key}")
            found.extend(nulls_without_reason(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(nulls_without_reason(value, f"{path}[{i}]"))
    return found


SEED_CLAIMS = [
    ClaimSpec("mean", ("collaboration",), 8.5, "seed article"),
    ClaimSpec("mean", ("human",), 6.5, "seed article"),
    ClaimSpec("mean", ("ai",), 4.5, "seed article"),
    ClaimSpec("difference", ("collaboration", "human"), 2.0, "seed article"),
]


@pytest.fixture(scope="module")
def seed_study_document():
    frame = simulate(1, participants=60, samples_per_group=12, per_group=4, means=SEED_MEANS)
    return run(frame, SEED_CLAIMS, group_order=ORDER, seed=3)


def test_document_has_every_fixed_key_of_design_section_5(seed_study_document):
    """DESIGN §5 results document: the fixed keys, with JSON types only."""
    doc = seed_study_document
    for key in ("n_ratings", "n_participants", "n_samples"):
        assert isinstance(doc[key], int)
    assert {"alpha", "equivalence_margin", "seed"} <= set(doc["parameters"])
    assert doc["parameters"]["engine_version"] == ENGINE_VERSION
    assert list(doc["groups"]) == ORDER
    for entry in doc["groups"].values():
        assert {"n", "mean", "sd", "median", "q1", "q3", "ci95", "histogram"} <= set(entry)
        assert len(entry["ci95"]) == 2
        assert all(isinstance(k, str) and "." not in k for k in entry["histogram"])
    for claim in doc["claims"]:
        assert {"kind", "groups", "claimed", "observed", "ci95", "p", "verdict"} <= set(claim)
    assert set(doc["omnibus"]["anova"]) >= {"F", "df_num", "df_den", "p"}
    assert set(doc["omnibus"]["welch_anova"]) >= {"F", "df_num", "df_den", "p"}
    assert set(doc["omnibus"]["kruskal_wallis"]) >= {"H", "df", "p"}
    assert [row["groups"] for row in doc["pairwise"]] == [
        ["human", "ai"],
        ["human", "collaboration"],
        ["ai", "collaboration"],
    ]
    pairwise_keys = {
        "groups",
        "mean_difference",
        "ci95",
        "welch_t",
        "df",
        "p",
        "p_holm",
        "hedges_g",
        "cliffs_delta",
        "mann_whitney_u",
        "p_mann_whitney",
        "p_mann_whitney_holm",
    }
    for row in doc["pairwise"]:
        assert pairwise_keys <= set(row)
    assert {"method", "means", "variance"} <= set(doc["model"])
    assert set(doc["model"]["means"]) == set(ORDER)
    assert {"participant", "sample", "residual"} <= set(doc["model"]["variance"])
    assert {"krippendorff_alpha_interval", "krippendorff_alpha_ordinal", "icc"} <= set(
        doc["reliability"]
    )
    for key in ("rater_quality", "with_exclusions", "zscores", "notes"):
        assert key in doc
    json.dumps(doc, allow_nan=False)
    assert nulls_without_reason(doc) == []


def test_sample_level_tests_run_on_per_sample_means():
    """DESIGN §4: omnibus and pairwise tests treat the sample as the unit. Each sample's two
    ratings are v - 1 and v + 1, so its mean is the published value v: R's oneway.test on
    welch_anova_scipy_r_oneway_test.json and Welch t.test / wilcox.test on
    welch_t_scipy_r.json / mannwhitney_u_scipy_r_basic.json follow; per-rating tests would
    see the extra spread and differ."""
    welch_ref = reference("welch_anova_scipy_r_oneway_test.json")
    rows = []
    for group, values in welch_ref["data"]["groups"].items():
        for i, v in enumerate(values):
            rows += [("pa", f"{group}-{i}", group, v - 1), ("pb", f"{group}-{i}", group, v + 1)]
    doc = run(frame_of(*zip(*rows, strict=True)), scale_min=-100, scale_max=100)
    welch = doc["omnibus"]["welch_anova"]
    assert welch["F"] == pytest.approx(welch_ref["expected"]["F"], rel=1e-10)
    assert welch["p"] == pytest.approx(welch_ref["expected"]["pvalue"], rel=1e-10)

    mwu_ref = reference("mannwhitney_u_scipy_r_basic.json")
    t_ref = reference("welch_t_scipy_r.json")
    for ref, first, second in ((t_ref, "a", "b"), (mwu_ref, "x", "y")):
        rows = []
        for group in (first, second):
            for i, v in enumerate(ref["data"][group]):
                rows += [("pa", f"{group}{i}", group, v - 1), ("pb", f"{group}{i}", group, v + 1)]
        doc = run(
            frame_of(*zip(*rows, strict=True)),
            group_order=[first, second],
            scale_min=-1000,
            scale_max=1000,
        )
        (row,) = doc["pairwise"]
        if ref is t_ref:
            assert row["welch_t"] == pytest.approx(ref["expected"]["t_a_b"], rel=1e-10)
            assert row["p"] == pytest.approx(ref["expected"]["p_a_b"], rel=1e-10)
        else:
            assert row["mann_whitney_u"] == ref["expected"]["U_x"]
            assert row["p_mann_whitney"] == pytest.approx(
                ref["expected"]["pvalues"]["two-sided/exact"], rel=1e-9
            )


def test_model_is_fed_the_crossed_design():
    """lmm_crossed_synthetic_lme4.json: lme4's REML means, SEs and variance components
    (tolerance 1e-4) come through the engine's coding of participants, samples and groups."""
    ref = reference("lmm_crossed_synthetic_lme4.json")
    data = ref["data"]
    frame = frame_of(data["participant"], data["sample"], data["group"], data["score"])
    doc = run(frame, group_order=["human", "ai", "collaboration"], model_method="reml")
    expected, tol = ref["expected"]["reml"], ref["tolerance"]["abs"]
    assert doc["model"]["method"] == "reml"
    for key, entry in expected["means"].items():
        assert doc["model"]["means"][key]["estimate"] == pytest.approx(entry["estimate"], abs=tol)
        assert doc["model"]["means"][key]["se"] == pytest.approx(entry["se"], abs=tol)
    for key, value in expected["variance"].items():
        assert doc["model"]["variance"][key] == pytest.approx(value, abs=tol)
    var = expected["variance"]
    within = var["sample"] / (var["sample"] + var["participant"] + var["residual"])
    assert doc["reliability"]["icc_within_group"] == pytest.approx(within, abs=1e-4)
    assert doc["reliability"]["icc_method"] == "crossed_model_variance_components"


def test_icc_of_a_complete_design_is_mcgraw_wong():
    """icc_pingouin_wine_8x4.json: every judge scored every wine, so reliability.icc is the
    two-way ANOVA ICC(A,1) = 0.728 with CI (0.43, 0.93)."""
    ref = reference("icc_pingouin_wine_8x4.json")
    rows = [
        (judge, f"wine{w}", "wine", score)
        for w, scores in enumerate(ref["data"]["scores"])
        for judge, score in zip(ref["data"]["judges"], scores, strict=True)
    ]
    doc = run(frame_of(*zip(*rows, strict=True)), scale_min=0, scale_max=10)
    i = ref["expected"]["type"].index("ICC(A,1)")
    assert doc["reliability"]["icc_method"] == "two_way_anova_complete"
    assert doc["reliability"]["icc"] == pytest.approx(ref["expected"]["ICC_3dp"][i], abs=5e-4)
    assert doc["reliability"]["icc_ci95"] == pytest.approx(
        ref["expected"]["CI95_2dp"][i], abs=0.005
    )


def test_same_data_and_seed_give_the_identical_document():
    """DESIGN §4: the same data and parameters give the same document (seeded resampling);
    another seed moves only the bootstrap intervals."""
    frame = simulate(4, participants=30, samples_per_group=8, per_group=3, means=SEED_MEANS)
    first = json.dumps(run(frame, SEED_CLAIMS, seed=11), sort_keys=True)
    again = json.dumps(run(frame, SEED_CLAIMS, seed=11), sort_keys=True)
    assert first == again
    other = run(frame, SEED_CLAIMS, seed=12)
    assert json.dumps(other, sort_keys=True) != first
    assert other["claims"] == json.loads(first)["claims"]


def test_true_claims_are_supported_with_enough_data():
    """DESIGN §4 verdicts, on a simulated study whose truth is the seed claim."""
    frame = simulate(5, participants=300, samples_per_group=80, per_group=10, means=SEED_MEANS)
    doc = run(frame, SEED_CLAIMS, group_order=ORDER)
    assert [c["verdict"] for c in doc["claims"]] == ["supported"] * 4
    for claim in doc["claims"]:
        assert claim["ci_tost"][0] > claim["claimed"] - 0.5
        assert claim["ci_tost"][1] < claim["claimed"] + 0.5


def test_claims_two_points_off_are_contradicted():
    """DESIGN §4 verdicts: true means 2 points below the claims (and a true difference of 0
    against the claimed 2.0)."""
    truth = {"human": 4.5, "ai": 2.5, "collaboration": 4.5}
    frame = simulate(6, participants=100, samples_per_group=20, per_group=5, means=truth)
    doc = run(frame, SEED_CLAIMS, group_order=ORDER)
    assert [c["verdict"] for c in doc["claims"]] == ["contradicted"] * 4
    assert all(c["p"] < 0.05 for c in doc["claims"])


def test_tiny_studies_are_inconclusive():
    """DESIGN §4 verdicts: three raters on two samples per group cannot tell."""
    frame = simulate(7, participants=3, samples_per_group=2, per_group=2, means=SEED_MEANS)
    doc = run(frame, SEED_CLAIMS, group_order=ORDER)
    assert [c["verdict"] for c in doc["claims"]] == ["inconclusive"] * 4


def test_true_claims_are_contradicted_in_about_alpha_of_studies():
    """Calibration under a true null with participant and sample effects (SD 1 each, as
    large as the noise): a true claim is called contradicted in about alpha = 5% of 200
    small seeded studies (binomial 99% range ~1.5-9%; accepted 1-12%). Treating ratings as
    independent would contradict far more often."""
    truth = {"human": 6.0, "ai": 5.0, "collaboration": 6.5}
    claims = [
        ClaimSpec("mean", ("human",), 6.0),
        ClaimSpec("difference", ("collaboration", "human"), 0.5),
    ]
    contradicted = np.zeros(2)
    studies = 200
    for seed in range(studies):
        frame = simulate(
            1000 + seed,
            participants=12,
            samples_per_group=8,
            per_group=4,
            means=truth,
            sd_participant=1.0,
            sd_sample=1.0,
            sd_residual=1.0,
            rounded=False,
        )
        doc = run(frame, claims, group_order=ORDER, seed=seed)
        contradicted += [c["verdict"] == "contradicted" for c in doc["claims"]]
    rates = contradicted / studies
    assert np.all((rates >= 0.01) & (rates <= 0.12)), rates


def test_attention_checks_count_only_for_rater_quality():
    """DESIGN §4: attention-check rows are excluded from everything but rater quality; a
    participant failing one is flagged and left out of `with_exclusions`."""
    base = simulate(8, participants=20, samples_per_group=6, per_group=3, means=SEED_MEANS)
    plain = run(base, SEED_CLAIMS, group_order=ORDER)
    n = base.score.size
    checks = frame_of(
        ["p0", "p1", "p2"],
        ["check", "check", "check"],
        ["human", "human", "human"],
        [10.0, 10.0, 2.0],
        low=[9, 9, 9],
        high=[10, 10, 10],
    )
    both = RatingsFrame(
        *(
            np.concatenate([getattr(base, f), getattr(checks, f)])
            for f in RatingsFrame.__dataclass_fields__
        )
    )
    doc = run(both, SEED_CLAIMS, group_order=ORDER)
    assert doc["n_ratings"] == n
    assert doc["groups"] == plain["groups"]
    assert doc["claims"] == plain["claims"]
    assert doc["rater_quality"]["excluded_participants"] == ["p2"]
    flag = doc["rater_quality"]["flags"][0]
    assert flag["flagged_for"] == ["attention_check_failed"]
    excluded = doc["with_exclusions"]
    assert excluded["excluded_participants"] == ["p2"]
    assert excluded["n_ratings"] == n - int(np.sum(base.participant == "p2"))
    assert excluded["groups"]["human"]["n"] < doc["groups"]["human"]["n"]
    assert [c["verdict"] for c in excluded["claims"]]


def test_detection_reports_accuracy_and_the_confusion_matrix():
    """DESIGN §4 detection: accuracy against chance and {true: {guessed: count}}, with the
    test that respects raters and samples under `p` and `ci95`; the binomial p, labelled
    naive, of 4 of 5 right at 1/3 is R's binom.test(4, 5, 1/3, "greater") = P(X >= 4)."""
    frame = frame_of(
        ["a", "a", "b", "b", "c", "c"],
        ["s1", "s2", "s1", "s3", "s2", "s3"],
        ["human", "ai", "human", "collaboration", "ai", "collaboration"],
        [6, 4, 7, 8, 5, 9],
        guess=["human", "human", "human", "collaboration", "ai", ""],
    )
    doc = run(frame, group_order=ORDER)
    det = doc["detection"]
    assert (det["n"], det["correct"]) == (5, 4)
    assert det["confusion"]["ai"] == {"human": 1, "ai": 1, "collaboration": 0}
    from scipy.stats import binom

    uniform = det["chance_uniform"]
    assert uniform["p_binomial_naive"] == pytest.approx(binom.sf(3, 5, 1 / 3), rel=1e-12)
    assert set(uniform) >= {"p0", "p", "ci95", "p_binomial_naive", "ci95_binomial_naive"}
    assert uniform["p"] is not None and uniform["p"] != uniform["p_binomial_naive"]
    assert uniform["ci95"] == det["accuracy_ci95"]["ci95"]
    assert "cluster" in det["test"] and "naive" in det["test"]
    assert det["method"] == "two_way_cluster_robust"
    # "AI involved or not": hits on b's collaboration and c's ai sample, none of 2 humans.
    sdt = det["signal_detection"]
    assert (sdt["hits"], sdt["signal_trials"], sdt["false_alarms"], sdt["noise_trials"]) == (
        2,
        3,
        0,
        2,
    )
    assert [p["participant"] for p in det["per_participant"]] == ["a", "b", "c"]
    assert det["per_participant"][0]["d_prime"] is not None  # a guessed human and ai samples
    assert det["per_participant"][2]["reasons"]["d_prime"]  # c guessed no human sample
    assert "detection" not in run(
        simulate(9, participants=4, samples_per_group=3, per_group=1, means=SEED_MEANS)
    )


def test_zscores_view_and_participants_without_a_spread():
    """DESIGN §4 robustness view: group means of per-participant z-scores (R's scale()); a
    participant with a single rating has none and is listed."""
    frame = frame_of(
        ["a", "a", "a", "a", "b", "b", "b", "b", "c"],
        ["h1", "h2", "x1", "x2", "h1", "h2", "x1", "x2", "h1"],
        ["human", "human", "ai", "ai", "human", "human", "ai", "ai", "human"],
        [7, 9, 3, 5, 8, 8, 2, 2, 5],
    )
    doc = run(frame, group_order=["human", "ai"])
    z = doc["zscores"]
    assert z["participants_without_z"] == ["c"]
    # a: mean 6, sd sqrt(20/3); b: mean 5, sd sqrt(12)  (values by hand from R's scale())
    za = (np.array([7, 9, 3, 5]) - 6) / np.sqrt(20 / 3)
    zb = (np.array([8, 8, 2, 2]) - 5) / np.sqrt(12)
    assert z["groups"]["human"]["mean"] == pytest.approx(np.mean([*za[:2], *zb[:2]]))
    assert z["groups"]["ai"]["mean"] == pytest.approx(np.mean([*za[2:], *zb[2:]]))


def test_progress_reports_every_stage_in_order():
    """The task's progress callback sees descriptives, tests, model, reliability, quality,
    done, with increasing percentages."""
    seen = []
    frame = simulate(10, participants=6, samples_per_group=3, per_group=2, means=SEED_MEANS)
    run(frame, progress=lambda stage, percent: seen.append((stage, percent)))
    stages = [stage for stage, _ in seen]
    assert stages == ["descriptives", "tests", "model", "reliability", "quality", "done"]
    assert [p for _, p in seen] == sorted(p for _, p in seen) and seen[-1][1] == 100


# Degenerate inputs: never an exception, null with a reason (DESIGN §5)


def check_degenerate(doc: dict) -> None:
    json.dumps(doc, allow_nan=False)
    assert nulls_without_reason(doc) == []


def test_empty_input_gives_nulls_with_reasons():
    """DESIGN §5 degenerate case: no ratings at all."""
    frame = frame_of([], [], [], [])
    doc = run(frame, SEED_CLAIMS, group_order=ORDER)
    check_degenerate(doc)
    assert doc["n_ratings"] == 0
    assert doc["groups"]["human"]["mean"] is None
    assert doc["groups"]["human"]["reasons"]["mean"] == "no ratings in this group"
    assert doc["omnibus"]["anova"]["F"] is None
    assert all(c["verdict"] is None for c in doc["claims"])
    assert doc["model"]["reasons"]["method"]


def test_one_group_gives_no_omnibus_and_no_pairs():
    """DESIGN §5 degenerate case: one group."""
    frame = simulate(11, participants=10, samples_per_group=6, per_group=3, means={"human": 6})
    doc = run(frame, [ClaimSpec("mean", ("human",), 6.0)])
    check_degenerate(doc)
    assert doc["omnibus"]["anova"]["reasons"]["F"] == "fewer than two groups with data"
    assert doc["pairwise"] == []
    assert doc["claims"][0]["verdict"] in {"supported", "inconclusive", "contradicted"}


def test_one_rater_gives_no_agreement_statistics():
    """DESIGN §5 degenerate case: one rater, so no two values share a sample."""
    frame = simulate(12, participants=1, samples_per_group=5, per_group=5, means=SEED_MEANS)
    doc = run(frame, SEED_CLAIMS, group_order=ORDER)
    check_degenerate(doc)
    assert doc["n_participants"] == 1
    assert doc["reliability"]["krippendorff_alpha_interval"] is None
    assert doc["reliability"]["reasons"]["krippendorff_alpha_interval"]
    assert doc["reliability"]["icc"] is None


def test_all_equal_scores_give_zero_sd_and_null_tests():
    """DESIGN §5 degenerate case: zero variance."""
    frame = simulate(13, participants=8, samples_per_group=4, per_group=2, means=SEED_MEANS)
    frame.score[:] = 7.0
    doc = run(frame, SEED_CLAIMS, group_order=ORDER)
    check_degenerate(doc)
    assert doc["groups"]["human"]["sd"] == 0.0
    assert doc["omnibus"]["anova"]["F"] is None
    assert doc["omnibus"]["kruskal_wallis"]["reasons"]["H"] == "all values are equal"
    assert doc["pairwise"][0]["p"] is None
    assert doc["reliability"]["krippendorff_alpha_interval"] is None
    for claim in doc["claims"]:
        assert claim["verdict"] is None and claim["reasons"]["verdict"]


def test_a_group_with_one_sample_gets_no_sample_level_ci():
    """DESIGN §5 degenerate case: a group with one sample."""
    frame = simulate(14, participants=10, samples_per_group=5, per_group=2, means=SEED_MEANS)
    only = (frame.group != "ai") | (frame.sample == "ai-0")
    frame = RatingsFrame(*(getattr(frame, f)[only] for f in RatingsFrame.__dataclass_fields__))
    doc = run(frame, SEED_CLAIMS, group_order=ORDER)
    check_degenerate(doc)
    ai = doc["groups"]["ai"]
    assert ai["n_samples"] == 1
    assert ai["ci95"] == [None, None]
    assert ai["reasons"]["ci95"] == "fewer than two samples in this group"
    assert ai["bootstrap_ci95"]["percentile"] == [None, None]
    pair = next(r for r in doc["pairwise"] if r["groups"] == ["human", "ai"])
    assert pair["p"] is None and pair["reasons"]["p"] == "a group has fewer than two values"


def test_malformed_and_unknown_claims_get_reasons():
    """DESIGN §5: a claim that cannot be checked is null with a reason, never a crash."""
    frame = simulate(15, participants=6, samples_per_group=3, per_group=2, means=SEED_MEANS)
    claims = [
        ClaimSpec("mean", ("robot",), 5.0),
        ClaimSpec("difference", ("human",), 1.0),
        ClaimSpec("difference", ("human", "human"), 0.0),
    ]
    doc = run(frame, claims, group_order=ORDER)
    check_degenerate(doc)
    reasons = [c["reasons"]["verdict"] for c in doc["claims"]]
    assert reasons[0] == "unknown group: robot"
    assert reasons[1].startswith("malformed claim")
    assert reasons[2] == "a difference needs two different groups"


def test_a_hundred_thousand_ratings_take_seconds():
    """The memory budget (1M ratings < 2 GB) at a tenth of the size, on the linear-time
    model path a million ratings take ("moments"): 100k ratings under 400 MB of NumPy
    allocations, which a per-rating matrix would miss by far. The time budget is
    bench/analysis_scale.py's: a unit test asserts no wall-clock time."""
    frame = simulate(16, participants=1000, samples_per_group=5000, per_group=33, means=SEED_MEANS)
    assert frame.score.size == 99_000
    tracemalloc.start()
    doc = run(frame, SEED_CLAIMS, group_order=ORDER, model_method="moments")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert doc["n_ratings"] == 99_000
    assert doc["model"]["method"] == "moments"
    assert peak < 400 * 2**20
