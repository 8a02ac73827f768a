"""The crossed random-intercept model: exact REML against lme4, the moments fit against a
known truth, the two against each other, degenerate designs, and CI calibration."""

import json

import numpy as np
import pytest
from scipy import stats

from analysis.stats import mixed
from analysis.stats.mixed import design as mixed_design
from analysis.stats.mixed import fit_crossed, mean_ci
from analysis.stats.mixed import moments as mixed_moments
from analysis.stats.mixed import reml as mixed_reml
from tests.reference import reference_path

LME4_FILE = reference_path("lmm_crossed_synthetic_lme4.json")
GROUPS = ["ai", "collaboration", "human"]  # lme4's factor levels, alphabetical
TRUE_MEANS = np.array([4.5, 8.5, 6.5])
TRUE_VARIANCE = {"participant": 1.0, "sample": 0.64, "residual": 1.69}


def simulate_study(
    rng,
    *,
    n_participants,
    samples_per_group,
    rated_per_group,
    variance=TRUE_VARIANCE,
    means=TRUE_MEANS,
):
    """Each participant rates `rated_per_group` random samples of every group."""
    n_groups = len(means)
    participant, sample = [], []
    for i in range(n_participants):
        for g in range(n_groups):
            chosen = rng.choice(samples_per_group, size=rated_per_group, replace=False)
            sample.append(g * samples_per_group + chosen)
            participant.append(np.full(rated_per_group, i))
    participant = np.concatenate(participant)
    sample = np.concatenate(sample)
    group = sample // samples_per_group
    u = rng.normal(0, np.sqrt(variance["participant"]), n_participants)
    v = rng.normal(0, np.sqrt(variance["sample"]), n_groups * samples_per_group)
    e = rng.normal(0, np.sqrt(variance["residual"]), sample.size)
    score = means[group] + u[participant] + v[sample] + e
    return score, group, participant, sample


@pytest.fixture(scope="module")
def lme4_case():
    case = json.loads(LME4_FILE.read_text())
    data = case["data"]
    group = np.array([GROUPS.index(g) for g in data["group"]])
    participant = np.unique(data["participant"], return_inverse=True)[1]
    sample = np.unique(data["sample"], return_inverse=True)[1]
    score = np.array(data["score"], dtype=float)
    return case, (score, group, participant, sample)


@pytest.fixture(scope="module")
def medium_study():
    rng = np.random.default_rng(20261129)
    return simulate_study(rng, n_participants=200, samples_per_group=150, rated_per_group=15)


def test_reml_matches_lme4_on_the_published_crossed_study(lme4_case):
    """tests/reference_data/lmm_crossed_synthetic_lme4.json: 30 participants x 36 samples
    in 3 groups, fitted with R 4.2.2 / lme4 1.1.31, lmer(score ~ 0 + group +
    (1|participant) + (1|sample), REML = TRUE). Means, SEs, variance components and the REML
    criterion agree within the file's tolerance (1e-4 absolute)."""
    case, data = lme4_case
    expected = case["expected"]["reml"]
    tolerance = case["tolerance"]["abs"]

    fit = fit_crossed(*data, n_groups=3)

    assert fit.method == "reml"
    assert fit.converged
    for g, name in enumerate(GROUPS):
        assert fit.means[g] == pytest.approx(expected["means"][name]["estimate"], abs=tolerance)
        assert fit.se[g] == pytest.approx(expected["means"][name]["se"], abs=tolerance)
    for name, value in expected["variance"].items():
        assert fit.variance[name] == pytest.approx(value, abs=tolerance)
    assert fit.reml_criterion == pytest.approx(expected["reml_criterion"], abs=tolerance)


def test_reml_criterion_is_lowest_at_the_reported_optimum(lme4_case):
    """Moving either relative SD away from the fitted one raises -2 REML log-likelihood, so
    the optimiser stopped at a minimum, not merely near lme4's numbers."""
    _, data = lme4_case
    fit = fit_crossed(*data, n_groups=3)
    design = mixed_design._design(*data, 3, [])[0]
    criterion = mixed_reml._RemlCriterion(design)
    names = criterion.names
    t = np.sqrt([fit.variance[name] / fit.variance["residual"] for name in names])

    at_optimum = criterion.evaluate(t)[0]

    assert at_optimum == pytest.approx(fit.reml_criterion, abs=1e-9)
    for k in range(t.size):
        for step in (-1e-3, 1e-3):
            moved = t.copy()
            moved[k] += step
            assert criterion.evaluate(moved)[0] > at_optimum


def test_analytic_reml_gradient_matches_finite_differences(medium_study):
    design = mixed_design._design(*medium_study, 3, [])[0]
    criterion = mixed_reml._RemlCriterion(design)
    t = np.array([0.4, 0.9])
    h = 1e-6

    gradient = criterion.evaluate(t, gradient=True)[1]

    for k in range(2):
        step = np.eye(2)[k] * h
        numeric = (criterion.evaluate(t + step)[0] - criterion.evaluate(t - step)[0]) / (2 * h)
        assert gradient[k] == pytest.approx(numeric, rel=1e-5)


def test_moments_gls_reproduces_the_reml_gls_at_the_same_components(lme4_case):
    """The conjugate-gradient GLS of the moments path, run at REML's own variance ratios,
    gives REML's means and covariance (both are (X'V^-1 X)^-1 X'V^-1 y)."""
    _, data = lme4_case
    fit = fit_crossed(*data, n_groups=3, method="reml")
    design = mixed_design._design(*data, 3, [])[0]
    ratios = [
        (design.participant, design.n_participants, fit.variance["participant"]),
        (design.sample, design.n_samples, fit.variance["sample"]),
    ]
    ratios = [(c, n, v / fit.variance["residual"]) for c, n, v in ratios]

    beta, inverse, converged, _ = mixed_moments._gls_cg(design, ratios)

    assert converged
    np.testing.assert_allclose(beta + design.centre, fit.means, atol=1e-8)
    np.testing.assert_allclose(fit.variance["residual"] * inverse, fit.cov, atol=1e-9)


def test_moments_recover_known_components_and_means_on_a_large_study():
    """120,000 simulated ratings (1,000 participants, 3 x 2,000 samples, 20 ratings per
    sample) with known truth. Tolerances are about four standard errors: s2_p has ~1,000
    participants behind it (SE ~ s2_p sqrt(2/1000) = 0.045, times ~1.5 for the moment
    estimator's inefficiency), s2_s ~6,000 samples (SE ~ 0.015), s2_e 120,000 ratings."""
    rng = np.random.default_rng(7)
    data = simulate_study(rng, n_participants=1000, samples_per_group=2000, rated_per_group=40)

    fit = fit_crossed(*data, n_groups=3, method="moments")

    assert fit.method == "moments"
    assert fit.reml_criterion is None
    assert fit.converged
    assert fit.variance["participant"] == pytest.approx(1.0, abs=0.25)
    assert fit.variance["sample"] == pytest.approx(0.64, abs=0.08)
    assert fit.variance["residual"] == pytest.approx(1.69, abs=0.04)
    # The means share the participant effects, so they are checked against their own SE.
    assert np.all(np.abs(fit.means - TRUE_MEANS) < 4 * fit.se)
    # SE of a group mean under the truth: s2_s/2000 + s2_p/1000 + s2_e/40000 (roughly).
    expected_se = np.sqrt(0.64 / 2000 + 1.0 / 1000 + 1.69 / 40000)
    np.testing.assert_allclose(fit.se, expected_se, rtol=0.15)


def test_reml_and_moments_agree_on_a_medium_study(medium_study):
    reml = fit_crossed(*medium_study, n_groups=3, method="reml")
    moments = fit_crossed(*medium_study, n_groups=3, method="moments")

    assert reml.method == "reml" and moments.method == "moments"
    np.testing.assert_allclose(moments.means, reml.means, atol=0.1 * reml.se.max())
    np.testing.assert_allclose(moments.se, reml.se, rtol=0.05)
    for name in ("participant", "sample", "residual"):
        assert moments.variance[name] == pytest.approx(reml.variance[name], rel=0.1)


def test_auto_switches_to_moments_when_the_dense_side_is_too_large():
    rng = np.random.default_rng(3)
    n = mixed.REML_AUTO_MAX_DENSE + 100
    data = simulate_study(rng, n_participants=n, samples_per_group=n, rated_per_group=2)

    fit = fit_crossed(*data, n_groups=3)

    assert fit.method == "moments"
    assert any("method of moments" in note for note in fit.notes)


def test_auto_uses_exact_reml_on_a_small_study(medium_study):
    assert fit_crossed(*medium_study, n_groups=3).method == "reml"


def test_exact_reml_is_refused_beyond_its_dense_limit(medium_study, monkeypatch):
    monkeypatch.setattr(mixed, "REML_MAX_DENSE", 100)  # the medium study's side is 200
    with pytest.raises(ValueError, match="exact REML needs a dense 200x200 matrix"):
        fit_crossed(*medium_study, n_groups=3, method="reml")


def test_unknown_method_is_refused(medium_study):
    with pytest.raises(ValueError, match="method must be one of"):
        fit_crossed(*medium_study, n_groups=3, method="ml")


def test_mean_ci_uses_student_t_on_the_fit_degrees_of_freedom(lme4_case):
    _, data = lme4_case
    fit = fit_crossed(*data, n_groups=3)
    contrast = np.array([0.0, 1.0, -1.0])  # collaboration - human

    estimate, se, lo, hi = mean_ci(fit, contrast, level=0.90)

    assert estimate == pytest.approx(fit.means[1] - fit.means[2])
    assert se == pytest.approx(np.sqrt(fit.cov[1, 1] + fit.cov[2, 2] - 2 * fit.cov[1, 2]))
    assert fit.df == 29.0  # min(36 samples - 3 groups, 30 participants - 1)
    half = stats.t.ppf(0.95, 29) * se
    assert (lo, hi) == pytest.approx((estimate - half, estimate + half))


def _degenerate(name):
    rng = np.random.default_rng(11)
    score, group, participant, sample = simulate_study(
        rng, n_participants=12, samples_per_group=6, rated_per_group=3
    )
    n_groups = 3
    if name == "one group":
        keep = group == 0
        score, group, participant, sample = (a[keep] for a in (score, group, participant, sample))
        n_groups = 1
    elif name == "one participant":
        keep = participant == 0
        score, group, participant, sample = (a[keep] for a in (score, group, participant, sample))
    elif name == "one rating per sample":
        sample = np.arange(score.size)
    elif name == "one rating per participant":
        participant = np.arange(score.size)
    elif name == "all scores equal":
        score = np.full(score.size, 7.0)
    elif name == "a group with one sample":
        keep = (group != 2) | (sample == 2 * 6)
        score, group, participant, sample = (a[keep] for a in (score, group, participant, sample))
    elif name == "a group without ratings":
        n_groups = 4
    elif name == "one rating per group":
        score, group, participant, sample = (
            np.array([5.0, 6.0, 7.0]),
            np.arange(3),
            np.zeros(3, int),
            np.arange(3),
        )
    elif name == "no ratings":
        score, group, participant, sample = (np.array([]), *(np.array([], int),) * 3)
    elif name == "missing scores":
        score = score.copy()
        score[:5] = np.nan
    elif name == "one sample of each group per participant":
        return simulate_study(rng, n_participants=60, samples_per_group=20, rated_per_group=1), 3
    return (score, group, participant, sample), n_groups


ALL_COMPONENTS = {"participant", "sample", "residual"}
MOMENTS_ONLY_NOTES = {"one sample of each group per participant"}
DEGENERATE = {
    # name: (note fragment, variance components expected NaN, means expected finite)
    "one group": (None, set(), [0]),
    "one participant": ("one participant", {"participant", "sample"}, [0, 1, 2]),
    "one rating per sample": ("one rating per sample", {"sample"}, [0, 1, 2]),
    "one rating per participant": ("every participant gave one", {"participant"}, [0, 1, 2]),
    "all scores equal": ("every rating equals", set(), [0, 1, 2]),
    "a group with one sample": ("has one sample", set(), [0, 1, 2]),
    "a group without ratings": ("group 3 has no ratings", set(), [0, 1, 2]),
    "one rating per group": (
        "as many groups as ratings",
        {"participant", "sample", "residual"},
        [0],
    ),
    "no ratings": ("no ratings", {"participant", "sample", "residual"}, []),
    "missing scores": ("missing or infinite", set(), [0, 1, 2]),
    "one sample of each group per participant": ("across groups", set(), [0, 1, 2]),
}


@pytest.mark.parametrize("method", ["reml", "moments"])
@pytest.mark.parametrize("name", list(DEGENERATE))
def test_degenerate_designs_give_a_fit_with_a_note(name, method):
    data, n_groups = _degenerate(name)
    note, nan_components, finite_means = DEGENERATE[name]

    fit = fit_crossed(*data, n_groups=n_groups, method=method)

    assert fit.means.shape == (n_groups,) and fit.cov.shape == (n_groups, n_groups)
    assert np.all(np.isfinite(fit.means[finite_means]))
    for component, value in fit.variance.items():
        assert np.isnan(value) == (component in nan_components), component
    if note is not None and (method == "moments" or name not in MOMENTS_ONLY_NOTES):
        assert any(note in n for n in fit.notes), fit.notes
    if name not in ("no ratings", "one rating per group"):
        assert np.all(np.isfinite(fit.se[finite_means]))
        mean_ci(fit, np.eye(n_groups)[0], level=0.95)


def test_all_equal_scores_give_zero_variance_and_zero_se():
    data, _ = _degenerate("all scores equal")
    fit = fit_crossed(*data, n_groups=3)
    np.testing.assert_array_equal(fit.means, 7.0)
    np.testing.assert_array_equal(fit.se, 0.0)
    assert fit.variance == {"participant": 0.0, "sample": 0.0, "residual": 0.0}


def test_a_group_without_ratings_has_a_nan_mean():
    data, _ = _degenerate("a group without ratings")
    fit = fit_crossed(*data, n_groups=4)
    assert np.isnan(fit.means[3]) and np.isnan(fit.se[3])
    assert np.all(np.isnan(fit.cov[3]))
    assert np.all(np.isfinite(mean_ci(fit, np.array([1.0, -1.0, 0.0, 0.0]), level=0.95)))
    assert np.all(np.isnan(mean_ci(fit, np.array([0.0, 0.0, 1.0, -1.0]), level=0.95)))


@pytest.mark.parametrize("method", ["reml", "moments"])
def test_a_participant_variance_below_zero_is_reported_at_the_boundary(method):
    """Scores are shifted so that every participant's mean residual is zero: the data carry
    no participant variance at all, and the estimate sits on the boundary."""
    rng = np.random.default_rng(5)
    score, group, participant, sample = simulate_study(
        rng,
        n_participants=40,
        samples_per_group=20,
        rated_per_group=4,
        variance={"participant": 0.0, "sample": 0.64, "residual": 1.69},
    )
    residual = score - TRUE_MEANS[group]
    per_participant = np.bincount(participant, weights=residual) / np.bincount(participant)
    score = score - per_participant[participant]

    fit = fit_crossed(score, group, participant, sample, n_groups=3, method=method)

    assert fit.variance["participant"] == pytest.approx(0.0, abs=1e-6)
    assert any("participant variance" in n and "zero" in n for n in fit.notes), fit.notes
    assert np.all(np.isfinite(fit.se)) and fit.converged


def test_group_mean_cis_cover_the_truth_at_their_level_where_naive_cis_do_not():
    """200 simulated small studies (20 participants each rating 4 of 6 samples per group),
    true sample and participant effects: the model's 95% CI for each group mean covers the
    truth about 95% of the time (band 0.90-0.99 for 600 intervals), while the naive CI that
    treats the ratings as independent covers far less (its SE is about half the true one:
    sqrt(3.33/80) against sqrt(0.64/6 + 1/20 + 1.69/80), so it covers about 67%)."""
    rng = np.random.default_rng(2026)
    covered, naive_covered, total = 0, 0, 0
    for _ in range(200):
        score, group, participant, sample = simulate_study(
            rng, n_participants=20, samples_per_group=6, rated_per_group=4
        )
        fit = fit_crossed(score, group, participant, sample, n_groups=3)
        for g in range(3):
            _, _, lo, hi = mean_ci(fit, np.eye(3)[g], level=0.95)
            covered += lo <= TRUE_MEANS[g] <= hi
            ratings = score[group == g]
            half = stats.t.ppf(0.975, ratings.size - 1) * stats.sem(ratings)
            naive_covered += abs(ratings.mean() - TRUE_MEANS[g]) <= half
            total += 1

    assert 0.90 <= covered / total <= 0.99
    assert naive_covered / total < 0.80
