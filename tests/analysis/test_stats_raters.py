"""Per-rater z-scores (R's scale()) and rater-quality flags (rules of DESIGN §2 and §4)."""

import numpy as np
import pytest

from analysis.stats.raters import (
    QualityThresholds,
    attention_failed,
    grouped_median,
    participant_zscores,
    rater_quality,
)


def test_zscores_match_r_scale():
    """Published reference (no file): R's ?scale example, scale(matrix(1:10, ncol = 2)):
    column 1 is (1:5 - 3) / sd(1:5) = (-2, -1, 0, 1, 2) / sqrt(2.5), column 2 likewise.
    Here the columns are two participants, their ratings interleaved in long form."""
    score = np.array([1, 6, 2, 7, 3, 8, 4, 9, 5, 10], dtype=float)
    participant = np.array([0, 1] * 5)
    z = participant_zscores(score, participant, 2)
    expected = np.repeat(np.array([-2, -1, 0, 1, 2]) / np.sqrt(2.5), 2)
    np.testing.assert_allclose(z.z, expected, rtol=1e-14)
    assert not z.invalid.any()


def test_participants_with_one_rating_or_no_spread_get_no_zscores():
    """R's scale() divides by sd: one value (sd = NA) or equal values (sd = 0) give NaN."""
    score = np.array([5.0, 7.0, 7.0, 7.0, 1.0, 9.0])
    participant = np.array([0, 1, 1, 1, 2, 2])
    z = participant_zscores(score, participant, 3)
    assert z.invalid.tolist() == [True, True, False]
    assert np.isnan(z.z[:4]).all()
    np.testing.assert_allclose(z.z[4:], [-1 / np.sqrt(2), 1 / np.sqrt(2)])


def test_grouped_median_matches_numpy_median_per_participant():
    """numpy.median (mean of the two middle values for even n) per code, NaNs ignored."""
    rng = np.random.default_rng(5)
    values = rng.gamma(2.0, 3.0, 300)
    values[::17] = np.nan
    codes = rng.integers(0, 7, 300)
    got = grouped_median(values, codes, 8)
    for c in range(7):
        assert got[c] == pytest.approx(np.nanmedian(values[codes == c]), rel=1e-15)
    assert np.isnan(got[7])


def test_attention_check_fails_outside_its_expected_range():
    """DESIGN §2: an attention check carries its expected score range; a score outside it, or
    none, fails. A missing bound leaves that side open."""
    score = np.array([9.0, 10.0, 8.0, np.nan, 2.0, 2.0])
    low = np.array([9.0, 9.0, 9.0, 9.0, np.nan, 3.0])
    high = np.array([10.0, 10.0, 10.0, 10.0, 3.0, np.nan])
    assert attention_failed(score, low, high).tolist() == [False, False, True, True, False, True]


def build_study():
    """Five participants with known behaviour (DESIGN §4 quality rules, module thresholds):
    0 careful, 1 fails a check, 2 rushes (1 s per item against a 20 s median), 3 gives 7 to
    all twelve items, 4 gives 7 to only five items (too few to judge straight-lining)."""
    rows = []  # participant, score, seconds, check, low, high
    for p in range(5):
        n_items = 5 if p == 4 else 12
        for i in range(n_items):
            score = 7.0 if p in (3, 4) else float(1 + (i * 3 + p) % 10)
            rows.append((p, score, 1.0 if p == 2 else 20.0, False, np.nan, np.nan))
        check_score = 2.0 if p == 1 else 9.0
        rows.append((p, check_score, 1.0 if p == 2 else 20.0, True, 9.0, 10.0))
    cols = list(zip(*rows, strict=True))
    return {
        "participant": np.array(cols[0]),
        "score": np.array(cols[1]),
        "seconds": np.array(cols[2]),
        "is_check": np.array(cols[3]),
        "check_low": np.array(cols[4]),
        "check_high": np.array(cols[5]),
    }


def test_quality_flags_each_rule_and_only_its_offenders():
    """DESIGN §4 rater quality: attention checks, speeders, straight-lining."""
    s = build_study()
    q = rater_quality(
        s["participant"],
        5,
        score=s["score"],
        seconds=s["seconds"],
        is_check=s["is_check"],
        check_low=s["check_low"],
        check_high=s["check_high"],
    )
    assert q.n_checks.tolist() == [1] * 5
    assert q.attention.tolist() == [False, True, False, False, False]
    assert q.study_median_seconds == 20.0
    assert q.speed_threshold == pytest.approx(20 / 3)
    assert q.speeder.tolist() == [False, False, True, False, False]
    assert q.straightline.tolist() == [False, False, False, True, False]
    assert q.flagged.tolist() == [False, True, True, True, False]


def test_quality_thresholds_are_parameters():
    """DESIGN §4: thresholds are documented parameters; loosening them clears the flags."""
    s = build_study()
    loose = QualityThresholds(
        attention_max_failures=1, speed_fraction=0.01, straightline_min_items=20
    )
    q = rater_quality(
        s["participant"],
        5,
        score=s["score"],
        seconds=s["seconds"],
        is_check=s["is_check"],
        check_low=s["check_low"],
        check_high=s["check_high"],
        thresholds=loose,
    )
    assert not q.flagged.any()


def test_participants_without_times_are_not_judged_as_speeders():
    """DESIGN §2: seconds are server-measured and may be unknown (NaN)."""
    s = build_study()
    q = rater_quality(
        s["participant"],
        5,
        score=s["score"],
        seconds=np.full(s["score"].size, np.nan),
        is_check=s["is_check"],
        check_low=s["check_low"],
        check_high=s["check_high"],
    )
    assert np.isnan(q.study_median_seconds)
    assert not q.speeder.any()
