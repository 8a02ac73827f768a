"""Reading comparisons (the pairwise export, one row per comparison) into the engine's
`ComparisonsFrame`, with no database: the analysis job feeds it the export's rows, and
`analyze_csv` a file whose header is the comparisons header.

The contract (DESIGN), header first:
`comparison,study,participant,brief,sample_a,sample_b,group_a,group_b,criterion,choice,strength,seconds,created_at`
with `choice` `a`, `b` or `tie` and `strength` empty or `slightly`, `clearly` or `much`.
Needed: `participant`, `sample_a`, `sample_b`, `group_a`, `group_b`, `choice`; the others
are checked when present, and extra columns are ignored. Every problem names the line and
the field; up to 20 are listed at once, and nothing is returned unless all rows are good.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from analysis.ratings_csv import MAX_ERRORS, RatingsFileError, csv_number
from ratings.comparisons_export import COMPARISONS_HEADER

HEADER = COMPARISONS_HEADER  # the export writes it (ratings.comparisons_export)
REQUIRED = ("participant", "sample_a", "sample_b", "group_a", "group_b", "choice")
CHOICES = ("a", "b", "tie")
STRENGTHS = ("", "slightly", "clearly", "much")


class ComparisonsFileError(RatingsFileError):
    """Problems of a comparisons file or export, each naming its line and field."""


@dataclass
class ComparisonsFile:
    frame: object  # analysis.engine.ComparisonsFrame
    comparison_ids: np.ndarray
    criterion: str
    study: str
    groups: list[str] = field(default_factory=list)  # in order of first appearance


def is_comparisons_header(header: Sequence[str]) -> bool:
    """Whether a CSV header is the comparisons export's (it names the two sides and a choice)."""
    columns = {column.strip() for column in header}
    return {"sample_a", "sample_b", "choice"} <= columns


def comparisons_rows_read(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    name: str = "comparisons",
    criterion: str | None = None,
) -> ComparisonsFile:
    """Check every row of a comparisons export and build the engine's frame.

    `header` is the first line's fields; `rows` yields each further line's fields as
    strings (a `csv.reader` or the export's rows). Lines are numbered from the header
    (line 1); a reader's own `line_num` is used when it has one, so that quoted line
    breaks count. ComparisonsFileError lists up to 20 problems as "NAME line N, field F:
    ..."."""
    from analysis.engine import ComparisonsFrame

    header = [str(column).strip() for column in header]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ComparisonsFileError(
            [
                f"{name} line 1: missing field(s) {', '.join(missing)} (the header has: "
                f"{', '.join(header)})"
            ]
        )
    index = {column: position for position, column in enumerate(header)}
    used = [column for column in HEADER if column in index]
    width = len(header)
    errors: list[str] = []
    columns: dict[str, list[str]] = {column: [] for column in used}
    lines: list[int] = []
    sample_group: dict[str, tuple[str, int]] = {}

    def problem(line: int, column: str, message: str) -> None:
        errors.append(f"{name} line {line}, field {column}: {message}")

    iterator = iter(rows)
    count = 1
    for row in iterator:
        count += 1
        line = getattr(iterator, "line_num", None) or getattr(rows, "line_num", None) or count
        if not row or (len(row) == 1 and not str(row[0]).strip()):
            continue
        if len(row) != width:
            errors.append(f"{name} line {line}: {len(row)} fields, the header has {width}")
        else:
            values = {column: str(row[index[column]]).strip() for column in used}
            for column in REQUIRED:
                if not values[column]:
                    problem(line, column, "empty")
            if values["choice"] and values["choice"] not in CHOICES:
                problem(line, "choice", f"{values['choice']!r} is not a, b or tie")
            if "strength" in values and values["strength"] not in STRENGTHS:
                problem(
                    line,
                    "strength",
                    f"{values['strength']!r} is not empty, slightly, clearly or much",
                )
            if values["choice"] == "tie" and values.get("strength"):
                problem(line, "strength", "a tie has no strength")
            if values["sample_a"] and values["sample_a"] == values["sample_b"]:
                problem(line, "sample_b", "the same sample as sample_a")
            for side in ("a", "b"):
                sample, group = values[f"sample_{side}"], values[f"group_{side}"]
                known = sample_group.setdefault(sample, (group, line))
                if sample and group and known[0] != group:
                    problem(
                        line,
                        f"group_{side}",
                        f"sample {sample!r} is in group {known[0]!r} on line {known[1]}, "
                        f"here {group!r}",
                    )
            for column in used:
                columns[column].append(values[column])
            lines.append(line)
        if len(errors) >= MAX_ERRORS:
            errors.append(f"{name}: stopped after {MAX_ERRORS} problems")
            raise ComparisonsFileError(errors)
    if not lines and not errors:
        errors.append(f"{name}: no comparisons after the header")
    if errors:
        raise ComparisonsFileError(errors)

    seconds = np.full(len(lines), np.nan)
    if "seconds" in columns:
        for position, (text, line) in enumerate(zip(columns["seconds"], lines, strict=True)):
            where = f"{name} line {line}, field seconds"
            value = csv_number(text, where=where, errors=errors, empty_ok=True)
            if value < 0:
                errors.append(f"{where}: must not be negative")
            seconds[position] = value
    ids = np.arange(1, len(lines) + 1, dtype=np.int64)
    if "comparison" in columns:
        seen: dict[str, int] = {}
        for position, (text, line) in enumerate(zip(columns["comparison"], lines, strict=True)):
            if not text.lstrip("-").isdigit():
                errors.append(
                    f"{name} line {line}, field comparison: {text!r} is not a whole number"
                )
            elif text in seen:
                errors.append(
                    f"{name} line {line}, field comparison: {text} repeats line {seen[text]}"
                )
            else:
                seen[text] = line
                ids[position] = int(text)
    studies = list(dict.fromkeys(columns.get("study", [])))
    if len(studies) > 1:
        errors.append(
            f"{name}: comparisons of several studies ({', '.join(studies)}); one at a time"
        )
    keep = np.ones(len(lines), dtype=bool)
    chosen = criterion or ""
    if "criterion" in columns:
        present = list(dict.fromkeys(columns["criterion"]))
        if criterion is None and len(present) > 1:
            errors.append(
                f"{name}: comparisons of several criteria ({', '.join(present)}); choose one"
            )
        chosen = criterion or present[0]
        if chosen not in present:
            errors.append(
                f"{name}: no comparisons of criterion {chosen!r} (found: {', '.join(present)})"
            )
        keep = np.array([c == chosen for c in columns["criterion"]], dtype=bool)
    if errors:
        raise ComparisonsFileError(errors[:MAX_ERRORS])

    def strings(column: str) -> np.ndarray:
        values = columns.get(column)
        if values is None:
            return np.full(len(lines), "", dtype=str)
        return np.array(values, dtype=str)[keep]

    frame = ComparisonsFrame(
        participant=strings("participant"),
        sample_a=strings("sample_a"),
        sample_b=strings("sample_b"),
        group_a=strings("group_a"),
        group_b=strings("group_b"),
        choice=strings("choice"),
        strength=strings("strength"),
        seconds=seconds[keep],
    )
    order = np.column_stack([frame.group_a, frame.group_b]).ravel().tolist()
    return ComparisonsFile(
        frame=frame,
        comparison_ids=ids[keep],
        criterion=chosen,
        study=studies[0] if studies else "",
        groups=list(dict.fromkeys(order)),
    )
