"""One-way ANOVA, Welch ANOVA and Kruskal-Wallis against NIST StRD, R and SciPy's suite."""

from fractions import Fraction

import numpy as np
import pytest

from analysis.stats.inference import anova_oneway, kruskal_wallis, welch_anova
from tests.reference import reference

NIST = [
    "nist_strd_anova_SiRstv.json",
    "nist_strd_anova_SmLs01.json",
    "nist_strd_anova_SmLs02.json",
    "nist_strd_anova_SmLs03.json",
    "nist_strd_anova_AtmWtAg.json",
]


def groups_of(ref: dict) -> list[np.ndarray]:
    return [np.array(v, dtype=float) for v in ref["data"]["groups"].values()]


@pytest.mark.parametrize("name", NIST)
def test_anova_matches_nist_certified_values(name):
    """nist_strd_anova_*.json: certified F and degrees of freedom (500-digit arithmetic)."""
    ref = reference(name)
    res = anova_oneway(groups_of(ref))
    expected = ref["expected"]
    assert res.reason is None
    assert res.df_num == expected["df_between"]
    assert res.df_den == expected["df_within"]
    statistic = res.F
    assert statistic == pytest.approx(expected["F"], rel=ref["tolerance"]["rel"])


def test_anova_keeps_its_precision_with_a_1e12_offset():
    """NIST SmLs09 = nist_strd_anova_SmLs03.json with responses 1000000000000.x (certified
    F = 2001 for both). Tolerance 1e-4, SciPy's for SmLs07-09 (inputs carry ~1e-4 of
    representation error at 1e12), and exact arithmetic on the same float inputs to 1e-12;
    uncentred means and sums of squares miss both."""
    ref = reference("nist_strd_anova_SmLs03.json")
    groups = [
        np.array([float("1000000000000" + repr(v)[1:]) for v in values])
        for values in ref["data"]["groups"].values()
    ]
    statistic = anova_oneway(groups).F
    assert statistic == pytest.approx(ref["expected"]["F"], rel=1e-4)
    assert statistic == pytest.approx(exact_f(groups), rel=1e-12)


def exact_f(groups: list[np.ndarray]) -> float:
    """F in exact rational arithmetic on the float64 inputs (what a perfect float
    implementation can reach: 2001.13493 here, the rest is representation error)."""
    exact = [[Fraction(x) for x in g.tolist()] for g in groups]
    values = [x for g in exact for x in g]
    grand = sum(values) / len(values)
    means = [sum(g) / len(g) for g in exact]
    between = sum(len(g) * (m - grand) ** 2 for g, m in zip(exact, means, strict=True))
    within = sum((x - m) ** 2 for g, m in zip(exact, means, strict=True) for x in g)
    return float((between / (len(exact) - 1)) / (within / (len(values) - len(exact))))


def test_welch_anova_matches_r_oneway_test():
    """welch_anova_scipy_r_oneway_test.json: R oneway.test(var.equal = FALSE)."""
    ref = reference("welch_anova_scipy_r_oneway_test.json")
    res = welch_anova(groups_of(ref))
    rel = ref["tolerance"]["rel"]
    statistic = res.F
    assert statistic == pytest.approx(ref["expected"]["F"], rel=rel)
    assert res.p == pytest.approx(ref["expected"]["pvalue"], rel=rel)
    assert res.df_num == ref["expected"]["df_num"]
    assert res.df_den == pytest.approx(ref["expected"]["df_den_R"], rel=rel)


def test_kruskal_wallis_applies_the_tie_correction():
    """kruskal_wallis_scipy_ties.json: H = 5 uncorrected, 7 after the tie correction 5/7."""
    ref = reference("kruskal_wallis_scipy_ties.json")
    res = kruskal_wallis(groups_of(ref))
    rel = ref["tolerance"]["rel"]
    statistic = res.H
    assert statistic == pytest.approx(ref["expected"]["H"], rel=rel)
    assert res.df == ref["expected"]["df"]
    assert res.p == pytest.approx(ref["expected"]["p"], rel=rel)


def test_degenerate_inputs_give_nan_with_a_reason():
    """DESIGN §5: one group or zero variance -> null with a reason, never an exception."""
    one = [np.array([1.0, 2.0, 3.0])]
    for res in (anova_oneway(one), welch_anova(one), kruskal_wallis(one)):
        assert np.isnan(res.p) and res.reason == "fewer than two groups with data"
    flat = [np.array([2.0, 2.0]), np.array([3.0, 3.0])]
    assert anova_oneway(flat).reason == "zero variance within groups"
    assert welch_anova(flat).reason == "a group has zero variance"
    assert kruskal_wallis([np.array([2.0, 2.0]), np.array([2.0])]).reason == "all values are equal"
    assert welch_anova([np.array([1.0, 2.0]), np.array([3.0])]).reason == (
        "a group has fewer than two values"
    )
