"""Bradley-Terry(-Davidson) fits, crossed win-rate intervals, ordering verdicts and
agreement (analysis.stats.pairwise), against R and against simulated truths."""

import itertools

import numpy as np
import pytest

from analysis.stats import pairwise as st
from tests.analysis.pairwise_studies import simulated_codes
from tests.reference import reference


def _table(rows, players, *, ties=False):
    """(first, second, outcome, weight) from [A, B, A wins, B wins(, ties)] rows."""
    first, second, outcome, weight = [], [], [], []
    for row in rows:
        counts = row[2:5] if ties else row[2:4]
        for code, count in zip((st.A, st.B, st.TIE), counts, strict=False):
            first.append(players.index(row[0]))
            second.append(players.index(row[1]))
            outcome.append(code)
            weight.append(count)
    return first, second, outcome, weight


def test_abilities_and_standard_errors_match_bradleyterry2_on_the_citations_data():
    """tests/reference_data/bradley_terry_citations_r_bradleyterry2.json: Stigler's
    citations, BTm in R's BradleyTerry2 (Turner & Firth 2012)."""
    case = reference("bradley_terry_citations_r_bradleyterry2.json")
    players = ["Biometrika", "Comm Statist", "JASA", "JRSS-B"]
    first, second, outcome, weight = _table(case["comparisons"], players)
    fit = st.bradley_terry(first, second, outcome, 4, weight=weight, position=False)
    assert fit.reason is None
    assert fit.ability[0] == 0
    for name, expected in case["expected"]["ability"].items():
        j = players.index(name)
        assert fit.ability[j] == pytest.approx(
            expected["estimate"], abs=case["tolerance"]["estimate"]
        )
        assert fit.ability_se[j] == pytest.approx(expected["se"], abs=case["tolerance"]["se"])


def test_the_first_position_effect_matches_bradleyterry2_home_advantage_on_baseball():
    """tests/reference_data/bradley_terry_home_advantage_baseball_r.json: Agresti's 1987
    American League table, BTm(... ~ team + at.home) in R (code in the file); the home
    team plays the part of the sample shown first."""
    case = reference("bradley_terry_home_advantage_baseball_r.json")
    games = case["data"]["games"]
    players = sorted({g[0] for g in games} | {g[1] for g in games})
    assert players[0] == "Baltimore"
    first, second, outcome, weight = _table(games, players)
    fit = st.bradley_terry(first, second, outcome, len(players), weight=weight)
    tol = case["tolerance"]
    for name, expected in case["expected"]["ability"].items():
        j = players.index(name)
        assert fit.ability[j] == pytest.approx(expected["estimate"], abs=tol["estimate"])
        assert fit.ability_se[j] == pytest.approx(expected["se"], abs=tol["se"])
    home = case["expected"]["at_home"]
    assert fit.position == pytest.approx(home["estimate"], abs=tol["estimate"])
    assert fit.position_se == pytest.approx(home["se"], abs=tol["se"])


def test_davidson_ties_with_an_order_effect_match_a_maximum_likelihood_fit_in_r():
    """tests/reference_data/davidson_ties_order_effect_r.json: the Davidson likelihood with
    an order effect maximised in R (nlm and optim agree; SEs from numDeriv's Hessian)."""
    case = reference("davidson_ties_order_effect_r.json")
    players = ["human", "ai", "collaboration"]
    first, second, outcome, weight = _table(case["data"]["comparisons"], players, ties=True)
    fit = st.bradley_terry(first, second, outcome, 3, weight=weight)
    tol, expected = case["tolerance"], case["expected"]
    for name in ("ai", "collaboration"):
        j = players.index(name)
        assert fit.ability[j] == pytest.approx(
            expected["ability"][name]["estimate"], abs=tol["estimate"]
        )
        assert fit.ability_se[j] == pytest.approx(expected["ability"][name]["se"], abs=tol["se"])
    assert fit.position == pytest.approx(expected["delta"]["estimate"], abs=tol["estimate"])
    assert fit.position_se == pytest.approx(expected["delta"]["se"], abs=tol["se"])
    assert fit.tie == pytest.approx(expected["log_nu"]["estimate"], abs=tol["estimate"])
    assert fit.tie_se == pytest.approx(expected["log_nu"]["se"], abs=tol["se"])
    assert fit.loglik == pytest.approx(expected["loglik"], abs=tol["loglik"])


def test_the_sparse_solver_for_many_players_gives_the_dense_solution(monkeypatch):
    """Per-sample fits beyond DENSE_LIMIT parameters solve Newton steps by conjugate
    gradients: the same estimates as the dense solve."""
    rng = np.random.default_rng(3)
    _, sa, sb, _, _, outcome = simulated_codes(
        rng,
        abilities=[0, 0.5, -0.5],
        n_raters=100,
        n_samples=60,
        per_rater=30,
        nu=0.4,
        sample_sd=0.7,
        position=0.2,
    )
    keep = st.strongly_connected(sa, sb, outcome, 60)
    assert keep.all()
    dense = st.bradley_terry(sa, sb, outcome, 60)
    monkeypatch.setattr(st, "DENSE_LIMIT", 10)
    sparse_fit = st.bradley_terry(sa, sb, outcome, 60)
    assert sparse_fit.covariance is None and sparse_fit.se_method == st.APPROXIMATE_SE
    np.testing.assert_allclose(sparse_fit.ability, dense.ability, atol=1e-6)
    assert sparse_fit.position == pytest.approx(dense.position, abs=1e-6)
    # The conditional SE is a lower bound of the full one.
    assert np.all(sparse_fit.ability_se[1:] <= dense.ability_se[1:] + 1e-12)


def test_a_player_who_won_every_comparison_is_left_out_of_the_connected_players():
    first = [0, 0, 1, 2, 1]
    second = [1, 2, 2, 1, 3]
    outcome = [st.A, st.A, st.A, st.A, st.B]  # 0 beats 1 and 2: never loses
    keep = st.strongly_connected(first, second, outcome, 4)
    assert keep.tolist() == [False, True, True, False]
    fit = st.bradley_terry(first, second, outcome, 4, position=False)
    assert fit.reason == st.NO_MAXIMUM


def test_group_abilities_are_covered_by_their_intervals_at_about_the_nominal_rate():
    """400 simulated studies under the model (no sample or rater effects): each of the two
    free abilities and the position effect inside its 95% CI about 95% of the time."""
    rng = np.random.default_rng(20261203)
    truth = np.array([0.0, -0.6, 0.4])
    hits = np.zeros(3)
    n = 400
    for _ in range(n):
        _, _, _, ga, gb, outcome = simulated_codes(
            rng, abilities=truth, n_raters=30, n_samples=30, per_rater=10, position=0.25, nu=0.3
        )
        fit = st.bradley_terry(ga, gb, outcome, 3)
        estimates = [
            (fit.ability[1], fit.ability_se[1], truth[1]),
            (fit.ability[2], fit.ability_se[2], truth[2]),
            (fit.position, fit.position_se, 0.25),
        ]
        for j, (est, se, true) in enumerate(estimates):
            low, high = st.wald_interval(est, se)
            hits[j] += low <= true <= high
    coverage = hits / n
    # Binomial sd of a 95 % rate over 400 studies: 1.1 points.
    assert np.all(coverage > 0.92) and np.all(coverage < 0.98), coverage


def test_the_crossed_variance_sums_products_of_comparisons_that_share_a_rater_or_a_sample():
    rng = np.random.default_rng(7)
    n = 40
    rater = rng.integers(0, 6, n)
    sa = rng.integers(0, 8, n)
    sb = (sa + rng.integers(1, 8, n)) % 8
    u = rng.normal(size=n)
    brute = sum(
        u[i] * u[j]
        for i, j in itertools.product(range(n), repeat=2)
        if rater[i] == rater[j] or {sa[i], sb[i]} & {sa[j], sb[j]}
    )
    assert st.crossed_pair_variance(u, rater, sa, sb, small_sample=False) == pytest.approx(brute)


def _pair_share(codes, i=0, j=1, level=0.95):
    rater, sa, sb, ga, gb, outcome = codes
    rows = ((ga == i) & (gb == j)) | ((ga == j) & (gb == i))
    won = np.where(ga[rows] == i, outcome[rows] == st.A, outcome[rows] == st.B)
    lost = np.where(ga[rows] == i, outcome[rows] == st.B, outcome[rows] == st.A)
    y = won + 0.5 * (outcome[rows] == st.TIE)
    share = st.crossed_share(y, rater[rows], sa[rows], sb[rows], level=level)
    return share, st.binomial_naive(int(won.sum()), int(lost.sum()))


def test_a_true_ordering_at_its_boundary_is_contradicted_at_about_alpha_over_two():
    """Equal abilities, samples that differ (sd 1 on the logit scale) and raters with a
    lean toward A: 'human preferred to ai' is true at the boundary (win rate 0.5). The
    two-sided 95% interval lies below 0.5 in about 2.5% of 600 studies (and above it in
    about as many); the naive binomial test, blind to the recurring samples, rejects far
    more often than 5%."""
    rng = np.random.default_rng(11)
    contradicted = supported = naive = 0
    n = 600
    for _ in range(n):
        codes = simulated_codes(
            rng,
            abilities=[0, 0, 0],
            n_raters=60,
            n_samples=90,
            per_rater=30,
            nu=0.3,
            sample_sd=1.0,
            rater_sd=0.3,
            position=0.2,
        )
        share, p_naive = _pair_share(codes)
        verdict = st.ordering_verdict(share.ci_low, share.ci_high)
        contradicted += verdict == "contradicted"
        supported += verdict == "supported"
        naive += p_naive < 0.05
    assert 0.005 <= contradicted / n <= 0.05
    assert 0.005 <= supported / n <= 0.05
    assert naive / n > 0.2


def test_a_true_ordering_is_rarely_contradicted_and_mostly_supported():
    rng = np.random.default_rng(12)
    verdicts = []
    for _ in range(200):
        codes = simulated_codes(
            rng,
            abilities=[0.8, 0, 0],
            n_raters=60,
            n_samples=90,
            per_rater=30,
            sample_sd=1.0,
            rater_sd=0.3,
        )
        share, _ = _pair_share(codes)
        verdicts.append(st.ordering_verdict(share.ci_low, share.ci_high))
    assert verdicts.count("contradicted") == 0
    assert verdicts.count("supported") / len(verdicts) > 0.6


def test_an_injected_preference_for_the_first_position_is_found():
    rng = np.random.default_rng(13)
    found = 0
    for _ in range(50):
        _, _, _, ga, gb, outcome = simulated_codes(
            rng, abilities=[0, 0.3, -0.3], n_raters=40, n_samples=60, per_rater=20, position=0.4
        )
        fit = st.bradley_terry(ga, gb, outcome, 3)
        low, _ = st.wald_interval(fit.position, fit.position_se)
        found += low > 0
        assert st.logistic(fit.position) == pytest.approx(st.logistic(0.4), abs=0.06)
    assert found >= 45


def test_pigeonhole_bootstrap_is_seeded_and_wider_than_the_crossed_interval_without_effects():
    rng = np.random.default_rng(14)
    codes = simulated_codes(rng, abilities=[0, 0, 0], n_raters=40, n_samples=60, per_rater=20)
    rater, sa, sb, _, _, outcome = codes
    y = (outcome == st.A).astype(float)
    cell = np.zeros(y.size, dtype=np.int64)

    def boot(seed):
        return st.pigeonhole_bootstrap(
            y, cell, rater, sa, sb, n_cells=1, n_resamples=300, rng=np.random.default_rng(seed)
        )

    first = boot(1)
    np.testing.assert_array_equal(first, boot(1))
    assert not np.array_equal(first, boot(2))
    share = st.crossed_share(y, rater, sa, sb)
    assert first[0, 0] < share.estimate < first[0, 1]
    assert first[0, 1] - first[0, 0] > share.ci_high - share.ci_low


def test_agreement_counts_rater_pairs_of_one_sample_pair_that_chose_alike():
    # Pair (0, 1): three raters choose 0, 0 (shown second), 1: 1 of 3 rater pairs agree.
    # Pair (2, 3): two raters, both ties: agree. Pair (0, 2): one rater: not counted.
    rater = [0, 1, 2, 0, 1, 3]
    sa = [0, 1, 0, 2, 3, 0]
    sb = [1, 0, 1, 3, 2, 2]
    outcome = [st.A, st.B, st.B, st.TIE, st.TIE, st.A]
    result = st.pair_agreement(rater, sa, sb, outcome)
    assert result.pairs_with_two_raters == 2
    assert result.rate == pytest.approx((1 / 3 + 1) / 2)
    t = 2 / 6
    assert result.chance == pytest.approx(2 * ((1 - t) / 2) ** 2 + t**2)


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (0.51, 0.6, "supported"),
        (0.4, 0.49, "contradicted"),
        (0.45, 0.55, "inconclusive"),
        (0.5, 0.6, "inconclusive"),
    ],
)
def test_ordering_verdicts_follow_the_interval(low, high, verdict):
    assert st.ordering_verdict(low, high) == verdict
