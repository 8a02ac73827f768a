"""What a rater may see of an item: the blinded projection.

Only these fields reach the rater's page. The sample's group, its researcher id, its
metadata, its token and its media's name never leave the server."""

import json

from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from ratings.models import Assignment
from ratings.services import items_for
from studies import design
from studies.models import Sample, Study
from studies.text_render import render_markdown


def study_for_raters(slug: str) -> Study:
    """The study of a rater page, or 404; without the pre-registration document, which is
    large (a hash per sample) and never shown to raters. A draft is a 404 like a slug that
    does not exist: its title, even its existence, is not for raters yet."""
    studies = Study.objects.defer("frozen_design").exclude(status=Study.Status.DRAFT)
    study = studies.filter(slug=slug).first()
    if study is None:
        raise Http404("No such study.")
    return study


def _label(value: float) -> str:
    return f"{value:g}"


def rater_item(
    *,
    assignment: Assignment,
    study: Study,
    errors: dict | None = None,
    values=None,
) -> dict:
    """The page's context; `errors` and `values` re-show a refused submission. Each
    criterion carries its own points (checked or not) and error, so the template has no
    loops inside loops."""
    errors, values = errors or {}, values or {}
    sample = assignment.sample
    anchors = {float(score): label for score, label in (study.scale_anchors or {}).items()}
    points = [(_label(point), anchors.get(point, "")) for point in design.scale_points(study)]
    criteria = [
        {
            "key": criterion["key"],
            "label": criterion.get("label") or criterion["key"],
            "error": errors.get(criterion["key"], ""),
            "points": [
                {"value": value, "anchor": anchor, "checked": values.get(criterion["key"]) == value}
                for value, anchor in points
            ],
        }
        for criterion in study.criteria
    ]
    guess_choices = []
    if study.ask_source_guess:
        guess_choices = [
            {"value": value, "label": label, "checked": values.get("guess") == value}
            for value, label in (study.guess_labels or {}).items()
        ]
    brief = sample.brief if sample.brief_id and sample.brief.show_to_raters else None
    total = items_for(study)
    media_url = ""
    if sample.kind != Sample.Kind.TEXT:
        media_url = reverse("ratings:item_media", args=[study.slug, assignment.token])
    choices = {
        "criteria": criteria,
        "anchors": [(value, anchor) for value, anchor in points if anchor],
        "guess_choices": guess_choices,
        "guess_error": errors.get("guess", ""),
    }
    return {
        "study": study,
        "item": assignment.token,
        "kind": sample.kind,
        "text_html": render_markdown(sample.text) if sample.kind == Sample.Kind.TEXT else "",
        "media_url": media_url,
        "brief_title": brief.title if brief else "",
        "brief_html": render_markdown(brief.text) if brief else "",
        "choices_html": choices_html(choices),
        "position": min(assignment.position, total),
        "total": total,
        "digit_keys": study.scale_min == 1 and study.scale_max == 10 and study.scale_step == 1,
    }


_CHOICES: dict[str, str] = {}


def choices_html(choices: dict) -> SafeString:
    """The form's scales and guess, rendered once per distinct content and reused: they
    are the same on every item of a study (the slowest part of the page to render, and
    the same for every group, as blinding requires), in the language of the page."""
    key = json.dumps([translation.get_language(), choices], sort_keys=True, default=str)
    html = _CHOICES.get(key)
    if html is None:
        html = render_to_string("ratings/_choices.html", choices)
        if len(_CHOICES) >= 512:  # re-shown forms with errors are rare, but unbounded
            _CHOICES.clear()
        _CHOICES[key] = html
    return mark_safe(html)  # rendered by the template engine, which escapes
