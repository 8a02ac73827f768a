"""Reading a samples file into records: (line, {column: value}) pairs from CSV or JSON
Lines, every problem of the file's form (encoding, syntax, columns) added to a ProblemList."""

import csv
import io
import json
from pathlib import Path

from studies.import_problems import ImportFailed, ProblemList, whole_problem


def decode_text(data: bytes, errors: ProblemList) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        errors.add(
            line,
            None,
            "encoding",
            f"not valid UTF-8 (byte 0x{data[error.start]:02x} at column {column}); "
            "save the file as UTF-8 and import again",
        )
        return None


def csv_records(text: str, errors: ProblemList):
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        errors.add(1, None, "empty", "the file is empty; the first line must name the columns")
        return
    except csv.Error as error:
        errors.add(1, None, "syntax", f"cannot read the header: {error}")
        return
    header = [name.strip() for name in header]
    seen = set()
    for name in header:
        if name in seen:
            errors.add(1, name, "duplicate", "column appears twice")
        seen.add(name)
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            errors.add(reader.line_num, None, "syntax", f"cannot read this line as CSV: {error}")
            return
        line, start = start, reader.line_num + 1
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            found = f"{len(values)} values, but the header names {len(header)} columns"
            errors.add(line, None, "syntax", found)
            continue
        yield line, dict(zip(header, values, strict=True))


def jsonl_records(text: str, errors: ProblemList):
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            errors.add(
                number,
                None,
                "syntax",
                f"not valid JSON ({error.msg} at column {error.colno}); "
                "each line must be one complete JSON object",
            )
            continue
        if not isinstance(record, dict):
            errors.add(
                number, None, "syntax", 'each line must be a JSON object, like {"group": ...}'
            )
            continue
        yield number, record


def reader_for(source: str):
    """The record reader for a file's type (by its suffix), or ImportFailed."""
    suffix = Path(source).suffix.lower()
    if suffix not in {".csv", ".jsonl", ".ndjson"}:
        raise ImportFailed(
            [whole_problem(source, "file_type", "unsupported file type; use .csv or .jsonl")]
        )
    return csv_records if suffix == ".csv" else jsonl_records


def file_records(reader, data: bytes, errors: ProblemList):
    text = decode_text(data, errors)
    if text is None:
        errors.raise_if_any()
    return reader(text, errors)
