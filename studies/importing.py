"""Import samples from CSV or JSONL, with media from a folder or a ZIP: all or nothing.

Every row is checked before anything is written. Each problem is reported as
"<file> line <n>, field <name>: <what is wrong>", all of them at once (up to a cap), and
then nothing is stored. Only a file without a single problem is written, in one
transaction, with its media cleaned of metadata and stored under random names.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from studies import design
from studies.giveaways import source_warnings
from studies.import_media import MediaSource
from studies.import_problems import (
    ImportFailed,
    ImportProblem,
    MediaNotStored,
    ProblemList,
    whole_problem,
)
from studies.import_records import file_records, reader_for
from studies.import_warnings import brief_warnings, media_format_warnings
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
    errors = ProblemList(source, settings.BLINDRATE_IMPORT_MAX_ERRORS)
    out = []
    for line, record in file_records(reader_for(source), data, errors):
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
        self.errors = ProblemList(source, settings.BLINDRATE_IMPORT_MAX_ERRORS)
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
        reader = reader_for(self.source)
        self._assert_groups()
        return self.check(file_records(reader, data, self.errors))

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
                [
                    whole_problem(
                        self.source, "no_groups", "the study has no groups yet; add them first"
                    )
                ]
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
