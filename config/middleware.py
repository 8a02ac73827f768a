"""Requests whose text the database cannot store are refused before any view runs; every
request starts in English and ends in it whatever language a view spoke.

PostgreSQL's text columns refuse NUL characters; a lone surrogate cannot be encoded at
all. A NUL in a URL, a query parameter, a form field or a cookie would otherwise reach a
query and end as a 500 (`?PROLIFIC_PID=%00`, `item=%00`, `/media/%00/`). Here it gets a 400:
JSON in the API's error shape under /api/, elsewhere the page of the URLconf's handler400
(ratings.views.bad_request: on a rater page, in the study's rater language). JSON and
multipart bodies of the API are checked by its parsers (api.parsers), with the same rule.
"""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.urls import get_resolver
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from config.errors import error_body
from config.storable import text_problem

FORMS = {"application/x-www-form-urlencoded", "multipart/form-data"}
# In English (the API's); a rater page shows it in the study's rater language.
UNSTORABLE = gettext_noop(
    "The request cannot be used: {names} holds characters that cannot be stored."
)


class UnstorableRequest(BadRequest):
    """A request with text that cannot be stored: each part at fault, by name, with why."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(problems)
        self.problems = problems

    def message(self) -> str:
        """What is wrong, in the language active for the request."""
        return gettext(UNSTORABLE).format(names=", ".join(sorted(self.problems)))


def request_text_problems(request) -> dict[str, list[str]]:
    """Each part of the request that cannot be stored, by name, with why."""
    problems: dict[str, list[str]] = {}

    def check(name: str, value: str) -> None:
        problem = text_problem(value)
        if problem:
            problems.setdefault(name, []).append(problem)

    check("path", request.path)
    queries = [request.GET]
    # The API's parsers check its bodies themselves (api.parsers); forms elsewhere, here.
    if request.content_type in FORMS and not request.path.startswith("/api/"):
        queries.append(request.POST)
    for query in queries:
        for key, values in query.lists():
            name = "a parameter name" if text_problem(key) else key
            check(name, key)
            for value in values:
                check(name, value)
    for key, value in request.COOKIES.items():
        check("cookie", key)
        check("cookie", value)
    return problems


class UnstorableTextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problems = request_text_problems(request)
        if not problems:
            return self.get_response(request)
        refused = UnstorableRequest(problems)
        if request.path.startswith("/api/"):
            body = error_body(
                status_code=400, code="invalid", message=refused.message(), fields=problems
            )
            return JsonResponse(body, status=400)
        # Called, not raised: raised, DEBUG would answer Django's technical page instead.
        return get_resolver().resolve_error_handler(400)(request, exception=refused)


class RequestLanguageMiddleware:
    """The language of a request: English (the researcher's pages, the API), until a rater
    page activates its study's rater language (ratings.views). That language holds for
    the rest of the request, error pages included (404, 503, 500), and ends with it: the
    next request of this thread starts in English again. No browser preference is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with translation.override(settings.LANGUAGE_CODE):
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language())
        return response
