"""Descriptive statistics against R's t.test, R's quantile() and NIST StRD certified values."""

import numpy as np
import pytest

from analysis.stats.descriptives import describe, format_score, histogram
from tests.reference import reference


def smls09_groups() -> dict[str, np.ndarray]:
    """NIST SmLs09 is SmLs03 with every response written 1000000000000.x instead of 1.x; NIST
    certifies the same ANOVA values for both (scipy's copy: nist_anova/SmLs09.dat)."""
    groups = reference("nist_strd_anova_SmLs03.json")["data"]["groups"]
    out = {}
    for label, values in groups.items():
        assert all(repr(v).startswith("1.") for v in values)
        out[label] = np.array([float("1000000000000" + repr(v)[1:]) for v in values])
    return out


def test_mean_ci_matches_r_t_test():
    """ttests_r_reference_pingouin.json: R t.test(a) 95% CI of the mean (2.52, 7.48)."""
    ref = reference("ttests_r_reference_pingouin.json")
    d = describe(np.array(ref["data"]["a"]))
    expected = ref["expected"]["one_sample_mu4"]["CI95_2dp"]
    tol = ref["tolerance"]["2dp"]["abs"]
    assert d.n == 6
    assert d.mean == pytest.approx(5.0, abs=1e-12)
    assert d.ci_low == pytest.approx(expected[0], abs=tol)
    assert d.ci_high == pytest.approx(expected[1], abs=tol)
    full = ref["verification"]["R"]["one_sample_mu4"]["ci"]
    assert [d.ci_low, d.ci_high] == pytest.approx(full, rel=1e-12)


def test_quartiles_follow_r_quantile_type_7():
    """R: quantile(c(4, 7, 8, 6, 3, 2)) (type 7, Hyndman & Fan 1996) prints 25% 3.25,
    50% 5.00, 75% 6.75; data `a` of ttests_r_reference_pingouin.json."""
    d = describe(np.array(reference("ttests_r_reference_pingouin.json")["data"]["a"]))
    assert (d.q1, d.median, d.q3) == (3.25, 5.0, 6.75)


@pytest.mark.parametrize(
    "name",
    ["nist_strd_anova_SmLs01.json", "nist_strd_anova_SmLs02.json", "nist_strd_anova_SmLs03.json"],
)
def test_pooled_sd_matches_nist_certified_residual_sd(name):
    """nist_strd_anova_SmLs0[1-3].json: the SDs pool to the certified residual SD 0.1."""
    ref = reference(name)
    ds = [describe(np.array(v)) for v in ref["data"]["groups"].values()]
    pooled = np.sqrt(sum((d.n - 1) * d.sd**2 for d in ds) / sum(d.n - 1 for d in ds))
    assert pooled == pytest.approx(ref["expected"]["residual_sd"], rel=ref["tolerance"]["rel"])


def test_sd_keeps_its_precision_with_a_1e12_offset():
    """NIST SmLs09 (nist_strd_anova_SmLs03.json + 1e12, certified residual SD 0.1); a naive
    sum of squares loses every digit here. Tolerance 1e-4 as SciPy's test for SmLs07-09."""
    ref = reference("nist_strd_anova_SmLs03.json")
    ds = [describe(v) for v in smls09_groups().values()]
    pooled = np.sqrt(sum((d.n - 1) * d.sd**2 for d in ds) / sum(d.n - 1 for d in ds))
    assert pooled == pytest.approx(ref["expected"]["residual_sd"], rel=1e-4)


def test_histogram_keys_are_compact_scores_in_order():
    """DESIGN §5 `histogram{<score>: count}`; data of kruskal_wallis_scipy_ties.json."""
    groups = reference("kruskal_wallis_scipy_ties.json")["data"]["groups"]
    values = np.concatenate([np.array(v, dtype=float) for v in groups.values()])
    assert histogram(values) == {"1": 3, "2": 5}
    assert list(histogram(np.array([10.0, 7.5, 9.0, 7.5]))) == ["7.5", "9", "10"]
    assert format_score(-0.0) == "0"


def test_no_values_or_one_value_give_nan_with_a_reason():
    """DESIGN §5: statistics that cannot be computed are null with a reason."""
    empty = describe(np.array([]))
    assert empty.n == 0 and np.isnan(empty.mean) and empty.reason == "no values"
    one = describe(np.array([7.0]))
    assert one.mean == 7.0 and np.isnan(one.sd) and np.isnan(one.ci_low)
    assert one.reason == "only one value"
