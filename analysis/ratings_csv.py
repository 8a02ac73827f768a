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
from collections.abc import Iterator, Sequence
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


def csv_number(text: str, *, where: str, errors: list[str], empty_ok: bool = False) -> float:
    """A finite number from a CSV field; a problem is added to `errors` (NaN returned)."""
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


@dataclass
class CsvColumns:
    """A checked CSV file as columns of stripped strings, with each row's line number."""

    name: str
    values: dict[str, list[str]]
    lines: list[int]

    def __contains__(self, column: str) -> bool:
        return column in self.values

    def numbers(self, column: str, errors: list[str], *, empty_ok: bool = False) -> np.ndarray:
        return np.array(
            [
                csv_number(text, where=self.where(line, column), errors=errors, empty_ok=empty_ok)
                for text, line in zip(self.values[column], self.lines, strict=True)
            ],
            dtype=float,
        )

    def strings(self, column: str) -> np.ndarray:
        if column not in self.values:
            return np.full(len(self.lines), "", dtype=str)
        return np.array(self.values[column], dtype=str)

    def where(self, line: int, column: str) -> str:
        return f"{self.name} line {line}, column {column}"


def csv_columns_read(
    path: str | Path, *, required: Sequence[str], optional: Sequence[str], what: str
) -> CsvColumns:
    """Read a UTF-8 CSV file whose header names at least `required`; every row checked
    for its width and non-empty required fields. RatingsFileError lists up to 20 problems;
    `what` names the rows in "no {what} after the header"."""
    name, header, reader = csv_file_open(path)
    missing = [column for column in required if column not in header]
    if missing:
        raise RatingsFileError(
            [
                f"{name} line 1: missing column(s) {', '.join(missing)} (the header has: "
                f"{', '.join(header)})"
            ]
        )
    index = {column: position for position, column in enumerate(header)}
    kept = [*required, *(column for column in optional if column in index)]
    table = CsvColumns(name, {column: [] for column in kept}, [])
    errors: list[str] = []
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        line = reader.line_num
        if len(row) != len(header):
            errors.append(f"{name} line {line}: {len(row)} fields, the header has {len(header)}")
        else:
            errors += [
                f"{table.where(line, column)}: empty"
                for column in required
                if not row[index[column]].strip()
            ]
            for column, values in table.values.items():
                values.append(row[index[column]].strip())
            table.lines.append(line)
        if len(errors) >= MAX_ERRORS:
            raise RatingsFileError([*errors, f"{name}: stopped after {MAX_ERRORS} problems"])
    if not table.lines and not errors:
        errors.append(f"{name}: no {what} after the header")
    if errors:
        raise RatingsFileError(errors)
    return table


def csv_file_open(path: str | Path) -> tuple[str, list[str], Iterator[list[str]]]:
    """(file name, stripped header, reader positioned after it) of a UTF-8 CSV file, or
    RatingsFileError when it cannot be read, is not UTF-8 or is empty. The reader's
    `line_num` is the file's line number."""
    name = Path(path).name
    reader = csv.reader(io.StringIO(_text(path, name), newline=""))
    header = next(reader, None)
    if not header:
        raise RatingsFileError([f"{name} line 1: empty file; the first line must be the header"])
    return name, [column.strip() for column in header], reader


def _text(path: str | Path, name: str) -> str:
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise RatingsFileError([f"{name}: cannot read the file ({error.strerror})"]) from error
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RatingsFileError(
            [f"{name}: not UTF-8 text (byte {error.start} cannot be decoded)"]
        ) from error


def _criterion_rows(table: CsvColumns, criterion: str | None) -> tuple[str, np.ndarray]:
    """The criterion analysed and which rows are its ratings."""
    if "criterion" not in table:
        return criterion or "", np.ones(len(table.lines), dtype=bool)
    present = list(dict.fromkeys(table.values["criterion"]))
    if criterion is None and len(present) > 1:
        raise RatingsFileError(
            [
                f"{table.name}: ratings of several criteria ({', '.join(present)}); choose one "
                f"with --criterion"
            ]
        )
    chosen = criterion or present[0]
    if chosen not in present:
        raise RatingsFileError(
            [f"{table.name}: no ratings of criterion {chosen!r} (found: {', '.join(present)})"]
        )
    return chosen, np.array([c == chosen for c in table.values["criterion"]], dtype=bool)


def _one_study(table: CsvColumns) -> str:
    studies = list(dict.fromkeys(table.values.get("study", [])))
    if len(studies) > 1:
        raise RatingsFileError(
            [
                f"{table.name}: ratings of several studies ({', '.join(studies)}); "
                "analyze one at a time"
            ]
        )
    return studies[0] if studies else ""


def _rating_ids(table: CsvColumns, errors: list[str]) -> np.ndarray:
    if "rating" not in table:
        return np.arange(1, len(table.lines) + 1, dtype=np.int64)
    texts = table.values["rating"]
    try:
        return np.array([int(text) for text in texts], dtype=np.int64)
    except ValueError:
        line, text = next(
            (line, text)
            for text, line in zip(texts, table.lines, strict=True)
            if not text.lstrip("-").isdigit()
        )
        errors.append(f"{table.where(line, 'rating')}: {text!r} is not a whole number")
        return np.zeros(len(texts), dtype=np.int64)


def ratings_file_read(path: str | Path, *, criterion: str | None = None) -> RatingsFile:
    """Read and check the whole file; RatingsFileError lists up to 20 problems."""
    from analysis.engine import RatingsFrame

    table = csv_columns_read(path, required=REQUIRED, optional=OPTIONAL, what="ratings")
    chosen, keep = _criterion_rows(table, criterion)
    study = _one_study(table)
    errors: list[str] = []
    n = len(table.lines)
    nan = np.full(n, np.nan)
    score = table.numbers("score", errors)
    seconds = table.numbers("seconds", errors, empty_ok=True) if "seconds" in table else nan
    low = high = nan
    if "attention_expected_min" in table and "attention_expected_max" in table:
        low = table.numbers("attention_expected_min", errors, empty_ok=True)
        high = table.numbers("attention_expected_max", errors, empty_ok=True)
    errors += [
        f"{table.where(line, 'seconds')}: must not be negative"
        for value, line in zip(seconds, table.lines, strict=True)
        if value < 0
    ]
    ids = _rating_ids(table, errors)
    if errors:
        raise RatingsFileError(errors[:MAX_ERRORS])
    frame = RatingsFrame(
        participant=table.strings("participant")[keep],
        sample=table.strings("sample")[keep],
        group=table.strings("group")[keep],
        score=score[keep],
        seconds=seconds[keep],
        guess=table.strings("guess")[keep],
        attention_low=low[keep],
        attention_high=high[keep],
    )
    regular = np.isnan(frame.attention_low) & np.isnan(frame.attention_high)
    groups = list(dict.fromkeys(frame.group[regular].tolist()))
    return RatingsFile(
        frame=frame, rating_ids=ids[keep], criterion=chosen, study=study, groups=groups
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


def claims_parse(texts: list[str], *, groups: list[str] | None = None):
    """The command line's `--claim` options as the engine's claims (`ClaimSpec`), and the
    groups they name in order (`groups`, when given). `GROUP=VALUE` and `A-B=VALUE`. Without
    `groups`, a name with one '-' that is not a group named elsewhere is a difference."""
    from analysis.engine import ClaimSpec

    known = list(groups or [])
    if groups is None:
        lefts = [text.partition("=")[0].strip() for text in texts]
        whole = {left for left in lefts if "-" not in left}
        for left in lefts:
            names = [left] if "-" not in left or left in whole else left.split("-")
            for name in names:
                if name and name not in known:
                    known.append(name)
    claims = []
    for text in texts:
        kind, names, value = claim_parse(text, known)
        claims.append(ClaimSpec(kind=kind, groups=names, value=value, source="--claim"))
    return claims, known
