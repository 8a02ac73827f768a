"""Request parsing that turns every malformed body into a 400, never a 500.

Python's `json` accepts what the database cannot store: lone UTF-16 surrogates
("\\ud800"), NUL characters (PostgreSQL refuses them), numbers too large for any column
(`1e400` is read as infinity, `10**400` as an integer no float can hold), and nesting deep
enough to exhaust the recursion limit. `JSONParser` refuses all of these up front, naming
where in the body the problem is, so no view or service ever sees them.
"""

import math

from django.conf import settings
from rest_framework import exceptions, parsers

from api.paths import NON_FIELD, field_path
from config.storable import text_problem

MAX_DEPTH = 32
MAX_INTEGER = 2**63 - 1
TOO_LARGE = "The request body is larger than {limit} bytes."


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "too_large"


def _path(parts: list) -> str:
    return field_path(*parts) or NON_FIELD


def body_problems(data) -> dict[str, list[str]]:
    """Every string, key and number of a parsed JSON body that cannot be stored, by path."""
    problems: dict[str, list[str]] = {}
    stack = [(data, [])]
    while stack:
        value, parts = stack.pop()
        if len(parts) > MAX_DEPTH:
            problems.setdefault(_path(parts), []).append(
                f"Nested more than {MAX_DEPTH} levels deep."
            )
            continue
        if isinstance(value, str):
            problem = text_problem(value)
        elif isinstance(value, bool) or value is None:
            problem = None
        elif isinstance(value, int):
            problem = None if abs(value) <= MAX_INTEGER else "Number is too large."
        elif isinstance(value, float):
            problem = None if math.isfinite(value) else "Must be a finite number."
        elif isinstance(value, dict):
            problem = None
            for key, item in value.items():
                key_problem = text_problem(key)
                if key_problem:
                    problems.setdefault(_path(parts), []).append(f"A key: {key_problem}")
                else:
                    stack.append((item, [*parts, key]))
        else:  # list
            problem = None
            stack.extend((item, [*parts, index]) for index, item in enumerate(value))
        if problem:
            problems.setdefault(_path(parts), []).append(problem)
    return dict(sorted(problems.items()))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise PayloadTooLarge(TOO_LARGE.format(limit=limit))
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from error
        problems = body_problems(data)
        if problems:
            raise exceptions.ValidationError(problems)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Multipart forms (one sample with its media file); fields are checked like JSON's."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        problems = {}
        for key, values in result.data.lists():
            for value in values:
                problem = text_problem(key) or text_problem(value)
                if problem:
                    problems.setdefault(key, []).append(problem)
        if problems:
            raise exceptions.ValidationError(problems)
        return result
