"""The planner (analysis.planning): verdict probabilities against published power values,
the analytic approximation against whole studies simulated through the engine, and the
design search."""

import numpy as np
import pytest
from scipy import stats

from analysis.engine import ClaimSpec
from analysis.planning import Design, PlanError, Scale, Variance, plan
from analysis.planning.analytic import contrast_variance, engine_df
from analysis.planning.design import contrast
from analysis.planning.search import Criterion, p_right_verdict
from analysis.planning.simulation import simulated_study
from analysis.stats.claims import claim_verdict, verdict_regions
from analysis.stats.mixed import fit_crossed
from tests.reference import reference

TINY_MARGIN = 1e-9  # no estimate is ever `supported`: p_contradicted is the t-test's power


def _one_sample(n, d, margin):
    doc = plan(
        design=Design(("a",), n, 1, 1),
        variance=Variance(0.0, 0.0, 1.0),
        claims=[ClaimSpec("mean", ("a",), 5.0)],
        truth={"a": 5.0 + d},
        margin=margin,
    )
    return doc["claims"][0]


def _two_sample(n, d, margin):
    doc = plan(
        design=Design(("a", "b"), n, 1, 1),
        variance=Variance(0.0, 0.0, 1.0),
        claims=[ClaimSpec("difference", ("a", "b"), 0.0)],
        truth={"a": 5.0 + d, "b": 5.0},
        margin=margin,
    )
    return doc["claims"][0]


def test_one_rating_per_sample_without_rater_or_sample_variance_is_the_one_sample_t_test():
    """R's pwr.t.test(type = "one.sample") and power.t.test: power_ttest_r_pwr.json (as
    statsmodels quotes it) and power_t_tost_r.json."""
    pwr = reference("power_ttest_r_pwr.json")
    case = pwr["data"]["one_sample"]
    got = _one_sample(case["n"], case["d"], TINY_MARGIN)["p_contradicted"]
    assert got == pytest.approx(pwr["expected"]["one_sample_power"], abs=1e-9)
    more = reference("power_t_tost_r.json")
    case = more["data"]["one_sample"]
    got = _one_sample(case["n"], case["d"], TINY_MARGIN)["p_contradicted"]
    assert got == pytest.approx(more["expected"]["one_sample_power"], abs=1e-9)


def test_a_difference_of_two_groups_of_single_ratings_is_the_two_sample_t_test():
    """R's pwr.t.test(type = "two.sample") and power.t.test: power_ttest_r_pwr.json and
    power_t_tost_r.json."""
    pwr = reference("power_ttest_r_pwr.json")
    case = pwr["data"]["two_sample"]
    got = _two_sample(case["n_per_group"], case["d"], TINY_MARGIN)["p_contradicted"]
    assert got == pytest.approx(pwr["expected"]["two_sample_power"], abs=1e-9)
    more = reference("power_t_tost_r.json")
    case = more["data"]["two_sample"]
    got = _two_sample(case["n_per_group"], case["d"], TINY_MARGIN)["p_contradicted"]
    assert got == pytest.approx(more["expected"]["two_sample_power"], abs=1e-9)


def test_the_probability_of_supported_is_the_exact_power_of_tost():
    """Exact TOST power by numerical integration in R (power_t_tost_r.json, with the R
    call), which a 1e6-study simulation in R confirms."""
    ref = reference("power_t_tost_r.json")
    tolerance = ref["tolerance"]["tost_abs"]
    for case, expected in zip(ref["data"]["tost"], ref["expected"]["tost_power"], strict=True):
        run = _one_sample if case["design"] == "one_sample" else _two_sample
        got = run(case["n"], case["true_difference"], case["margin"])["p_supported"]
        assert got == pytest.approx(expected, abs=tolerance), case


def test_the_engine_and_the_planner_judge_a_claim_by_one_rule():
    """The engine's verdict on a CI (`claim_verdict`) is the region the planner's
    probabilities integrate over; and those probabilities are the shares of the verdicts of
    estimates drawn from the distribution they are given."""
    rng = np.random.default_rng(3)
    for _ in range(2000):
        se = float(rng.uniform(0.05, 1.0))
        estimate = float(rng.normal(5.0, 1.0))
        df = float(rng.integers(2, 60)) if rng.random() < 0.8 else None
        margin = float(rng.uniform(0.1, 1.0))
        result = claim_verdict(estimate, se, 5.0, df=df, alpha=0.05, margin=margin)
        regions = verdict_regions(se, 5.0, df=df, alpha=0.05, margin=margin)
        assert result.verdict == regions.verdict(estimate)
        # The regions are the engine's intervals: supported iff its 90% CI is inside the
        # margin, contradicted iff its 95% CI excludes the claim.
        inside = result.tost_ci_low > 5.0 - margin and result.tost_ci_high < 5.0 + margin
        excludes = not result.ci_low <= 5.0 <= result.ci_high
        assert (result.verdict == "supported") == inside
        assert (result.verdict == "contradicted") == (excludes and not inside)
    for se, margin, df in [(0.2, 0.5, 20.0), (0.4, 0.5, 8.0), (0.1, 0.05, None)]:
        regions = verdict_regions(se, 5.0, df=df, alpha=0.05, margin=margin)
        truth, spread = 5.1, 0.3
        draws = rng.normal(truth, spread, 200_000)
        chances = regions.probabilities(lambda x, t=truth, s=spread: stats.norm.cdf(x, t, s))
        verdicts = regions.verdict(draws)
        for name, chance in chances.items():
            assert float(chance) == pytest.approx(np.mean(verdicts == name), abs=0.004)


ENGINE_DF_DESIGNS = [
    (Design(("a", "b"), 6, 15, 6), Variance(0.5, 0.4, 1.0)),  # capped at raters - 1
    (Design(("a", "b"), 40, 3, 40), Variance(0.6, 0.3, 1.0)),  # 6 raters
    (Design(("a", "b", "c"), 12, 10, 3), Variance(0.8, 0.5, 1.2)),  # samples - groups
    (Design(("a", "b"), 8, 1, 4), Variance(0.5, 0.5, 1.0)),  # one rating per sample
    (Design(("a", "b"), 10, 1, 1), Variance(0.0, 0.0, 1.0)),  # the two-sample t-test
    (Design(("a", "b"), 12, 4, 2), Variance(0.0, 0.5, 1.0)),  # no rater variance
]


@pytest.mark.parametrize(("design", "variance"), ENGINE_DF_DESIGNS)
def test_the_planner_gives_a_design_the_degrees_of_freedom_of_the_engine_s_fit(design, variance):
    """A study simulated from the design and fitted by the engine has the degrees of
    freedom the planner assumes (the participant cap depends on the fitted variance, so the
    designs with rater variance use a large one that no fit estimates as zero)."""
    big = Variance(variance.participant * 4, variance.sample, variance.residual)
    assumed = big if variance.participant > 0 else variance
    means = np.full(len(design.groups), 5.0)
    for seed in range(3):
        rng = np.random.default_rng([11, seed])
        score, group, participant, sample = simulated_study(design, assumed, means, rng)
        fit = fit_crossed(score, group, participant, sample, n_groups=len(design.groups))
        assert fit.df == engine_df(design, assumed), (design, fit.notes)
        cv = contrast_variance(design, assumed, np.eye(len(design.groups))[0])
        assert cv.engine_df == fit.df


# Designs for the agreement of the two methods: few and many samples, few and many raters,
# a large sample variance, a remainder of samples per rater over the groups.
AGREEMENT_DESIGNS = [
    (Design(("a", "b"), 6, 15, 6), Variance(0.5, 0.4, 1.0)),  # few samples, many raters
    (Design(("a", "b"), 40, 3, 40), Variance(0.6, 0.3, 1.0)),  # many samples, 6 raters
    (Design(("a", "b", "c"), 10, 5, 15), Variance(0.3, 2.0, 1.0)),  # large sample variance
    (Design(("a", "b", "c"), 12, 10, 3), Variance(0.8, 0.5, 1.2)),  # 120 raters of 3
    (Design(("a", "b", "c"), 10, 4, 8), Variance(0.6, 0.5, 1.0)),  # 8 over 3 groups
    (Design(("a", "b", "c"), 16, 5, 16), Variance(0.64, 0.49, 1.21)),  # the demo's shape
]
SIMULATIONS = 200


def _agreement_case(design, variance):
    """Claims whose verdicts are uncertain in this design: the margin 2.5 SEs of a mean,
    the mean's truth 1 SE off its claim, the difference's 1.5 SEs."""
    mean_se = contrast_variance(design, variance, np.eye(len(design.groups))[0]).se
    claims = [
        ClaimSpec("mean", ("a",), 5.0),
        ClaimSpec("difference", ("a", "b"), 0.0),
    ]
    diff_se = contrast_variance(design, variance, contrast(claims[1], design.groups)).se
    truth = {"a": 5.0 + mean_se, "b": 5.0 + mean_se - 1.5 * diff_se}
    return claims, truth, 2.5 * mean_se


@pytest.mark.parametrize(("design", "variance"), AGREEMENT_DESIGNS)
def test_the_analytic_plan_agrees_with_studies_simulated_through_the_engine(design, variance):
    """Within 4 Monte Carlo standard errors and 2 points on each verdict's probability
    (bench/planning.py holds 2,000 studies per design to 3 points), and within 5% on the
    CI half-width; a planner blind to the sample variance misses by far more."""
    claims, truth, margin = _agreement_case(design, variance)
    common = {"design": design, "claims": claims, "truth": truth, "margin": margin}
    simulated = plan(
        variance=variance, method="simulation", simulations=SIMULATIONS, seed=7, workers=1, **common
    )
    blind = plan(variance=Variance(variance.participant, 0.0, variance.residual), **common)
    tolerance = 4 * np.sqrt(0.25 / SIMULATIONS) + 0.02
    blind_misses = 0
    for entry, blind_entry in zip(simulated["claims"], blind["claims"], strict=True):
        analytic = entry["analytic"]
        for key in ("p_supported", "p_contradicted", "p_inconclusive"):
            assert analytic[key] == pytest.approx(entry[key], abs=tolerance), (entry, key)
            blind_misses += abs(blind_entry[key] - entry[key]) > tolerance
        assert analytic["ci95_halfwidth"] == pytest.approx(entry["ci95_halfwidth"], rel=0.05)
        if _sample_share(design, variance) > 0.25:
            assert blind_entry["ci95_halfwidth"] < 0.9 * entry["ci95_halfwidth"]
    if _sample_share(design, variance) > 0.25:
        assert blind_misses >= 1


def _sample_share(design, variance):
    """The share of a group mean's variance that comes from the samples' own variation."""
    mean = contrast_variance(design, variance, np.eye(len(design.groups))[0])
    return variance.sample / design.samples_per_group / mean.variance


def test_integer_scores_are_rounded_and_clipped_to_the_scale_in_simulated_studies():

    design = Design(("a", "b"), 5, 4, 4)
    score, *_ = simulated_study(
        design,
        Variance(4.0, 4.0, 4.0),
        [9.5, 1.5],
        np.random.default_rng(0),
        scale=Scale(1.0, 10.0, 1.0),
    )
    assert set(np.unique(score)) <= set(np.arange(1.0, 11.0))
    assert score.min() == 1.0 and score.max() == 10.0


def test_a_simulated_study_follows_the_design():

    design = Design(("a", "b", "c"), 10, 4, 8)
    score, group, participant, sample = simulated_study(
        design, Variance(1.0, 1.0, 1.0), [5.0, 5.0, 5.0], np.random.default_rng(1)
    )
    assert np.bincount(sample).tolist() == [4] * 30
    assert np.unique(participant * 30 + sample).size == score.size  # no sample twice
    per_rater = np.bincount(participant)
    assert participant.max() + 1 == design.raters == 15
    assert per_rater.max() <= 8
    for rater in range(design.raters):
        counts = np.bincount(group[participant == rater], minlength=3)
        assert counts.max() - counts.min() <= 1 or per_rater[rater] < 8
    assert np.array_equal(group, sample // 10)


def test_more_raters_at_fixed_samples_flatten_out_below_the_target():
    """Westfall, Kenny & Judd (2014): with samples nested in groups, the variance of a
    difference never falls below 2 s2_sample / S, so doubling the raters gains less and
    less and the probability levels off."""
    variance = Variance(0.64, 0.49, 1.21)
    criterion = Criterion(alpha=0.05, margin=0.5, target=0.8, off_by=1.0)
    weights = [np.array([1.0, -1.0, 0.0])]
    p = []
    for k in (5, 10, 20, 40, 80, 160):
        design = Design(("a", "b", "c"), 16, k, 16)
        p.append(p_right_verdict(design, variance, weights, criterion))
        limit = contrast_variance(design, variance, weights[0]).variance
        assert limit > 2 * 0.49 / 16
    gains = np.diff(p)
    assert np.all(gains >= 0)
    assert np.all(gains[1:] < gains[:-1])
    assert p[-1] < 0.8
    huge = contrast_variance(Design(("a", "b", "c"), 16, 10**6, 16), variance, weights[0])
    assert huge.variance == pytest.approx(2 * 0.49 / 16, rel=1e-5)


DEMO_CLAIMS = [
    ClaimSpec("mean", ("collaboration",), 8.5),
    ClaimSpec("mean", ("human",), 6.5),
    ClaimSpec("mean", ("ai",), 4.5),
    ClaimSpec("difference", ("collaboration", "human"), 2.0),
    ClaimSpec("difference", ("human", "ai"), 2.0),
]
DEMO_GROUPS = ("collaboration", "human", "ai")


def test_a_design_too_small_in_samples_is_reported_with_the_reason():
    doc = plan(
        design=Design(DEMO_GROUPS, 16, 20, 16),
        variance=Variance(0.64, 0.49, 1.21),
        claims=DEMO_CLAIMS,
    )
    r = doc["recommendation"]
    assert r["limited_by"] == "samples"
    assert r["p_right_verdict_now"] < r["p_right_verdict_unlimited_raters"] < 0.8
    assert r["ratings_per_sample_at_these_samples"] is None
    assert "no number of raters" in r["reason"]
    assert r["samples_per_group"] > 16
    assert r["p_right_verdict"] >= 0.8
    # The recommended design does reach the target; one sample fewer does not.
    criterion = Criterion(alpha=0.05, margin=0.5, target=0.8, off_by=1.0)
    weights = [contrast(c, DEMO_GROUPS) for c in DEMO_CLAIMS]
    fewer = Design(DEMO_GROUPS, r["samples_per_group"] - 1, r["ratings_per_sample"], 16)
    assert p_right_verdict(fewer, Variance(0.64, 0.49, 1.21), weights, criterion) < 0.8


def test_a_design_short_only_of_ratings_says_how_many_ratings_per_sample_reach_the_target():
    doc = plan(
        design=Design(DEMO_GROUPS, 70, 2, 16),
        variance=Variance(0.64, 0.49, 1.21),
        claims=DEMO_CLAIMS,
    )
    r = doc["recommendation"]
    assert r["limited_by"] == "ratings"
    k = r["ratings_per_sample_at_these_samples"]
    assert k > 2
    assert f"with {k} ratings per sample" in r["reason"]


def test_a_design_that_reaches_the_target_says_so():
    doc = plan(
        design=Design(DEMO_GROUPS, 200, 10, 16),
        variance=Variance(0.64, 0.49, 1.21),
        claims=DEMO_CLAIMS,
    )
    assert doc["recommendation"]["limited_by"] is None
    assert doc["recommendation"]["p_right_verdict_now"] >= 0.8


def test_the_plan_document_has_the_contracted_keys_and_the_claimed_values_as_default_truth():
    doc = plan(
        design=Design(DEMO_GROUPS, 16, 20, 16),
        variance=Variance(0.64, 0.49, 1.21),
        claims=DEMO_CLAIMS,
    )
    assert doc["method"] == "analytic"
    assert doc["design"]["raters"] == 60
    assert set(doc["variance"]) >= {"participant", "sample", "residual"}
    assert set(doc["parameters"]) >= {"alpha", "equivalence_margin"}
    assert doc["parameters"]["equivalence_margin"] == 0.5
    for entry, claim in zip(doc["claims"], DEMO_CLAIMS, strict=True):
        assert entry["assumed"] == pytest.approx(claim.value)
        total = entry["p_supported"] + entry["p_contradicted"] + entry["p_inconclusive"]
        assert total == pytest.approx(1.0)
        assert entry["ci95_halfwidth"] > 0
    assert set(doc["recommendation"]) >= {
        "samples_per_group",
        "ratings_per_sample",
        "raters",
        "p_right_verdict",
        "limited_by",
    }


def test_inputs_that_cannot_be_planned_are_refused_with_every_problem():
    with pytest.raises(PlanError) as error:
        plan(
            design=Design(("a", "b"), 1, 0, 5),
            variance=Variance(-1.0, 0.0, 1.0),
            claims=[ClaimSpec("mean", ("z",), 5.0)],
            alpha=0.7,
        )
    text = " ".join(error.value.problems)
    for part in ("samples per group", "ratings per sample", "not negative", "alpha", "'z'"):
        assert part in text
