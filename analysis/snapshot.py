"""What an analysis read, in numbers and as one checksum.

The checksum is the SHA-256 of the ratings frame in a canonical byte form (format
`blindrate-ratings/1`): for each column in a fixed order, its name, its length and its
values (integers and floats as little-endian 64-bit, strings as UTF-32LE at the width
of the longest value). A run in the database and `analyze_csv` on that study's export with attention
checks read the same rows in the same order, so they report the same checksum.
"""

import hashlib

import numpy as np

FORMAT = b"blindrate-ratings/1"
STRING_COLUMNS = ("participant", "sample", "group", "guess")
FLOAT_COLUMNS = ("score", "seconds", "attention_low", "attention_high")


def _strings(values: np.ndarray) -> bytes:
    """A string column as fixed-width UTF-32LE at the width of its longest value (given
    first), so that the same values hash alike whatever array they came in."""
    values = np.asarray(values, dtype=str)
    width = max(1, int(np.char.str_len(values).max())) if values.size else 1
    return width.to_bytes(4, "little") + np.ascontiguousarray(values, dtype=f"<U{width}").tobytes()


def input_checksum(frame, rating_ids: np.ndarray) -> str:
    digest = hashlib.sha256(FORMAT)
    ids = np.asarray(rating_ids, dtype="<i8")
    digest.update(b"\x1erating" + len(ids).to_bytes(8, "little") + ids.tobytes())
    for name in STRING_COLUMNS:
        values = getattr(frame, name)
        digest.update(b"\x1e" + name.encode() + len(values).to_bytes(8, "little"))
        digest.update(_strings(values))
    for name in FLOAT_COLUMNS:
        values = np.ascontiguousarray(getattr(frame, name), dtype="<f8")
        digest.update(b"\x1e" + name.encode() + len(values).to_bytes(8, "little"))
        digest.update(values.tobytes())
    return digest.hexdigest()


COMPARISONS_FORMAT = b"blindrate-comparisons/1"
COMPARISON_COLUMNS = ("participant", "sample_a", "sample_b", "group_a", "group_b", "choice")


def comparisons_checksum(frame, comparison_ids: np.ndarray) -> str:
    """The SHA-256 of a comparisons frame, in the same canonical form as `input_checksum`
    (format `blindrate-comparisons/1`: ids, then the string columns, then seconds)."""
    digest = hashlib.sha256(COMPARISONS_FORMAT)
    ids = np.asarray(comparison_ids, dtype="<i8")
    digest.update(b"\x1ecomparison" + len(ids).to_bytes(8, "little") + ids.tobytes())
    for name in (*COMPARISON_COLUMNS, "strength"):
        values = getattr(frame, name)
        digest.update(b"\x1e" + name.encode() + len(values).to_bytes(8, "little"))
        digest.update(_strings(values))
    seconds = np.ascontiguousarray(frame.seconds, dtype="<f8")
    digest.update(b"\x1eseconds" + len(seconds).to_bytes(8, "little") + seconds.tobytes())
    return digest.hexdigest()


def input_counts(document: dict) -> dict:
    """What the engine counted: ratings of the groups and of attention checks, raters and
    samples (of the groups' ratings), ratings per group."""
    counts = {
        "ratings": document.get("n_ratings"),
        "attention_check_ratings": document.get("n_attention_check_ratings"),
        "participants": document.get("n_participants"),
        "samples": document.get("n_samples"),
        "ratings_per_group": {
            key: (entry or {}).get("n") for key, entry in (document.get("groups") or {}).items()
        },
    }
    if "n_comparisons" in document:
        counts["comparisons"] = document["n_comparisons"]
    return counts
