"""Claim verdicts by TOST against R's equivalence::tost and t.test."""

import numpy as np
import pytest

from analysis.stats.claims import (
    CONTRADICTED,
    INCONCLUSIVE,
    SUPPORTED,
    claim_verdict,
    default_margin,
)
from analysis.stats.inference import one_sample_t, welch_t
from tests.reference import reference


def clinic():
    ref = reference("tost_equivalence_r_clinic.json")
    x = np.array(ref["data"]["group1_var1"])
    y = np.array(ref["data"]["group2_var1"])
    return ref, x, y


def test_welch_tost_matches_r_equivalence_tost():
    """tost_equivalence_r_clinic.json: Welch TOST of mean(g1) - mean(g2) within +-0.6:
    p = 0.0485308, 90% CI (-0.2667, 0.5960) inside the margin -> equivalent (supported)."""
    ref, x, y = clinic()
    expected, rel = ref["expected"]["welch"], ref["tolerance"]["rel"]
    t = welch_t(x, y)
    assert t.estimate == pytest.approx(expected["mean_diff"], rel=rel)
    assert t.se == pytest.approx(expected["se_diff"], rel=rel)
    assert t.df == pytest.approx(expected["df"], rel=rel)
    res = claim_verdict(t.estimate, t.se, 0.0, df=t.df, alpha=0.05, margin=ref["data"]["upp"])
    assert res.p_tost == pytest.approx(expected["p_value"], rel=rel)
    assert [res.tost_ci_low, res.tost_ci_high] == pytest.approx(expected["ci90_diff"], rel=rel)
    assert res.verdict == SUPPORTED


def test_pooled_tost_matches_r():
    """tost_equivalence_r_clinic.json: the pooled-variance TOST, df = 28, p = 0.0482732."""
    ref, x, y = clinic()
    pooled = ((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2)
    se = np.sqrt(pooled * (1 / x.size + 1 / y.size))
    res = claim_verdict(x.mean() - y.mean(), se, 0.0, df=28, margin=0.6)
    assert res.p_tost == pytest.approx(
        ref["expected"]["pooled"]["p_value"], rel=ref["tolerance"]["rel"]
    )


def test_paired_tost_matches_r():
    """tost_equivalence_r_clinic.json: paired TOST on the differences, df = 14."""
    ref, x, y = clinic()
    t = one_sample_t(x - y, 0.0)
    res = claim_verdict(t.estimate, t.se, 0.0, df=t.df, margin=0.6)
    expected, rel = ref["expected"]["paired"], ref["tolerance"]["rel"]
    assert t.df == expected["df"]
    assert res.p_tost == pytest.approx(expected["p_value"], rel=rel)
    assert [res.tost_ci_low, res.tost_ci_high] == pytest.approx(expected["ci90_diff"], rel=rel)


def test_claimed_mean_inside_a_wide_ci_is_inconclusive():
    """ttests_r_reference_pingouin.json: R t.test(a, mu = 4): p = 0.34807, 95% CI
    (2.52, 7.48) holds 4 but is far wider than 4 +- 0.5 -> inconclusive."""
    ref = reference("ttests_r_reference_pingouin.json")
    expected, tol = ref["expected"]["one_sample_mu4"], ref["tolerance"]
    t = one_sample_t(ref["data"]["a"], 4.0)
    res = claim_verdict(t.estimate, t.se, 4.0, df=t.df, margin=0.5)
    assert res.p == pytest.approx(expected["p_5dp"], abs=tol["5dp"]["abs"])
    assert [res.ci_low, res.ci_high] == pytest.approx(expected["CI95_2dp"], abs=tol["2dp"]["abs"])
    assert res.verdict == INCONCLUSIVE


def test_claim_outside_the_ci_is_contradicted():
    """ttests_r_reference_pingouin.json: R Welch t.test(a, b): difference -3.5, p = 0.01837,
    95% CI (-6.26, -0.74) excludes a claimed difference of 0 -> contradicted."""
    ref = reference("ttests_r_reference_pingouin.json")
    expected, tol = ref["expected"]["welch"], ref["tolerance"]
    t = welch_t(ref["data"]["a"], ref["data"]["b"])
    res = claim_verdict(t.estimate, t.se, 0.0, df=t.df, margin=0.5)
    assert res.p == pytest.approx(expected["p_5dp"], abs=tol["5dp"]["abs"])
    assert res.verdict == CONTRADICTED
    assert res.p_tost > 0.05


def test_normal_reference_without_degrees_of_freedom():
    """Standard normal table: P(|Z| > 1.96) = 0.0499958; with df=None the claim test is a z
    test, and at 1.96 SE the claim sits just outside the 95% CI."""
    res = claim_verdict(1.96, 1.0, 0.0, df=None, margin=0.5)
    assert res.p == pytest.approx(0.0499958, abs=5e-8)
    assert res.verdict == CONTRADICTED


def test_default_margin_is_half_a_point_on_a_ten_point_scale():
    """DESIGN §4: default margin 0.5 points on a 10-point scale, scaled with the range."""
    assert default_margin(1, 10) == 0.5
    assert default_margin(1, 5) == pytest.approx(0.5 * 4 / 9)
    assert default_margin(0, 100) == pytest.approx(50 / 9)


def test_zero_standard_error_gives_no_verdict_with_a_reason():
    """DESIGN §5: a verdict that cannot be computed is null with a reason."""
    res = claim_verdict(7.0, 0.0, 7.0, df=10, margin=0.5)
    assert res.verdict is None and res.reason == "standard error is zero or unknown"
    assert np.isnan(res.p)
    assert claim_verdict(7.0, 1.0, 7.0, df=0, margin=0.5).reason
