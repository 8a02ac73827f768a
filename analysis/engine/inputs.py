"""What the engine takes: `RatingsFrame` (one row per rating) and `ClaimSpec` (a claim to
judge), and how the frame's columns are checked and coded into integer arrays (`CodedRatings`).
"""

from dataclasses import dataclass

import numpy as np

from analysis.stats import descriptives

ERROR_FRAME = "RatingsFrame arrays must be one-dimensional and of equal length"


@dataclass(frozen=True)
class ClaimSpec:
    kind: str  # "mean" or "difference" ("ordering" in a pairwise study: groups[0] preferred)
    groups: tuple[str, ...]  # (g,) or (a, b) meaning mean(a) - mean(b)
    value: float
    source: str = ""


@dataclass
class RatingsFrame:
    """One row per rating of ONE criterion; numpy arrays of equal length."""

    participant: np.ndarray  # str pseudonyms
    sample: np.ndarray  # str sample ids/tokens
    group: np.ndarray  # str group keys
    score: np.ndarray  # float
    seconds: np.ndarray  # float, NaN when unknown
    guess: np.ndarray  # str, "" when no guess
    attention_low: np.ndarray  # float, NaN for regular samples
    attention_high: np.ndarray


@dataclass
class CodedRatings:
    """Regular ratings with integer codes: group over `keys`, compact participant/unit."""

    score: np.ndarray
    group: np.ndarray
    participant: np.ndarray
    participant_names: np.ndarray
    sample: np.ndarray
    unit: np.ndarray  # a sample within a group: the unit of the sample-level tests
    unit_group: np.ndarray
    n_samples: int

    @classmethod
    def build(cls, score, group, participant, participant_names, sample, k):
        """From global integer codes (`participant` indexes `participant_names`)."""
        kept, participant = np.unique(participant, return_inverse=True)
        sample_ids, sample = np.unique(sample, return_inverse=True)
        sample = sample.ravel().astype(np.int64)
        unit_keys, unit = np.unique(sample * k + group, return_inverse=True)
        return cls(
            score=score,
            group=group,
            participant=participant.ravel(),
            participant_names=participant_names[kept],
            sample=sample,
            unit=unit.ravel(),
            unit_group=(unit_keys % max(k, 1)).astype(np.int64),
            n_samples=int(sample_ids.size),
        )

    @property
    def unit_means(self) -> np.ndarray:
        return descriptives.grouped_means(self.score, self.unit, self.unit_group.size)


def frame_columns(frame: RatingsFrame) -> dict:
    cols = {
        "participant": _strings(frame.participant),
        "sample": _strings(frame.sample),
        "group": _strings(frame.group),
        "score": np.asarray(frame.score, dtype=float),
        "seconds": np.asarray(frame.seconds, dtype=float),
        "guess": _strings(frame.guess),
        "attention_low": np.asarray(frame.attention_low, dtype=float),
        "attention_high": np.asarray(frame.attention_high, dtype=float),
    }
    lengths = {c.shape for c in cols.values()}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise ValueError(ERROR_FRAME)
    return cols


def _strings(values) -> np.ndarray:
    """A str array; None (as object arrays from a database give it) becomes ""."""
    values = np.asarray(values)
    if values.dtype.kind == "U":
        return values
    if values.dtype == object:
        return np.array(["" if v is None else str(v) for v in values.tolist()], dtype=str)
    return values.astype(str)


def group_keys_in_order(groups, order, notes) -> list[str]:
    present = np.unique(groups).tolist()
    if order is None:
        return sorted(present)
    keys = [str(g) for g in order]
    extra = sorted(set(present) - set(keys))
    if extra:
        notes.append(f"groups not in group_order appended: {', '.join(extra)}")
    return keys + extra


def codes_in_order(values: np.ndarray, keys: list[str]) -> np.ndarray:
    uniques, inverse = np.unique(values, return_inverse=True)
    index = {key: i for i, key in enumerate(keys)}
    return np.array([index[v] for v in uniques.tolist()], dtype=np.int64)[inverse.ravel()]
