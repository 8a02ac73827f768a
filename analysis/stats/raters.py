"""Per-rater views: z-normalised scores and quality flags.

Participants are integer codes 0..n-1 (from `np.unique(..., return_inverse=True)`); every
computation is a bincount or a sort, never a loop over ratings.

Quality rules (each a published convention in crowd rating; thresholds are parameters):
- attention check failed: an attention-check row whose score is outside its expected
  [low, high] (a missing bound is open; a missing score fails); flagged with more than
  `attention_max_failures` failures (default 0: any failure);
- speeder: the participant's median server-measured seconds per item (all their items
  with a time) is below `speed_fraction` (default 1/3) of the study-wide median seconds per
  item; participants without times are not judged;
- straight-liner: at least `straightline_min_items` (default 10) regular ratings whose SD
  is at most `straightline_sd` (default 0: all identical, to rounding).
"""

from dataclasses import dataclass

import numpy as np

from analysis.stats.descriptives import grouped_means, grouped_sd

ATTENTION = "attention_check_failed"
SPEEDER = "speeder"
STRAIGHTLINE = "straight_lining"


@dataclass(frozen=True)
class QualityThresholds:
    attention_max_failures: int = 0
    speed_fraction: float = 1 / 3
    straightline_min_items: int = 10
    straightline_sd: float = 0.0


@dataclass(frozen=True)
class ZScores:
    z: np.ndarray  # per rating, NaN where the participant has no usable SD
    mean: np.ndarray  # per participant
    sd: np.ndarray  # per participant (ddof=1)
    count: np.ndarray  # per participant
    invalid: np.ndarray  # per participant: one rating or zero SD


@dataclass(frozen=True)
class Quality:
    n_checks: np.ndarray
    n_failed: np.ndarray
    median_seconds: np.ndarray
    n_regular: np.ndarray
    sd_regular: np.ndarray
    study_median_seconds: float
    speed_threshold: float
    attention: np.ndarray  # bool per participant
    speeder: np.ndarray
    straightline: np.ndarray

    @property
    def flagged(self) -> np.ndarray:
        return self.attention | self.speeder | self.straightline


def participant_zscores(score: np.ndarray, participant: np.ndarray, n: int) -> ZScores:
    """(score - participant mean) / participant SD (ddof=1), per rating."""
    score = np.asarray(score, dtype=float)
    count = np.bincount(participant, minlength=n)
    mean = grouped_means(score, participant, n)
    sd = grouped_sd(score, participant, n)
    tolerance = 1e-12 * np.maximum(1.0, np.abs(mean))
    invalid = (count < 2) | ~(sd > tolerance)
    usable = ~invalid[participant]
    z = np.full(score.size, np.nan)
    z[usable] = (score[usable] - mean[participant[usable]]) / sd[participant[usable]]
    return ZScores(z, mean, sd, count, invalid)


def grouped_median(values: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """Median of `values` per code (NaN values ignored; NaN for codes without values)."""
    values = np.asarray(values, dtype=float)
    keep = np.isfinite(values)
    values, codes = values[keep], codes[keep]
    out = np.full(n, np.nan)
    if values.size == 0:
        return out
    order = np.lexsort((values, codes))
    sorted_values = values[order]
    counts = np.bincount(codes, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    lo = starts[has] + (counts[has] - 1) // 2
    hi = starts[has] + counts[has] // 2
    out[has] = (sorted_values[lo] + sorted_values[hi]) / 2
    return out


def attention_failed(score: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Per check row: score missing or outside [low, high] (a NaN bound is open)."""
    score = np.asarray(score, dtype=float)
    low = np.where(np.isnan(low), -np.inf, low)
    high = np.where(np.isnan(high), np.inf, high)
    return ~((score >= low) & (score <= high))


def rater_quality(
    participant: np.ndarray,
    n: int,
    *,
    score: np.ndarray,
    seconds: np.ndarray,
    is_check: np.ndarray,
    check_low: np.ndarray,
    check_high: np.ndarray,
    thresholds: QualityThresholds = QualityThresholds(),
) -> Quality:
    """Attention-check failures, speeders and straight-liners per participant."""
    score = np.asarray(score, dtype=float)
    seconds = np.asarray(seconds, dtype=float)
    is_check = np.asarray(is_check, dtype=bool)
    check_rows = np.flatnonzero(is_check)
    failed = attention_failed(score[check_rows], check_low[check_rows], check_high[check_rows])
    n_checks = np.bincount(participant[check_rows], minlength=n)
    n_failed = np.bincount(participant[check_rows], weights=failed, minlength=n).astype(int)

    median_seconds = grouped_median(seconds, participant, n)
    timed = seconds[np.isfinite(seconds)]
    study_median = float(np.median(timed)) if timed.size else float("nan")
    speed_threshold = thresholds.speed_fraction * study_median
    speeder = np.isfinite(median_seconds) & (median_seconds < speed_threshold)

    regular = ~is_check
    n_regular = np.bincount(participant[regular], minlength=n)
    sd_regular = grouped_sd(score[regular], participant[regular], n)
    straightline = (n_regular >= thresholds.straightline_min_items) & (
        sd_regular <= thresholds.straightline_sd + 1e-9
    )
    return Quality(
        n_checks=n_checks,
        n_failed=n_failed,
        median_seconds=median_seconds,
        n_regular=n_regular,
        sd_regular=sd_regular,
        study_median_seconds=study_median,
        speed_threshold=speed_threshold,
        attention=n_failed > thresholds.attention_max_failures,
        speeder=speeder,
        straightline=straightline,
    )
