"""Seeded bootstrap: percentile and BCa intervals against R's boot, the BCa acceleration
against SciPy's reference value for Efron & Tibshirani's mouse data."""

import numpy as np
import pytest

from analysis.stats.bootstrap import (
    acceleration_mean,
    acceleration_mean_difference,
    bca_interval,
    bootstrap_means,
    percentile_interval,
)
from tests.reference import reference


def test_two_sample_acceleration_matches_the_reference():
    """bootstrap_bca_acceleration_two_sample.json: a_hat for mean(z) - mean(y) with the
    multi-sample jackknife (Efron & Tibshirani 1993, ch. 14)."""
    ref = reference("bootstrap_bca_acceleration_two_sample.json")
    a = acceleration_mean_difference(ref["data"]["z"], ref["data"]["y"])
    assert a == pytest.approx(ref["expected"]["a_hat"], rel=ref["tolerance"]["rel"])


def test_percentile_and_bca_intervals_match_r_boot():
    """bootstrap_ci_mean_r_boot.json: R boot.ci of the mean (1e6 resamples); Monte Carlo
    tolerance rel 0.005 with >= 1e5 resamples, seeded."""
    ref = reference("bootstrap_ci_mean_r_boot.json")
    x = np.array(ref["data"]["x"], dtype=float)
    boot = bootstrap_means(x, n_resamples=200_000, rng=np.random.default_rng(12345))
    rel = ref["tolerance"]["rel"]
    pct = percentile_interval(boot, level=0.95)
    assert [pct.low, pct.high] == pytest.approx(ref["expected"]["percentile"], rel=rel)
    bca = bca_interval(boot, float(x.mean()), acceleration_mean(x), level=0.95)
    assert [bca.low, bca.high] == pytest.approx(ref["expected"]["BCa"], rel=rel)


def test_same_seed_gives_the_same_distribution():
    """DESIGN §4: analyses are reproducible (seeded resampling); bootstrap_ci_mean_r_boot.json
    data. Different seeds differ, so the test can fail."""
    x = np.array(reference("bootstrap_ci_mean_r_boot.json")["data"]["x"], dtype=float)
    first = bootstrap_means(x, n_resamples=500, rng=np.random.default_rng(7))
    again = bootstrap_means(x, n_resamples=500, rng=np.random.default_rng(7))
    other = bootstrap_means(x, n_resamples=500, rng=np.random.default_rng(8))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_chunked_resampling_equals_one_draw(monkeypatch):
    """bootstrap_ci_mean_r_boot.json data: the chunking that bounds memory does not change the
    resamples (the generator is consumed row by row in the same order)."""
    from analysis.stats import bootstrap

    x = np.array(reference("bootstrap_ci_mean_r_boot.json")["data"]["x"], dtype=float)
    whole = bootstrap_means(x, n_resamples=100, rng=np.random.default_rng(3))
    monkeypatch.setattr(bootstrap, "CHUNK_VALUES", 3 * x.size)
    chunked = bootstrap_means(x, n_resamples=100, rng=np.random.default_rng(3))
    np.testing.assert_allclose(chunked, whole, rtol=1e-15)


def test_constant_data_give_nan_with_a_reason():
    """DESIGN §5: no spread -> the BCa interval is null with a reason."""
    x = np.full(5, 3.0)
    boot = bootstrap_means(x, n_resamples=100, rng=np.random.default_rng(0))
    res = bca_interval(boot, 3.0, acceleration_mean(x))
    assert np.isnan(res.low) and res.reason
