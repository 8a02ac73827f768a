"""One JSON shape for every error the API answers:

    {"error": {"status": 400, "code": "invalid", "message": "groups[1].key: ...",
               "fields": {"groups[1].key": ["..."]}}}

`status` repeats the HTTP status; `code` is a stable word to branch on (`invalid`,
`parse_error`, `not_authenticated`, `authentication_failed`, `permission_denied`,
`not_found`, `method_not_allowed`, `not_acceptable`, `unsupported_media_type`,
`conflict`, `design_frozen`, `throttled`, `unavailable` and `queue_unavailable` (503, with
`Retry-After`: the database or the task queue is down for a moment; nothing was stored),
`insufficient_storage` (507: the media volume refused a file; nothing was stored));
`message` is one sentence for a person;
`fields` (400 only) maps the path of each input at fault to its problems. Paths are the
input's keys joined by dots, with list positions in brackets: `groups[1].key`,
`scale_anchors.7`, `[2].group` for the third item of a list body. Problems of the input
as a whole are under `non_field_errors`.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from analysis.services import QueueUnavailable
from api.parsers import TOO_LARGE, PayloadTooLarge
from api.paths import NON_FIELD, field_path
from config.errors import error_body
from config.unavailable import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS
from studies.services import DesignFrozen, StudyConflict

NOT_A_RESEARCHER = "Only researchers (staff users) use this API."


class Conflict(exceptions.APIException):
    """The study's state forbids the request (editing an open study, opening it twice)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The study's state does not allow this."
    default_code = "conflict"


class Unavailable(exceptions.APIException):
    """A service the request needs is down for a moment: try again shortly."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = DATABASE_UNAVAILABLE
    default_code = "unavailable"


class InsufficientStorage(exceptions.APIException):
    """The media volume refused a file (full, read-only); nothing was stored."""

    status_code = 507
    default_detail = "The media volume cannot store the file."
    default_code = "insufficient_storage"


def validation_error(fields: dict[str, list[str]]) -> exceptions.ValidationError:
    """A 400 whose `fields` are already flat paths (the importer's item/field pairs)."""
    return exceptions.ValidationError({path: list(problems) for path, problems in fields.items()})


def _django_detail(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            NON_FIELD if field == "__all__" else field: messages
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD: error.messages}


def flatten(detail, parts: tuple = ()) -> dict[str, list[str]]:
    """DRF's nested error detail as {"groups[1].key": ["..."]} (api.paths)."""
    fields: dict[str, list[str]] = {}
    here = field_path(*parts) or NON_FIELD

    def add(name: str, problems) -> None:
        fields.setdefault(name, []).extend(problems)

    if isinstance(detail, dict):
        for key, value in detail.items():
            # A nested list or object's own problems (`non_field_errors`) are under its path.
            child = parts if key == NON_FIELD and parts else (*parts, key)
            for name, problems in flatten(value, child).items():
                add(name, problems)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                for name, problems in flatten(item, (*parts, index)).items():
                    add(name, problems)
            else:
                add(here, [str(item)])
    else:
        add(here, [str(detail)])
    return fields


def _summary(fields: dict[str, list[str]]) -> str:
    if not fields:
        return "Invalid input."
    name, problems = next(iter(fields.items()))
    first = problems[0] if name == NON_FIELD else f"{name}: {problems[0]}"
    count = sum(len(problems) for problems in fields.values())
    if count > 1:
        first += f" (and {count - 1} more {'problem' if count == 2 else 'problems'})"
    return first


def exception_handler(exc, context):
    """DRF's handler (status, WWW-Authenticate, Retry-After), then the one shape above."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = PayloadTooLarge(TOO_LARGE.format(limit=limit))
    elif isinstance(exc, SuspiciousOperation):
        # Too many form fields or files: Django's own limits on a request.
        exc = exceptions.ParseError(str(exc))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_detail(exc))
    elif isinstance(exc, StudyConflict):
        code = "design_frozen" if isinstance(exc, DesignFrozen) else "conflict"
        exc = Conflict(str(exc), code=code)
    elif isinstance(exc, UNAVAILABLE_ERRORS):
        exc = Unavailable()
    elif isinstance(exc, QueueUnavailable):
        exc = Unavailable(str(exc), code="queue_unavailable")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Unavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten(exc.detail)
        response.data = error_body(
            status_code=response.status_code,
            code="invalid",
            message=_summary(fields),
            fields=fields,
        )
        return response
    detail = exc.detail if isinstance(exc, exceptions.APIException) else None
    code = getattr(detail, "code", None) or getattr(exc, "default_code", None) or "error"
    if response.status_code == status.HTTP_404_NOT_FOUND:
        code = "not_found"
    message = str(detail) if detail is not None else str(response.data.get("detail", ""))
    response.data = error_body(status_code=response.status_code, code=code, message=message)
    return response
