"""Import samples from CSV or JSONL, with media from a folder or a ZIP: all or nothing.

Every row is checked before anything is written. Each problem is reported as
"<file> line <n>, field <name>: <what is wrong>", all of them at once (up to a cap), and
then nothing is stored. Only a file without a single problem is written, in one
transaction, with its media cleaned of metadata and stored under random names.
"""

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import transaction

from studies import design
from studies.giveaways import source_warnings
from studies.media import CleanMedia, MediaError, clean_media
from studies.media_files import MediaUnwritable, media_delete, media_write
from studies.models import Brief, Group, Sample, Study, sample_media_path
from studies.services import study_assert_editable

BASE_COLUMNS = ("group", "text", "file", "brief", "kind", "id", "attention", "expected")
TRUE_WORDS = {"1", "true", "yes", "y"}
FALSE_WORDS = {"", "0", "false", "no", "n"}
MAX_TEXT_CHARS = 100_000
MAX_ID_CHARS = 200
MAX_ROWS = 100_000
BRIEF_KEY = re.compile(r"[-a-zA-Z0-9_]{1,80}")
RANGE = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*(?:(?:-|\u2013|to|\.\.)\s*(-?\d+(?:\.\d+)?))?\s*")


GROUP_MISSING = "missing; every sample needs a group"
DUPLICATE_IN_STUDY = "duplicate id '{id}' (already in the study)"
MEDIA_NOT_STORED = (
    "the media file could not be stored: {cause}. "
    "Nothing was imported; import again once the media volume can take the files."
)


@dataclass(frozen=True)
class ImportProblem:
    """One finding of an import, as data: where (`source`: the file's name, or what sent
    the items; `line`: the line of a file, or the item's number in a list, from 1; `field`)
    and what (`code`, a stable word to branch on, and `message`, a sentence for a person).
    The admin and the command print it as text; the API builds its field paths from it."""

    source: str
    line: int | None
    field: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f" line {self.line}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}" if where else self.message


class ImportFailed(Exception):
    """Nothing was stored; `problems` says what and where."""

    def __init__(self, problems: list[ImportProblem], *, more: bool = False) -> None:
        self.problems = problems
        self.more = more
        lines = self.errors
        if more:
            lines.append(f"... stopped after {len(problems)} errors; fix these and import again")
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> list[str]:
        return [str(problem) for problem in self.problems]


class MediaNotStored(ImportFailed):
    """The media volume refused a file (full, read-only): the rows were fine, the platform
    could not keep them. Nothing was stored, and the files already written are removed."""

    def __init__(self, source: str, line: int, cause: str) -> None:
        self.cause = cause
        message = MEDIA_NOT_STORED.format(cause=cause)
        super().__init__([ImportProblem(source, line, "file", "media_not_stored", message)])


@dataclass
class ImportReport:
    created: int = 0
    briefs_created: list[str] = field(default_factory=list)
    # Checks of blinding: a row's (with its line) or the study's as a whole (line None).
    warnings: list[ImportProblem] = field(default_factory=list)
    by_group: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        groups = ", ".join(f"{key} {count}" for key, count in self.by_group.items())
        text = f"Imported {self.created} samples ({groups})."
        if self.briefs_created:
            text += f" New briefs: {', '.join(self.briefs_created)}."
        return text


class MediaSource:
    """Media files named by the `file` column, from a folder or a ZIP archive."""

    def __init__(self, *, label: str, max_bytes: int) -> None:
        self.label = label
        self.max_bytes = max_bytes

    def read(self, name: str) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass


class MediaFolder(MediaSource):
    def __init__(self, path: Path, *, max_bytes: int) -> None:
        super().__init__(label=str(path), max_bytes=max_bytes)
        self.root = path.resolve()

    def read(self, name: str) -> bytes:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise KeyError(name)
        if path.stat().st_size > self.max_bytes:
            raise MediaError(f"file is over the limit of {self.max_bytes} bytes")
        return path.read_bytes()


class MediaZip(MediaSource):
    def __init__(self, file, *, label: str, max_bytes: int) -> None:
        super().__init__(label=label, max_bytes=max_bytes)
        try:
            self.archive = zipfile.ZipFile(file)
        except zipfile.BadZipFile as error:
            raise ImportFailed([_whole(label, "media", f"not a ZIP archive ({error})")]) from error
        self.members = {
            str(PurePosixPath(info.filename)): info
            for info in self.archive.infolist()
            if not info.is_dir()
        }

    def read(self, name: str) -> bytes:
        info = self.members.get(str(PurePosixPath(name.replace("\\", "/"))))
        if info is None:
            raise KeyError(name)
        if info.file_size > self.max_bytes:
            raise MediaError(f"file is over the limit of {self.max_bytes} bytes")
        # The header's size can lie (a ZIP bomb): never inflate more than the limit.
        with self.archive.open(info) as member:
            data = member.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise MediaError(f"file is over the limit of {self.max_bytes} bytes")
        return data

    def close(self) -> None:
        self.archive.close()


def media_source_open(path: Path, *, max_bytes: int | None = None) -> MediaSource:
    limit = max_bytes or settings.BLINDRATE_MEDIA_MAX_BYTES
    if path.is_dir():
        return MediaFolder(path, max_bytes=limit)
    if path.is_file():
        return MediaZip(path, label=path.name, max_bytes=limit)
    raise ImportFailed([_whole(str(path), "media", "no such folder or ZIP file")])


@dataclass
class Row:
    line: int
    group_id: int
    brief_key: str | None
    kind: str
    text: str
    media: CleanMedia | None
    external_id: str
    attention: bool
    expected: tuple[float, float] | None
    metadata: dict
    content_sha256: str
    warnings: list[str]


def _whole(source: str, code: str, message: str) -> ImportProblem:
    """A problem of the input as a whole (no line, no field)."""
    return ImportProblem(source, None, None, code, message)


class _Errors:
    def __init__(self, source: str, cap: int) -> None:
        self.source = source
        self.cap = cap
        self.items: list[ImportProblem] = []
        self.more = False
        self.count = 0  # problems found, kept or beyond the cap

    def add(self, line: int, field_name: str | None, code: str, message: str) -> None:
        self.count += 1
        if len(self.items) < self.cap:
            self.items.append(ImportProblem(self.source, line, field_name, code, message))
        else:
            self.more = True

    @property
    def full(self) -> bool:
        return self.more

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportFailed(self.items, more=self.more)


def _decode(data: bytes, errors: _Errors) -> str | None:
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


def _csv_records(text: str, errors: _Errors):
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


def _jsonl_records(text: str, errors: _Errors):
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


def _reader_for(source: str):
    """The record reader for a file's type (by its suffix), or ImportFailed."""
    suffix = Path(source).suffix.lower()
    if suffix not in {".csv", ".jsonl", ".ndjson"}:
        raise ImportFailed(
            [_whole(source, "file_type", "unsupported file type; use .csv or .jsonl")]
        )
    return _csv_records if suffix == ".csv" else _jsonl_records


def _records(reader, data: bytes, errors: _Errors):
    text = _decode(data, errors)
    if text is None:
        errors.raise_if_any()
    return reader(text, errors)


@dataclass(frozen=True)
class SampleRecord:
    """A line of a samples file as read, unchecked against a study: what the analysis of a
    file (`manage.py analyze_csv --samples`) needs."""

    line: int
    group: str
    brief: str
    kind: str  # "text", or the file's `kind` column ("image", "audio") or "media"
    text: str
    attention: bool


def sample_records_read(*, source: str, data: bytes) -> list[SampleRecord]:
    """The samples of a CSV or JSONL file in the import format, read as an import reads
    them (same decoding, columns and line numbers), without a study or media; ImportFailed
    lists every problem of the file's form and every line without a group."""
    errors = _Errors(source, settings.BLINDRATE_IMPORT_MAX_ERRORS)
    out = []
    for line, record in _records(_reader_for(source), data, errors):
        group = _as_text(record.get("group")).strip()
        if not group:
            errors.add(line, "group", "missing", GROUP_MISSING)
        text = _as_text(record.get("text"))
        kind = _as_text(record.get("kind")).strip().lower()
        kind = Sample.Kind.TEXT if text.strip() else (kind or "media")
        attention = _parse_bool(record.get("attention"))
        if attention is None:
            errors.add(line, "attention", "invalid", _not_bool(record.get("attention")))
        brief = _as_text(record.get("brief")).strip()
        out.append(SampleRecord(line, group, brief, kind, text, bool(attention)))
    errors.raise_if_any()
    return out


def _as_text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _parse_bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    word = _as_text(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _not_bool(value) -> str:
    return f"'{_as_text(value)}' is not true or false"


def _parse_expected(value) -> tuple[float, float] | None:
    """`1-3`, `2`, `[1, 3]` or `2.5-4` -> (low, high); None when unreadable."""
    if isinstance(value, list | tuple) and len(value) == 2:
        low, high = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        low = high = value
    else:
        match = RANGE.fullmatch(_as_text(value))
        if not match:
            return None
        low, high = match.group(1), match.group(2) or match.group(1)
    try:
        return float(low), float(high)
    except (TypeError, ValueError):
        return None


def _metadata(record: dict) -> dict:
    """The researcher's own columns (`meta_*`), never shown to raters."""
    return {
        name.removeprefix("meta_"): value
        for name, value in record.items()
        if str(name).startswith("meta_") and value not in ("", None)
    }


class _Importer:
    def __init__(self, *, study: Study, source: str, media: MediaSource | None) -> None:
        self.study = study
        self.source = source
        self.media = media
        self.errors = _Errors(source, settings.BLINDRATE_IMPORT_MAX_ERRORS)
        self.groups = {g.key: g for g in study.groups.order_by("id")}
        self.briefs = set(study.briefs.values_list("key", flat=True))
        self.existing_ids = set(
            study.samples.exclude(external_id="").values_list("external_id", flat=True)
        )
        self.ids_in_file: dict[str, int] = {}
        self.hashes_in_file: dict[str, int] = {}
        self.rows: list[Row] = []

    def run(self, data: bytes) -> list[Row]:
        """The rows of a CSV or JSONL file, checked."""
        reader = _reader_for(self.source)
        self._assert_groups()
        return self.check(_records(reader, data, self.errors))

    def check(self, records: Iterable[tuple[int, dict]]) -> list[Row]:
        """Check (line or item number, record) pairs; the rows, or ImportFailed with every
        problem (up to the cap)."""
        self._assert_groups()
        count = 0
        for line, record in records:
            count += 1
            if count > MAX_ROWS:
                self.errors.add(
                    line, None, "too_many", f"more than {MAX_ROWS} rows; split the file"
                )
                break
            self._row(line, record)
            if self.errors.full:
                break
        if count == 0 and not self.errors.items:
            self.errors.add(1, None, "empty", "no samples in the file")
        self.errors.raise_if_any()
        return self.rows

    def _assert_groups(self) -> None:
        if not self.groups:
            raise ImportFailed(
                [_whole(self.source, "no_groups", "the study has no groups yet; add them first")]
            )

    def _row(self, line: int, record: dict) -> None:
        """Check one record field by field (every problem reported); keep it if it has none."""
        problems_before = self.errors.count
        self._check_columns(line, record)
        group = self._group(line, record)
        kind, text, media = self._content(line, record)
        brief_key = self._brief(line, record)
        external_id = self._external_id(line, record)
        attention, expected = self._attention(line, record)
        if self.errors.count > problems_before:
            return
        if media is None:
            digest = design.text_sha256(text)
        else:
            digest, text = design.sha256_hex(media.data), ""
        warnings = source_warnings(text) if text else []
        if digest in self.hashes_in_file:
            warnings.append(f"same content as line {self.hashes_in_file[digest]}")
        self.hashes_in_file.setdefault(digest, line)
        self.rows.append(
            Row(
                line=line,
                group_id=group.id,
                brief_key=brief_key,
                kind=kind,
                text=text,
                media=media,
                external_id=external_id,
                attention=attention,
                expected=expected,
                metadata=_metadata(record),
                content_sha256=digest,
                warnings=warnings,
            )
        )

    def _check_columns(self, line: int, record: dict) -> None:
        for name in record:
            if name not in BASE_COLUMNS and not str(name).startswith("meta_"):
                known = f"known: {', '.join(BASE_COLUMNS)}, meta_*"
                self.errors.add(line, name, "unknown", f"unknown column ({known})")

    def _group(self, line: int, record: dict) -> Group | None:
        group_key = _as_text(record.get("group")).strip()
        group = self.groups.get(group_key)
        if not group_key:
            self.errors.add(line, "group", "missing", GROUP_MISSING)
        elif group is None:
            known = ", ".join(self.groups)
            self.errors.add(
                line, "group", "unknown", f"unknown group '{group_key}' (known: {known})"
            )
        return group

    def _content(self, line: int, record: dict) -> tuple[str, str, CleanMedia | None]:
        """The sample's kind, text and media (one of text or a media file)."""
        add = self.errors.add
        text = _as_text(record.get("text"))
        file_name = _as_text(record.get("file")).strip()
        kind = _as_text(record.get("kind")).strip().lower()
        if kind and kind not in Sample.Kind.values:
            known = ", ".join(Sample.Kind.values)
            add(line, "kind", "unknown", f"unknown kind '{kind}' (known: {known})")
            kind = ""
        if text.strip() and file_name:
            add(line, "file", "conflict", "give either text or a file, not both")
        elif not text.strip() and not file_name:
            add(line, "text", "missing", "missing; a sample needs text or a file")
        elif text.strip():
            if kind and kind != Sample.Kind.TEXT:
                add(line, "kind", "conflict", f"is '{kind}' but the sample has text and no file")
            if len(text) > MAX_TEXT_CHARS:
                message = f"{len(text)} characters; the limit is {MAX_TEXT_CHARS}"
                add(line, "text", "too_long", message)
            return Sample.Kind.TEXT, text, None
        else:
            media = self._media(line, file_name)
            if media is not None and kind and kind != media.kind:
                add(line, "kind", "conflict", f"is '{kind}' but '{file_name}' holds {media.kind}")
            return (media.kind if media else kind), text, media
        return kind, text, None

    def _brief(self, line: int, record: dict) -> str | None:
        brief_key = _as_text(record.get("brief")).strip() or None
        if brief_key and not BRIEF_KEY.fullmatch(brief_key):
            message = f"'{brief_key}' is not a key (up to 80 letters, digits, - or _)"
            self.errors.add(line, "brief", "invalid", message)
        return brief_key

    def _external_id(self, line: int, record: dict) -> str:
        external_id = _as_text(record.get("id")).strip()
        if len(external_id) > MAX_ID_CHARS:
            self.errors.add(line, "id", "too_long", f"longer than {MAX_ID_CHARS} characters")
        elif external_id in self.existing_ids:
            self.errors.add(line, "id", "duplicate", DUPLICATE_IN_STUDY.format(id=external_id))
        elif external_id in self.ids_in_file:
            first = self.ids_in_file[external_id]
            message = f"duplicate id '{external_id}' (also on line {first})"
            self.errors.add(line, "id", "duplicate", message)
        elif external_id:
            self.ids_in_file[external_id] = line
        return external_id

    def _attention(self, line: int, record: dict) -> tuple[bool, tuple[float, float] | None]:
        """Whether the sample is an attention check, and its expected score range."""
        attention = _parse_bool(record.get("attention"))
        if attention is None:
            self.errors.add(line, "attention", "invalid", _not_bool(record.get("attention")))
        raw_expected = record.get("expected")
        if not _as_text(raw_expected).strip():
            if attention:
                message = "an attention check needs its expected score range, e.g. 1-3"
                self.errors.add(line, "expected", "missing", message)
            return bool(attention), None
        expected = _parse_expected(raw_expected)
        problem = self._expected_problem(_as_text(raw_expected), expected, bool(attention))
        if problem:
            self.errors.add(line, "expected", "invalid", problem)
        return bool(attention), expected

    def _expected_problem(self, raw: str, expected, attention: bool) -> str | None:
        if expected is None:
            return f"'{raw}' is not a score range like 1-3"
        if expected[0] > expected[1]:
            return f"'{raw}' runs backwards; write low-high"
        bad = design.score_problem(self.study, expected[0]) or design.score_problem(
            self.study, expected[1]
        )
        if bad:
            return f"'{raw}': scores {bad}"
        if not attention:
            return "is only for attention checks; set attention to true"
        return None

    def _media(self, line: int, file_name: str) -> CleanMedia | None:
        if self.media is None:
            self.errors.add(
                line, "file", "media", f"'{file_name}' needs a media folder or ZIP (--media)"
            )
            return None
        try:
            data = self.media.read(file_name)
            return clean_media(data, max_bytes=self.media.max_bytes)
        except KeyError:
            self.errors.add(line, "file", "media", f"'{file_name}' is not in {self.media.label}")
        except MediaError as error:
            self.errors.add(line, "file", "media", f"'{file_name}': {error}")
        return None


def samples_import(
    *, study: Study, file_name: str, data: bytes, media: MediaSource | None = None
) -> ImportReport:
    """Check every row of a CSV or JSONL file; store all of them, or none and say why."""
    study_assert_editable(study=study, what="its samples")
    rows = _Importer(study=study, source=file_name, media=media).run(data)
    return _import_rows(study, rows, file_name)


def samples_import_records(
    *, study: Study, source: str, records: list[dict], media: MediaSource | None = None
) -> ImportReport:
    """The same for records already parsed (the API's JSON items): each record is what a
    line of a JSONL file holds; a problem's `line` is the record's number, from 1."""
    study_assert_editable(study=study, what="its samples")
    importer = _Importer(study=study, source=source, media=media)
    rows = importer.check(enumerate(records, start=1))
    return _import_rows(study, rows, source)


def _import_rows(study: Study, rows: list[Row], source: str) -> ImportReport:
    """Store checked rows and their media in one transaction: all of them, or none."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            # The study row's lock orders imports against each other and against opening:
            # nothing lands in a study after its design was frozen.
            locked = Study.objects.select_for_update().get(pk=study.pk)
            study_assert_editable(study=locked, what="its samples")
            taken = set(
                locked.samples.filter(
                    external_id__in=[row.external_id for row in rows if row.external_id]
                ).values_list("external_id", flat=True)
            )
            if taken:
                raise ImportFailed(
                    [
                        ImportProblem(
                            source,
                            row.line,
                            "id",
                            "duplicate",
                            DUPLICATE_IN_STUDY.format(id=row.external_id),
                        )
                        for row in rows
                        if row.external_id in taken
                    ]
                )
            return _store(locked, rows, source, stored)
    except BaseException:
        for name in stored:
            media_delete(name)
        raise


def _store(study: Study, rows: list[Row], source: str, stored: list[str]) -> ImportReport:
    report = ImportReport()
    briefs = {b.key: b for b in study.briefs.all()}
    for row in rows:
        if row.brief_key and row.brief_key not in briefs:
            # No title: a brief's title is shown to raters, and keys are the researcher's
            # own words ("ai-prompt"); a title is given in the admin or the API.
            brief = Brief(study=study, key=row.brief_key, title="")
            brief.full_clean(exclude=["study"])
            brief.save()
            briefs[row.brief_key] = brief
            report.briefs_created.append(row.brief_key)
    samples = []
    for row in rows:
        sample = Sample(
            study=study,
            group_id=row.group_id,
            brief=briefs[row.brief_key] if row.brief_key else None,
            kind=row.kind,
            text=row.text,
            content_sha256=row.content_sha256,
            external_id=row.external_id,
            is_attention_check=row.attention,
            expected_min=row.expected[0] if row.expected else None,
            expected_max=row.expected[1] if row.expected else None,
            metadata=row.metadata,
            source_warnings=row.warnings,
        )
        if row.media is not None:
            try:
                name = media_write(
                    sample_media_path(sample, f"x.{row.media.extension}"), row.media.data
                )
            except MediaUnwritable as error:
                raise MediaNotStored(source, row.line, error.cause) from error
            stored.append(name)
            sample.media.name = name
            sample.media_type = row.media.mime
        samples.append(sample)
        for warning in row.warnings:
            report.warnings.append(ImportProblem(source, row.line, None, "blinding", warning))
    Sample.objects.bulk_create(samples, batch_size=500)
    names = {g.id: g.key for g in study.groups.all()}
    for row in rows:
        key = names[row.group_id]
        report.by_group[key] = report.by_group.get(key, 0) + 1
    report.created = len(samples)
    report.warnings.extend(
        ImportProblem("", None, None, "blinding", warning)
        for warning in media_format_warnings(study) + brief_warnings(study)
    )
    return report


def _words(text: str) -> list[str]:
    return re.findall(r"[0-9a-z]+", text.lower())


def _contains_words(haystack: list[str], needle: list[str]) -> bool:
    size = len(needle)
    return bool(size) and any(
        haystack[i : i + size] == needle for i in range(len(haystack) - size + 1)
    )


def brief_warnings(study: Study) -> list[str]:
    """Briefs that could give a group away: one answered by a single group only (its title
    and text are shown with every sample of that group), and one whose key or title names
    a group (by key or label)."""
    groups = list(study.groups.all())
    used: dict[int, set[str]] = {}
    for brief_id, group_key in (
        Sample.objects.filter(study=study, is_attention_check=False, brief__isnull=False)
        .values_list("brief_id", "group__key")
        .distinct()
    ):
        used.setdefault(brief_id, set()).add(group_key)
    warnings = []
    for brief in study.briefs.order_by("key"):
        keys = used.get(brief.id, set())
        if len(groups) > 1 and len(keys) == 1:
            warnings.append(
                f"brief '{brief.key}' is used by group '{next(iter(keys))}' only, so what "
                "raters see of it marks that group's samples; give every group samples of it"
            )
        for group in groups:
            for where, words in (("key", _words(brief.key)), ("title", _words(brief.title))):
                if _contains_words(words, _words(group.key)) or _contains_words(
                    words, _words(group.label)
                ):
                    warnings.append(
                        f"brief '{brief.key}': its {where} names the group '{group.key}'; "
                        "rename it, since a brief's title is shown to raters"
                    )
    return warnings


def media_format_warnings(study: Study) -> list[str]:
    """Media whose file format differs by group give the group away (all AI images PNG,
    all human ones JPEG): say so, for each kind of media where it happens."""
    formats: dict[str, dict[str, set[str]]] = {}
    rows = (
        Sample.objects.filter(study=study)
        .exclude(kind=Sample.Kind.TEXT)
        .values_list("kind", "group__key", "media_type")
        .distinct()
    )
    for kind, group, media_type in rows:
        formats.setdefault(kind, {}).setdefault(group, set()).add(media_type)
    warnings = []
    for kind, by_group in sorted(formats.items()):
        if len(by_group) > 1 and len({frozenset(types) for types in by_group.values()}) > 1:
            listed = "; ".join(
                f"{group}: {', '.join(sorted(types))}" for group, types in sorted(by_group.items())
            )
            warnings.append(
                f"{kind} formats differ by group ({listed}), so raters could tell the groups "
                "apart; convert them to one format"
            )
    return warnings
