"""The floor of a rating request in this stack, for bench/rater_load.py: the least any
implementation of the rating page has to do, and nothing of the rating itself.

`/bench-floor/` takes the same CSRF-checked form POST through the same middleware, makes
one database round trip (a `SELECT` through Django's cursor), and renders the same rating
template with a fixed item (the pair template with a fixed pair, when the bench's study is
pairwise). No participant, no lock, no write, no assignment. What it costs bounds what the
rating POST can reach on this server.
"""

from django.db import connection
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from config.urls import urlpatterns as platform
from ratings import selectors
from ratings.models import Assignment
from ratings.services import pairs
from studies.models import Sample

_PAGE: dict = {}  # the template and its context, made at the first request


def _page() -> tuple[str, dict]:
    study = selectors.study_for_raters("load")
    sample = Sample(kind="text", text="Sample 1 of a load test: a short poem about the sea.")
    assignment = Assignment(token="0" * 32, position=3)
    assignment.sample = sample
    if pairs.is_pairwise(study):
        text = "Sample 2 of a load test: a short poem about the sea."
        assignment.sample_b = Sample(kind="text", text=text)
        return "ratings/compare.html", selectors.rater_pair(assignment=assignment, study=study)
    return "ratings/rate.html", selectors.rater_item(assignment=assignment, study=study)


@never_cache
@require_http_methods(["GET", "POST"])
def floor(request):
    if not _PAGE:
        template, context = _page()
        _PAGE.update({"template": template, "context": context})  # both at once (threads)
    score = request.POST.get("quality", "1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int", [int(score) if score.isdigit() else 1])
        cursor.fetchone()
    return render(request, _PAGE["template"], _PAGE["context"])


urlpatterns = [path("bench-floor/", floor), *platform]
