"""Krippendorff's alpha (Krippendorff 2011; fast-krippendorff's suite) and ICC(A,1)
(pingouin / McGraw & Wong 1996)."""

import tracemalloc

import numpy as np
import pytest

from analysis.stats.reliability import icc_a1, icc_from_components, krippendorff_alpha
from tests.reference import reference

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x
# 12 units, values 1-5 with gaps; he reports nominal 0.743, ordinal 0.815, interval 0.849
# (ordinal also asserted in fast-krippendorff's tests/test_krippendorff.py).
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def long_form(matrix) -> tuple[np.ndarray, np.ndarray]:
    """coders x units matrix with None gaps -> (unit, value) rows without the gaps."""
    units, values = [], []
    for row in matrix:
        for unit, value in enumerate(row):
            if value is not None:
                units.append(unit)
                values.append(value)
    return np.array(units), np.array(values)


@pytest.mark.parametrize("level", ["interval", "nominal"])
def test_alpha_matches_the_wikipedia_example(level):
    """krippendorff_alpha_3coders_15units.json: interval 0.810845, nominal 0.691358."""
    ref = reference("krippendorff_alpha_3coders_15units.json")
    units, values = long_form(ref["data"]["reliability_data"])
    res = krippendorff_alpha(units, values.astype(float), level=level)
    assert res.value == pytest.approx(
        ref["expected"][f"alpha_{level}"], abs=ref["tolerance"]["abs"]
    )


def test_alpha_drops_units_that_are_not_pairable():
    """krippendorff_alpha_3coders_15units.json: units 2 and 14 have no pairable values; adding
    a unit with a single value changes nothing."""
    ref = reference("krippendorff_alpha_3coders_15units.json")
    units, values = long_form(ref["data"]["reliability_data"])
    res = krippendorff_alpha(
        np.append(units, 99), np.append(values, 1.0).astype(float), level="interval"
    )
    assert res.value == pytest.approx(ref["expected"]["alpha_interval"], abs=5e-7)
    assert res.n_units == 12


def test_nominal_alpha_takes_string_labels():
    """krippendorff_alpha_string_labels_nominal.json: alpha 0.722222 on pos/neg/neu."""
    ref = reference("krippendorff_alpha_string_labels_nominal.json")
    units, values = long_form(ref["data"]["reliability_data"])
    res = krippendorff_alpha(units, values, level="nominal")
    assert res.value == pytest.approx(ref["expected"]["alpha_nominal"], abs=ref["tolerance"]["abs"])


@pytest.mark.parametrize(
    ("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_alpha_matches_krippendorff_2011(level, expected):
    """Published reference (no file): Krippendorff (2011) section C example, to 3 decimals."""
    units, values = long_form(KRIPPENDORFF_2011)
    assert krippendorff_alpha(units, values.astype(float), level=level).value == pytest.approx(
        expected, abs=5e-4
    )


def test_alpha_scales_to_a_million_sparse_ratings():
    """krippendorff_alpha_3coders_15units.json replicated R times as disjoint units (with new
    coders): from the definition, alpha_R = 1 - (1 - alpha)(n - 1/R)/(n - 1) with n pairable
    values per copy, since within-unit disagreement scales by R and all-pairs disagreement by
    R^2. ~1M values in 50k+ units, well under 2 GB: no units x coders matrix."""
    ref = reference("krippendorff_alpha_3coders_15units.json")
    units, values = long_form(ref["data"]["reliability_data"])
    copies = 1_000_000 // units.size + 1
    big_units = (units[None, :] + 15 * np.arange(copies)[:, None]).ravel()
    big_values = np.tile(values.astype(float), copies)
    n = krippendorff_alpha(units, values.astype(float), level="interval").n_pairable
    alpha = ref["expected"]["alpha_interval"]
    expected = 1 - (1 - alpha) * (n - 1 / copies) / (n - 1)
    tracemalloc.start()
    res = krippendorff_alpha(big_units, big_values, level="interval")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert big_values.size >= 1_000_000 and res.n_units >= 50_000
    assert res.value == pytest.approx(expected, abs=ref["tolerance"]["abs"])
    assert peak < 400 * 2**20


def test_icc_a1_matches_pingouin_and_mcgraw_wong():
    """icc_pingouin_wine_8x4.json: ICC(A,1) 0.728, F 11.787 (7, 21), p 5e-6, CI (0.43, 0.93)."""
    ref = reference("icc_pingouin_wine_8x4.json")
    expected, tol = ref["expected"], ref["tolerance"]
    i = expected["type"].index("ICC(A,1)")
    res = icc_a1(np.array(ref["data"]["scores"], dtype=float))
    assert res.value == pytest.approx(expected["ICC_3dp"][i], abs=tol["ICC_3dp"]["abs"])
    statistic = res.F
    assert statistic == pytest.approx(expected["F_3dp"][i], abs=tol["F_3dp"]["abs"])
    assert (res.df1, res.df2) == (expected["df1"][i], expected["df2"][i])
    assert res.p == pytest.approx(expected["pval"][i], rel=tol["pval"]["rel"])
    assert [res.ci_low, res.ci_high] == pytest.approx(
        expected["CI95_2dp"][i], abs=tol["CI95_2dp"]["abs"]
    )


def test_icc_from_variance_components_of_lme4():
    """lmm_crossed_synthetic_lme4.json: ICC(A,1) = s2_sample / (s2_sample + s2_participant +
    s2_residual) (McGraw & Wong 1996, case 2A) from lme4's REML components."""
    ref = reference("lmm_crossed_synthetic_lme4.json")
    var = ref["expected"]["reml"]["variance"]
    value, reason = icc_from_components(var["sample"], var["participant"], var["residual"])
    assert reason is None
    assert value == pytest.approx(0.5411348441 / (0.5411348441 + 0.4625586613 + 1.706867369))


def test_degenerate_reliability_gives_nan_with_a_reason():
    """DESIGN §5: nothing pairable, no variation, or too small a matrix -> null with a reason."""
    assert krippendorff_alpha(np.array([1, 2]), np.array([3.0, 4.0]), level="interval").reason
    flat = krippendorff_alpha(np.array([1, 1, 2, 2]), np.full(4, 3.0), level="ordinal")
    assert np.isnan(flat.value) and flat.reason == "no variation among pairable values"
    assert icc_a1(np.array([[1.0, 2.0]])).reason == "needs two or more targets and raters"
    assert icc_from_components(0.0, 0.0, 0.0) == (
        pytest.approx(np.nan, nan_ok=True),
        "zero total variance",
    )
