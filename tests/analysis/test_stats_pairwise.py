"""Pairwise tests: Welch t (R t.test), Mann-Whitney U (R wilcox.test), Holm (R multtest)."""

import numpy as np
import pytest
from scipy.stats import norm

from analysis.stats.inference import holm, mann_whitney_u, one_sample_t, welch_t
from tests.reference import reference


def test_welch_t_matches_r_t_test():
    """welch_t_scipy_r.json: R t.test(a, b) and t.test(a2, b), Welch."""
    ref = reference("welch_t_scipy_r.json")
    data, expected, rel = ref["data"], ref["expected"], ref["tolerance"]["rel"]
    res = welch_t(data["a"], data["b"])
    assert res.t == pytest.approx(expected["t_a_b"], rel=rel)
    assert res.p == pytest.approx(expected["p_a_b"], rel=rel)
    res2 = welch_t(data["a2"], data["b"])
    assert res2.t == pytest.approx(expected["t_a2_b"], rel=rel)
    assert res2.p == pytest.approx(expected["p_a2_b"], rel=rel)


def test_welch_t_df_and_difference_ci_match_r():
    """ttests_r_reference_pingouin.json: R t.test(a, b) Welch T, df, p and 95% CI."""
    ref = reference("ttests_r_reference_pingouin.json")
    expected, tol = ref["expected"]["welch"], ref["tolerance"]
    res = welch_t(ref["data"]["a"], ref["data"]["b"])
    assert res.estimate == pytest.approx(-3.5, abs=1e-12)
    assert res.t == pytest.approx(expected["T_5dp"], abs=tol["5dp"]["abs"])
    assert res.df == pytest.approx(expected["dof_5dp"], abs=tol["5dp"]["abs"])
    assert res.p == pytest.approx(expected["p_5dp"], abs=tol["5dp"]["abs"])
    assert res.ci_low == pytest.approx(expected["CI95_2dp"][0], abs=tol["2dp"]["abs"])
    assert res.ci_high == pytest.approx(expected["CI95_2dp"][1], abs=tol["2dp"]["abs"])


def test_one_sample_t_against_a_claimed_mean_matches_r():
    """ttests_r_reference_pingouin.json: R t.test(a, mu = 4)."""
    ref = reference("ttests_r_reference_pingouin.json")
    expected, tol = ref["expected"]["one_sample_mu4"], ref["tolerance"]
    res = one_sample_t(ref["data"]["a"], 4.0)
    assert res.t == pytest.approx(expected["T_5dp"], abs=tol["5dp"]["abs"])
    assert res.df == expected["dof"]
    assert res.p == pytest.approx(expected["p_5dp"], abs=tol["5dp"]["abs"])
    assert [res.ci_low, res.ci_high] == pytest.approx(expected["CI95_2dp"], abs=tol["2dp"]["abs"])


@pytest.mark.parametrize("method", ["asymptotic", "exact"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_mann_whitney_matches_r_wilcox_test(method, alternative):
    """mannwhitney_u_scipy_r_basic.json: R wilcox.test(x, y, alternative, exact), W = U_x."""
    ref = reference("mannwhitney_u_scipy_r_basic.json")
    res = mann_whitney_u(ref["data"]["x"], ref["data"]["y"], alternative=alternative, method=method)
    assert ref["expected"]["U_x"] == res.U
    expected = ref["expected"]["pvalues"][f"{alternative}/{method}"]
    assert res.p == pytest.approx(expected, rel=ref["tolerance"]["rel"])


def test_mann_whitney_default_follows_r_exact_rule_for_small_untied_samples():
    """mannwhitney_u_scipy_r_basic.json: R's default wilcox.test (3 vs 13 values, no ties)
    is exact, p = 0.7035714285714 (SciPy's default would be asymptotic here)."""
    ref = reference("mannwhitney_u_scipy_r_basic.json")
    res = mann_whitney_u(ref["data"]["x"], ref["data"]["y"])
    assert res.method == "exact"
    assert res.p == pytest.approx(
        ref["expected"]["pvalues"]["two-sided/exact"], rel=ref["tolerance"]["rel"]
    )


def test_mann_whitney_uses_the_normal_approximation_with_ties():
    """kruskal_wallis_scipy_ties.json data (ties): R wilcox.test falls back to the normal
    approximation with tie and continuity corrections; for x = (1,1,1), y = (2,2,2) that is
    z = (0 - 4.5 + 0.5) / sqrt(9/12 (7 - 30/30)) (Hollander & Wolfe), p = 2 Phi(z)."""
    groups = reference("kruskal_wallis_scipy_ties.json")["data"]["groups"]
    res = mann_whitney_u(groups["x"], groups["y"])
    assert res.method == "asymptotic"
    assert res.U == 0.0
    sigma = np.sqrt(3 * 3 / 12 * ((6 + 1) - (2 * (3**3 - 3)) / (6 * 5)))
    assert res.p == pytest.approx(2 * norm.cdf((0 - 4.5 + 0.5) / sigma), rel=1e-12)


def test_holm_matches_r_multtest():
    """multiple_testing_r_multtest.json: mt.rawp2adjp Holm column."""
    ref = reference("multiple_testing_r_multtest.json")
    raw = np.array(ref["data"]["raw_p_sorted"])
    expected = np.array(ref["expected"]["holm"])
    tol = ref["tolerance"]["abs"]
    np.testing.assert_allclose(holm(raw), expected, atol=tol, rtol=0)
    order = np.random.default_rng(1).permutation(raw.size)
    np.testing.assert_allclose(holm(raw[order]), expected[order], atol=tol, rtol=0)


def test_holm_leaves_uncomputable_p_values_out_of_the_family():
    """multiple_testing_r_multtest.json: with a NaN added the family is still the ten values,
    as R's p.adjust(c(p, NA), "holm") (n = number of non-missing p values)."""
    ref = reference("multiple_testing_r_multtest.json")
    raw = np.append(ref["data"]["raw_p_sorted"], np.nan)
    adjusted = holm(raw)
    assert np.isnan(adjusted[-1])
    np.testing.assert_allclose(adjusted[:-1], ref["expected"]["holm"], atol=1e-12, rtol=0)


def test_degenerate_pairs_give_nan_with_a_reason():
    """DESIGN §5: a group with one sample or zero variance -> null with a reason."""
    assert welch_t([1.0], [2.0, 3.0]).reason == "a group has fewer than two values"
    flat = welch_t([2.0, 2.0], [3.0, 3.0])
    assert np.isnan(flat.p) and flat.estimate == -1.0 and flat.reason
    same = mann_whitney_u([2.0, 2.0], [2.0])
    assert np.isnan(same.p) and same.reason == "all values are equal"
