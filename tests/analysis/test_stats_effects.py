"""Effect sizes: Hedges' g (R effsize::cohen.d) and Cliff's delta (CLES of Janhove)."""

import numpy as np
import pytest

from analysis.stats.effects import cliffs_delta, common_language_effect, hedges_g
from tests.reference import reference


def test_cles_matches_janhove():
    """effect_size_cles_janhove.json: P(X > Y) + P(X = Y) / 2 = 0.3958333."""
    ref = reference("effect_size_cles_janhove.json")
    res = common_language_effect(ref["data"]["x"], ref["data"]["y"])
    assert res.value == pytest.approx(ref["expected"]["CLES"], abs=ref["tolerance"]["abs"])


def test_cliffs_delta_is_twice_cles_minus_one():
    """effect_size_cles_janhove.json: delta = 2 CLES - 1 (Cliff 1993), and it flips sign
    when the groups swap."""
    ref = reference("effect_size_cles_janhove.json")
    x, y = ref["data"]["x"], ref["data"]["y"]
    expected = 2 * ref["expected"]["CLES"] - 1
    tol = 2 * ref["tolerance"]["abs"]
    assert cliffs_delta(x, y).value == pytest.approx(expected, abs=tol)
    assert cliffs_delta(y, x).value == pytest.approx(-expected, abs=tol)


def test_hedges_g_matches_r_effsize():
    """Published reference (no file): R effsize::cohen.d(a, b, hedges.correction = TRUE) for
    a = (3.2, 6.4, 1.8, 2.4, 5.8, 6.5), b = (2.4, 3.2, 3.2, 1.4, 2.8, 3.5) gives
    g = 0.9254296 (d = 1.002549), as asserted in pingouin's tests/test_effsize.py."""
    a = [3.2, 6.4, 1.8, 2.4, 5.8, 6.5]
    b = [2.4, 3.2, 3.2, 1.4, 2.8, 3.5]
    assert hedges_g(a, b).value == pytest.approx(0.9254296, abs=5e-8)
    assert hedges_g(b, a).value == pytest.approx(-0.9254296, abs=5e-8)


def test_hedges_g_from_r_student_t():
    """ttests_r_reference_pingouin.json: Cohen's d = t_Student sqrt(1/n_a + 1/n_b) (Hedges &
    Olkin 1985) with R's t = -2.84199280029403, times J = 1 - 3 / (4 * 12 - 9)."""
    ref = reference("ttests_r_reference_pingouin.json")
    t = ref["verification"]["R"]["student"]["t"]
    expected = t * np.sqrt(1 / 6 + 1 / 6) * (1 - 3 / (4 * 12 - 9))
    assert hedges_g(ref["data"]["a"], ref["data"]["b"]).value == pytest.approx(expected, rel=1e-12)


def test_undefined_effect_sizes_give_nan_with_a_reason():
    """DESIGN §5: zero variance or an empty group -> null with a reason."""
    assert hedges_g([2.0, 2.0], [3.0, 3.0]).reason == "zero pooled SD"
    assert cliffs_delta([], [1.0]).reason == "a group has no values"
