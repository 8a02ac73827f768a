"""Source detection: the exact binomial test (R's binom.test) and the confusion matrix."""

import numpy as np
import pytest

from analysis.stats.detection import binomial_test, detection_summary


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
    d = detection_summary(true, guessed, ["human", "ai", "collaboration"])
    assert (d.n, d.correct) == (6, 4)
    assert d.confusion["human"] == {"human": 2, "ai": 1, "collaboration": 0, "bot": 0}
    assert d.confusion["ai"] == {"human": 0, "ai": 1, "collaboration": 0, "bot": 1}
    assert d.per_group_accuracy == {"human": 2 / 3, "ai": 0.5, "collaboration": 1.0}
    assert d.uniform.p0 == pytest.approx(1 / 3)
    assert d.majority.p0 == pytest.approx(0.5)
    assert d.uniform.p == pytest.approx(binomial_test(4, 6, 1 / 3).p)


def test_no_guesses_give_nan_with_a_reason():
    """DESIGN §5: statistics that cannot be computed are null with a reason."""
    res = binomial_test(0, 0, 0.5)
    assert np.isnan(res.p) and res.reason == "no guesses"
