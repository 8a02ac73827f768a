"""Source detection: accuracy against chance with the crossing of raters and samples
respected, the naive exact binomial test (R's binom.test) beside it, the confusion matrix,
and d' and c for "AI involved or not"."""

import numpy as np
import pytest
from scipy import special

from analysis.stats.detection import (
    NO_SDT_GROUPS,
    ONE_CLUSTER,
    binomial_test,
    crossed_proportion,
    detection_summary,
    pooled_sdt,
    sdt_measures,
)
from tests.analysis.detection_studies import GROUPS, guessing_studies
from tests.reference import reference

ALPHA = 0.05


def test_binomial_test_matches_r_binom_test_example():
    """Published reference (no file): R's ?binom.test example (Conover 1971, p. 97):
    binom.test(682, 682 + 243, p = 3/4) gives p-value = 0.3825 and 95 percent confidence
    interval 0.7076683 0.7654066."""
    res = binomial_test(682, 925, 0.75, alternative="two-sided")
    assert res.p == pytest.approx(0.3825, abs=5e-5)
    assert res.ci_low == pytest.approx(0.7076683, abs=5e-8)
    assert res.ci_high == pytest.approx(0.7654066, abs=5e-8)
    assert res.proportion == pytest.approx(682 / 925)


def test_one_sided_binomial_is_the_upper_tail():
    """P(X >= k) for X ~ Binomial(n, p0) (R: binom.test(k, n, p0, "greater")); for 10 of 10
    at p0 = 1/2 this is 2^-10 exactly."""
    assert binomial_test(10, 10, 0.5).p == pytest.approx(2**-10, rel=1e-12)


def test_confusion_matrix_and_chance_levels():
    """Counts by construction: 3 groups, 6 guesses, 4 right. Uniform chance is 1/3; the
    majority baseline is the most frequent true group's share (3 of 6 'human')."""
    true = np.array(["human", "human", "human", "ai", "ai", "collaboration"])
    guessed = np.array(["human", "human", "ai", "ai", "bot", "collaboration"])
    d = detection_summary(
        true,
        guessed,
        ["human", "ai", "collaboration"],
        rater=np.array([0, 0, 1, 1, 2, 2]),
        sample=np.array([0, 1, 2, 3, 4, 5]),
    )
    assert (d.n, d.correct) == (6, 4)
    assert d.confusion["human"] == {"human": 2, "ai": 1, "collaboration": 0, "bot": 0}
    assert d.confusion["ai"] == {"human": 0, "ai": 1, "collaboration": 0, "bot": 1}
    assert {g: e.estimate for g, e in d.per_group.items()} == {
        "human": 2 / 3,
        "ai": 0.5,
        "collaboration": 1.0,
    }
    assert d.uniform.p0 == pytest.approx(1 / 3)
    assert d.majority.p0 == pytest.approx(0.5)
    assert d.uniform.naive.p == pytest.approx(binomial_test(4, 6, 1 / 3).p)


def test_with_one_guess_per_rater_and_per_sample_the_test_is_the_one_sample_t_test():
    """With no rater or sample guessed twice there is nothing to cluster, and the crossed
    variance of a proportion reduces to s^2 / n: the one-sided p and the 95% CI are those of
    R's t.test on the 0/1 values (reference: t_test_binary_r.json)."""
    ref = reference("t_test_binary_r.json")
    y = np.array(ref["data"]["y"], dtype=float)
    tol = ref["tolerance"]["abs"]
    codes = np.arange(y.size)
    true = np.where(y == 1, "human", "ai")
    d = detection_summary(
        true, np.full(y.size, "human"), ["human", "ai", "collaboration"], rater=codes, sample=codes
    )
    assert d.accuracy.estimate == pytest.approx(ref["expected"]["mean"], abs=tol)
    assert d.uniform.p == pytest.approx(ref["expected"]["p_greater"], abs=tol)
    assert [d.uniform.ci_low, d.uniform.ci_high] == pytest.approx(ref["expected"]["ci95"], abs=tol)


def test_null_studies_with_sample_effects_hold_alpha_where_the_binomial_test_does_not(
    record_property,
):
    """The null of the issue: each sample has its own "looks like" group unrelated to its
    true group and raters follow it 80 % of the time, so accuracy is 1/3 on average while
    one sample is guessed right by nearly everyone and the next by nearly no one (30 raters,
    36 samples, 12 guesses each). Over 300 studies the crossed test calls "better than
    chance" in about alpha of them (1-9 %); the exact binomial test, on the same studies,
    in far more (about a quarter: bench/detection.py runs 2,000)."""
    studies = guessing_studies(np.random.default_rng(20260419), 300)
    crossed = naive = 0
    for index in range(300):
        true, guess, rater, sample = studies.study(index)
        d = detection_summary(true, guess, GROUPS, rater=rater, sample=sample)
        crossed += d.uniform.p < ALPHA
        naive += d.uniform.naive.p < ALPHA
    record_property("crossed_rejection_rate", crossed / 300)
    record_property("binomial_rejection_rate", naive / 300)
    assert 0.01 <= crossed / 300 <= 0.09, (crossed / 300, naive / 300)
    assert naive / 300 >= 0.15, (crossed / 300, naive / 300)


def test_raters_right_half_the_time_among_three_groups_are_detected_in_most_studies():
    """Power: raters name the true group a quarter of the time and otherwise follow the
    sample's look half the time or guess at random, so they are right half the time (1/3 is
    chance) and samples still differ; in studies of 30 raters x 12 guesses over 36 samples,
    at least 9 in 10 are called better than chance (the crossed test's power is ~1 here)."""
    studies = guessing_studies(np.random.default_rng(7), 100, know=0.25, follow=0.5)
    found = 0
    for index in range(100):
        true, guess, rater, sample = studies.study(index)
        d = detection_summary(true, guess, GROUPS, rater=rater, sample=sample)
        found += d.uniform.p < ALPHA
    assert found >= 90


def test_the_crossed_interval_is_wider_than_the_binomial_one_when_samples_differ():
    """With strong sample effects the naive interval is far too narrow: the crossed one
    must be at least twice as wide (the sample component dominates the variance)."""
    true, guess, rater, sample = guessing_studies(np.random.default_rng(3), 1, follow=0.9).study(0)
    d = detection_summary(true, guess, GROUPS, rater=rater, sample=sample)
    crossed_width = d.uniform.ci_high - d.uniform.ci_low
    naive_width = d.uniform.naive_ci[1] - d.uniform.naive_ci[0]
    assert crossed_width > 2 * naive_width


@pytest.mark.parametrize("case", reference("signal_detection_macmillan_creelman.json")["cases"])
def test_d_prime_and_criterion_match_the_hand_worked_examples(case):
    """Macmillan & Creelman's d' = z(H) - z(F) and c = -(z(H) + z(F))/2, with and without
    the log-linear correction of Hautus (1995); worked by hand with R's qnorm
    (reference: signal_detection_macmillan_creelman.json). H = .70, F = .10 gives
    d' = 1.806 as in Schneider's tabled example."""
    tol = reference("signal_detection_macmillan_creelman.json")["tolerance"]["abs"]
    m = sdt_measures(
        case["hits"],
        case["signal"],
        case["false_alarms"],
        case["noise"],
        correction=case["correction"],
    )
    assert float(m.hit_rate) == pytest.approx(case["hit_rate"], abs=tol)
    assert float(m.false_alarm_rate) == pytest.approx(case["false_alarm_rate"], abs=tol)
    assert float(m.d_prime) == pytest.approx(case["d_prime"], abs=tol)
    assert float(m.c) == pytest.approx(case["c"], abs=tol)


def test_no_lean_is_a_criterion_of_zero_not_minus_zero():
    """H = F = .5 (a rater who says "AI" half the time, whatever the truth): z(H) = z(F)
    = 0, so c = 0, which the document must not print as -0.0."""
    for correction in ("none", "loglinear"):
        m = sdt_measures([20, 5], [40, 10], [20, 5], [40, 10], correction=correction)
        assert np.array_equal(m.c, [0.0, 0.0]) and not np.signbit(m.c).any(), correction


@pytest.mark.parametrize(
    "row", reference("signal_detection_macmillan_creelman.json")["published"]["rows"]
)
def test_d_prime_matches_schneiders_tabled_example(row):
    """Published values: the three subjects of W. Schneider's d' table (hit and false-alarm
    rates, their z and d' as tabled; reference: signal_detection_macmillan_creelman.json,
    `published`), from rates given as counts out of 100 without correction."""
    published = reference("signal_detection_macmillan_creelman.json")["published"]
    tol = published["tolerance"]
    m = sdt_measures(
        round(100 * row["hit_rate"]),
        100,
        round(100 * row["false_alarm_rate"]),
        100,
        correction="none",
    )
    assert float(special.ndtri(m.hit_rate)) == pytest.approx(row["z_hit"], abs=tol["z_abs"])
    assert float(special.ndtri(m.false_alarm_rate)) == pytest.approx(row["z_fa"], abs=tol["z_abs"])
    assert float(m.d_prime) == pytest.approx(row["d_prime"], abs=tol["d_prime_abs"])


def test_rates_of_zero_and_one_give_finite_values_only_with_the_correction():
    raw = sdt_measures(10, 10, 0, 10, correction="none")
    assert np.isinf(raw.d_prime)
    assert np.isfinite(sdt_measures(10, 10, 0, 10).d_prime)


def test_per_rater_and_pooled_signal_detection_for_ai_involved_or_not():
    """Rater 0 saw 4 AI-involved samples (ai, collaboration) and 2 human ones, said "AI
    involved" (naming ai or collaboration, right or wrong) on 3 and 1 of them: hits 3 of 4,
    false alarms 1 of 2. Rater 1 saw only human samples: no hit rate, so no d'. Pooled:
    hits 3 of 4, false alarms 1 of 4. The guess "collaboration" for an ai sample is wrong
    for accuracy but a hit for AI involved."""
    true = ["ai", "collaboration", "ai", "collaboration", "human", "human", "human", "human"]
    guess = ["collaboration", "ai", "human", "ai", "ai", "human", "human", "human"]
    rater = [0, 0, 0, 0, 0, 0, 1, 1]
    d = detection_summary(
        np.array(true), np.array(guess), GROUPS, rater=np.array(rater), sample=np.arange(8)
    )
    sdt = d.per_rater.sdt
    assert (sdt.hits[0], sdt.signal_trials[0], sdt.false_alarms[0], sdt.noise_trials[0]) == (
        3,
        4,
        1,
        2,
    )
    expected = special.ndtri(3.5 / 5) - special.ndtri(1.5 / 3)  # log-linear, M&C eq. 1.5
    assert sdt.d_prime[0] == pytest.approx(expected, abs=1e-12)
    assert np.isnan(sdt.d_prime[1])
    assert (int(d.sdt.counts.hits), int(d.sdt.counts.false_alarms)) == (3, 1)
    assert float(d.sdt.counts.d_prime) == pytest.approx(
        special.ndtri(3.5 / 5) - special.ndtri(1.5 / 5), abs=1e-12
    )
    assert d.per_rater.accuracy.tolist() == [1 / 6, 1.0]


def test_signal_detection_needs_a_human_group_and_an_ai_involved_one():
    d = detection_summary(
        np.array(["a", "b", "a", "b"]),
        np.array(["a", "a", "b", "b"]),
        ["a", "b"],
        rater=np.array([0, 0, 1, 1]),
        sample=np.array([0, 1, 0, 1]),
    )
    assert d.sdt is None and d.sdt_reason == NO_SDT_GROUPS
    assert d.uniform.p0 == 0.5 and np.isfinite(d.uniform.p)


def test_the_pooled_d_prime_interval_covers_the_truth_when_samples_and_raters_differ():
    """Equal-variance Gaussian model: the evidence for "AI involved" is +d/2 on signal
    samples and -d/2 on human ones, plus a sample shift (sd 0.7), a rater criterion shift
    (sd 0.4) and unit noise; a rater says yes when it is above 0. The pooled rates are then
    H = Phi((d/2) / sqrt(1 + 0.7^2 + 0.4^2)) and F = 1 - H, so the pooled d' is
    d / sqrt(1.65). Over 300 studies of 30 raters x 12 guesses the 95% CI covers it in
    90-99 % of them."""
    rng = np.random.default_rng(11)
    studies, raters, samples, per_rater = 300, 30, 36, 12
    d = 1.2
    truth = d / np.sqrt(1 + 0.7**2 + 0.4**2)
    sample = np.argsort(rng.random((studies, raters, samples)), axis=-1)[..., :per_rater]
    is_signal = sample < 24
    shift = rng.normal(0, 0.7, (studies, 1, samples))
    evidence = (
        np.where(is_signal, d / 2, -d / 2)
        + np.take_along_axis(np.broadcast_to(shift, (studies, raters, samples)), sample, -1)
        + rng.normal(0, 0.4, (studies, raters, 1))
        + rng.normal(0, 1, sample.shape)
    )
    rater = np.broadcast_to(np.arange(raters)[:, None], (raters, per_rater)).ravel()
    covered = 0
    for s in range(studies):
        pooled = pooled_sdt(is_signal[s].ravel(), evidence[s].ravel() > 0, rater, sample[s].ravel())
        covered += pooled.d_prime.ci_low <= truth <= pooled.d_prime.ci_high
    assert 0.90 <= covered / studies <= 0.99


def test_one_rater_gives_no_interval_and_says_why():
    """DESIGN §5: what cannot be computed is null with a reason."""
    est = crossed_proportion(np.array([1.0, 0.0, 1.0]), np.zeros(3, int), np.arange(3))
    assert est.estimate == pytest.approx(2 / 3)
    assert np.isnan(est.ci_low) and est.reason == ONE_CLUSTER


def test_no_guesses_give_nan_with_a_reason():
    """DESIGN §5: statistics that cannot be computed are null with a reason."""
    res = binomial_test(0, 0, 0.5)
    assert np.isnan(res.p) and res.reason == "no guesses"


def test_the_same_guesses_in_any_order_give_the_same_numbers():
    """No random numbers are drawn: repeating the analysis, or shuffling the rows, changes
    nothing."""
    true, guess, rater, sample = guessing_studies(np.random.default_rng(5), 1).study(0)
    first = detection_summary(true, guess, GROUPS, rater=rater, sample=sample)
    again = detection_summary(true, guess, GROUPS, rater=rater, sample=sample)
    order = np.random.default_rng(6).permutation(true.size)
    shuffled = detection_summary(
        true[order], guess[order], GROUPS, rater=rater[order], sample=sample[order]
    )
    for other in (again, shuffled):
        assert other.uniform.p == pytest.approx(first.uniform.p, rel=1e-12)
        assert other.accuracy.ci_low == pytest.approx(first.accuracy.ci_low, rel=1e-12)
        assert other.sdt.d_prime.se == pytest.approx(first.sdt.d_prime.se, rel=1e-12)
    assert again.uniform.p == first.uniform.p
