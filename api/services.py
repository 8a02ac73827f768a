"""Samples sent to the API, added through the importer: all or nothing, with its checks.

The API takes samples as JSON objects (one, or a list) or as one multipart form with a
media file. Each becomes a record for `studies.importing.samples_import_records`, exactly
what a line of a JSONL import holds, so the API accepts what an import accepts; each of the
importer's problems (item number, field) becomes the path of the item at fault: `[2].group`
in a list, `group` alone.
"""

import json

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from api.errors import InsufficientStorage, validation_error
from api.parsers import body_problems
from api.paths import NON_FIELD, field_path
from studies.importing import (
    ImportFailed,
    ImportReport,
    MediaNotStored,
    MediaSource,
    samples_import_records,
)
from studies.media import MediaError
from studies.media_files import MEDIA_UNWRITABLE
from studies.models import Study

ITEM_KEYS = ("group", "text", "brief", "kind", "id", "attention", "expected", "meta")
UPLOAD_KEYS = tuple(key for key in ITEM_KEYS if key != "text")
SOURCE = "request"
MAX_ITEMS = 10_000
UNKNOWN_KEY = "unknown field (known: {known})"
MEDIA_IN_JSON = "media files are sent as multipart/form-data with the file in `file`"


class _Upload(MediaSource):
    """The one file of a multipart request, read only up to the media size limit."""

    def __init__(self, upload: UploadedFile) -> None:
        super().__init__(label="the upload", max_bytes=settings.BLINDRATE_MEDIA_MAX_BYTES)
        self.upload = upload

    def read(self, name: str) -> bytes:
        if self.upload.size is not None and self.upload.size > self.max_bytes:
            raise MediaError(f"file is over the limit of {self.max_bytes} bytes")
        self.upload.seek(0)
        return self.upload.read()


def _record(item, index: int | None, known: tuple[str, ...], problems: dict) -> dict | None:
    """The importer's record of item `index` of a list (None: the body's one item), meta
    keys as `meta_*` columns; None when the item cannot be one."""
    at = [] if index is None else [index]

    def path(key: str) -> str:
        return field_path(*at, key)

    if not isinstance(item, dict):
        problems.setdefault(field_path(*at) or NON_FIELD, []).append(
            'Each sample must be a JSON object, like {"group": "human", "text": "..."}.'
        )
        return None
    record = {}
    failed = False
    for key, value in item.items():
        if key == "file" and "file" not in known:
            problems.setdefault(path(key), []).append(MEDIA_IN_JSON)
            failed = True
        elif key not in known:
            problems.setdefault(path(key), []).append(UNKNOWN_KEY.format(known=", ".join(known)))
            failed = True
        elif key == "meta":
            if value is None:
                continue
            if not isinstance(value, dict):
                problems.setdefault(path(key), []).append("Must be an object of names and values.")
                failed = True
                continue
            record.update({f"meta_{name}": meta for name, meta in value.items()})
        else:
            record[key] = value
    return None if failed else record


def _item_path(line: int | None, field: str | None, *, single: bool) -> str:
    """The request path of the importer's item number `line` (from 1) and `field`."""
    parts: list = [] if single or line is None else [line - 1]
    return field_path(*parts, *([field] if field else [])) or NON_FIELD


def _fields(error: ImportFailed, *, single: bool) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for problem in error.problems:
        path = _item_path(problem.line, problem.field, single=single)
        fields.setdefault(path, []).append(problem.message)
    if error.more:
        fields.setdefault(NON_FIELD, []).append(
            f"stopped after {len(error.problems)} problems; fix these and send again"
        )
    return fields


def _report(report: ImportReport, *, single: bool) -> dict:
    warnings = [
        warning.message
        if single or warning.line is None
        else f"{_item_path(warning.line, None, single=False)}: {warning.message}"
        for warning in report.warnings
    ]
    return {
        "created": report.created,
        "by_group": report.by_group,
        "briefs_created": report.briefs_created,
        "warnings": warnings,
    }


def _import(*, study: Study, records: list[dict], single: bool, media=None) -> dict:
    try:
        report = samples_import_records(study=study, source=SOURCE, records=records, media=media)
    except MediaNotStored as error:
        raise InsufficientStorage(MEDIA_UNWRITABLE.format(cause=error.cause)) from error
    except ImportFailed as error:
        raise validation_error(_fields(error, single=single)) from error
    return _report(report, single=single)


def api_samples_add(*, study: Study, data) -> dict:
    """Add one sample (a JSON object) or several (a list): all of them, or none and a 400
    naming every item and field at fault. Returns the import report."""
    single = isinstance(data, dict)
    items = [data] if single else data
    problems: dict[str, list[str]] = {}
    if not isinstance(items, list) or not items:
        raise validation_error(
            {NON_FIELD: ["Send one sample as a JSON object, or a non-empty list of them."]}
        )
    if len(items) > MAX_ITEMS:
        raise validation_error(
            {NON_FIELD: [f"{len(items)} samples; send at most {MAX_ITEMS} per request."]}
        )
    records = [
        _record(item, None if single else index, ITEM_KEYS, problems)
        for index, item in enumerate(items)
    ]
    if problems:
        raise validation_error(problems)
    return _import(study=study, records=records, single=single)


def api_sample_upload(*, study: Study, fields: dict[str, str], upload: UploadedFile | None) -> dict:
    """Add one media sample from a multipart form: `file` and the other fields as text
    (`meta` as a JSON object)."""
    problems: dict[str, list[str]] = {}
    if upload is None:
        problems["file"] = ["No file was sent; send the media file in the `file` field."]
    item: dict = dict(fields)
    if "meta" in item:
        try:
            item["meta"] = json.loads(item["meta"]) if item["meta"].strip() else None
        except (ValueError, RecursionError):
            problems.setdefault("meta", []).append("Must be a JSON object, as text.")
            item.pop("meta")
        else:
            for path, found in body_problems(item["meta"]).items():
                name = "meta" if path == NON_FIELD else field_path("meta", path)
                problems.setdefault(name, []).extend(found)
    record = _record(item, None, UPLOAD_KEYS, problems)
    if problems or record is None:
        raise validation_error(problems)
    record["file"] = upload.name or "file"
    return _import(study=study, records=[record], single=True, media=_Upload(upload))
