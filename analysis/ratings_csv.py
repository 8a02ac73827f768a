"""Reading a ratings CSV in the export format (DESIGN §5) into the engine's frame, with no
database: `analyze_csv` runs the same engine on a file.

Needed columns: `participant`, `sample`, `group`, `score`. Used when present: `rating`
(ids for the checksum; line numbers otherwise), `criterion` (a file with several needs one
chosen), `seconds`, `guess`, `study` (one study per file), and the export's optional
`attention_expected_min`/`attention_expected_max`, which mark attention-check rows. Other
columns are ignored. Every problem names the file, the line and the column.
"""

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REQUIRED = ("participant", "sample", "group", "score")
OPTIONAL = (
    "rating",
    "criterion",
    "seconds",
    "guess",
    "study",
    "attention_expected_min",
    "attention_expected_max",
)
MAX_ERRORS = 20


class RatingsFileError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class RatingsFile:
    frame: object
    rating_ids: np.ndarray
    criterion: str
    study: str
    groups: list[str] = field(default_factory=list)  # in order of first appearance


def _float(text: str, *, where: str, errors: list[str], empty_ok: bool = False) -> float:
    text = text.strip()
    if text == "" and empty_ok:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        errors.append(f"{where}: {text!r} is not a number")
        return math.nan
    if not math.isfinite(value):
        errors.append(f"{where}: {text!r} is not a finite number")
    return value


def ratings_file_read(path: str | Path, *, criterion: str | None = None) -> RatingsFile:
    """Read and check the whole file; RatingsFileError lists up to 20 problems."""
    from analysis.engine import RatingsFrame

    name = Path(path).name
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise RatingsFileError([f"{name}: cannot read the file ({error.strerror})"]) from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RatingsFileError(
            [f"{name}: not UTF-8 text (byte {error.start} cannot be decoded)"]
        ) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise RatingsFileError([f"{name} line 1: empty file; the first line must be the header"])
    header = [column.strip() for column in header]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise RatingsFileError(
            [
                f"{name} line 1: missing column(s) {', '.join(missing)} (the header has: "
                f"{', '.join(header)})"
            ]
        )
    index = {column: position for position, column in enumerate(header)}
    optional = [column for column in OPTIONAL if column in index]
    errors: list[str] = []
    columns: dict[str, list] = {c: [] for c in (*REQUIRED, *optional, "line")}
    width = len(header)
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            errors.append(f"{name} line {line}: {len(row)} fields, the header has {width}")
        else:
            for column in REQUIRED:
                if not row[index[column]].strip():
                    errors.append(f"{name} line {line}, column {column}: empty")
            for column in columns:
                if column != "line":
                    columns[column].append(row[index[column]].strip())
            columns["line"].append(line)
        if len(errors) >= MAX_ERRORS:
            errors.append(f"{name}: stopped after {MAX_ERRORS} problems")
            raise RatingsFileError(errors)
    if not columns["line"] and not errors:
        errors.append(f"{name}: no ratings after the header")
    if errors:
        raise RatingsFileError(errors)

    lines = columns["line"]
    keep = np.ones(len(lines), dtype=bool)
    chosen = ""
    if "criterion" in columns:
        present = list(dict.fromkeys(columns["criterion"]))
        if criterion is None and len(present) > 1:
            raise RatingsFileError(
                [
                    f"{name}: ratings of several criteria ({', '.join(present)}); choose one "
                    f"with --criterion"
                ]
            )
        chosen = criterion or present[0]
        if chosen not in present:
            raise RatingsFileError(
                [f"{name}: no ratings of criterion {chosen!r} (found: {', '.join(present)})"]
            )
        keep = np.array([c == chosen for c in columns["criterion"]], dtype=bool)
    elif criterion:
        chosen = criterion
    studies = list(dict.fromkeys(columns.get("study", [])))
    if len(studies) > 1:
        raise RatingsFileError(
            [f"{name}: ratings of several studies ({', '.join(studies)}); analyze one at a time"]
        )

    def numbers(column: str, *, empty_ok: bool = False) -> np.ndarray:
        return np.array(
            [
                _float(
                    text,
                    where=f"{name} line {line}, column {column}",
                    errors=errors,
                    empty_ok=empty_ok,
                )
                for text, line in zip(columns[column], lines, strict=True)
            ],
            dtype=float,
        )

    score = numbers("score")
    seconds = numbers("seconds", empty_ok=True) if "seconds" in columns else None
    low = high = None
    if "attention_expected_min" in columns and "attention_expected_max" in columns:
        low = numbers("attention_expected_min", empty_ok=True)
        high = numbers("attention_expected_max", empty_ok=True)
    if seconds is not None:
        for value, line in zip(seconds, lines, strict=True):
            if value < 0:
                errors.append(f"{name} line {line}, column seconds: must not be negative")
    ids = np.arange(1, len(lines) + 1, dtype=np.int64)
    if "rating" in columns:
        try:
            ids = np.array([int(text) for text in columns["rating"]], dtype=np.int64)
        except ValueError:
            bad = next(
                (line, text)
                for text, line in zip(columns["rating"], lines, strict=True)
                if not text.lstrip("-").isdigit()
            )
            errors.append(f"{name} line {bad[0]}, column rating: {bad[1]!r} is not a whole number")
    if errors:
        raise RatingsFileError(errors[:MAX_ERRORS])

    def strings(column: str) -> np.ndarray:
        values = columns.get(column)
        if values is None:
            return np.full(len(lines), "", dtype=str)
        return np.array(values, dtype=str)

    n = len(lines)
    nan = np.full(n, np.nan)
    frame = RatingsFrame(
        participant=strings("participant")[keep],
        sample=strings("sample")[keep],
        group=strings("group")[keep],
        score=score[keep],
        seconds=(nan if seconds is None else seconds)[keep],
        guess=strings("guess")[keep],
        attention_low=(nan if low is None else low)[keep],
        attention_high=(nan if high is None else high)[keep],
    )
    regular = np.isnan(frame.attention_low) & np.isnan(frame.attention_high)
    groups = list(dict.fromkeys(frame.group[regular].tolist()))
    return RatingsFile(
        frame=frame,
        rating_ids=ids[keep],
        criterion=chosen,
        study=studies[0] if studies else "",
        groups=groups,
    )


def claim_parse(text: str, groups: list[str]) -> tuple[str, tuple[str, ...], float]:
    """`GROUP=VALUE` (a mean) or `A-B=VALUE` (the difference A - B), group keys as in the
    file; a key may itself contain '-', so the split is the one that names known groups."""
    left, sep, value_text = text.partition("=")
    left = left.strip()
    known = ", ".join(groups)
    if not sep or not left:
        raise ValueError(f"--claim {text!r}: expected GROUP=VALUE or A-B=VALUE")
    try:
        value = float(value_text)
    except ValueError:
        raise ValueError(f"--claim {text!r}: {value_text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"--claim {text!r}: the value must be a finite number")
    if left in groups:
        return "mean", (left,), value
    splits = [
        (left[:i], left[i + 1 :])
        for i, char in enumerate(left)
        if char == "-" and left[:i] in groups and left[i + 1 :] in groups
    ]
    if len(splits) == 1:
        return "difference", splits[0], value
    if len(splits) > 1:
        raise ValueError(f"--claim {text!r}: ambiguous, the groups could be split several ways")
    raise ValueError(f"--claim {text!r}: unknown group (groups in the file: {known})")
