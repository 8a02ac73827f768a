"""What a rater may see of an item: the blinded projection.

Only these fields reach the rater's page. The sample's group, its researcher id, its
metadata, its token and its media's name never leave the server."""

from django.urls import reverse

from ratings.models import Assignment, Participant
from ratings.services import items_for
from studies import design
from studies.models import Sample, Study
from studies.text_render import render_markdown


def studies_for_raters():
    """Studies as the rater's pages need them: without the pre-registration document,
    which is large (a hash per sample) and never shown to raters."""
    return Study.objects.defer("frozen_design")


def _label(value: float) -> str:
    return f"{value:g}"


def rater_item(*, assignment: Assignment, study: Study, participant: Participant) -> dict:
    sample = assignment.sample
    anchors = {float(score): label for score, label in (study.scale_anchors or {}).items()}
    points = [
        {"value": _label(point), "anchor": anchors.get(point, "")}
        for point in design.scale_points(study)
    ]
    brief = sample.brief if sample.brief_id and sample.brief.show_to_raters else None
    total = items_for(study)
    media_url = ""
    if sample.kind != Sample.Kind.TEXT:
        media_url = reverse("ratings:item_media", args=[study.slug, assignment.token])
    return {
        "study": study,
        "item": assignment.token,
        "kind": sample.kind,
        "text_html": render_markdown(sample.text) if sample.kind == Sample.Kind.TEXT else "",
        "media_url": media_url,
        "brief_title": brief.title if brief else "",
        "brief_html": render_markdown(brief.text) if brief else "",
        "criteria": study.criteria,
        "points": points,
        "guess_choices": list((study.guess_labels or {}).items()) if study.ask_source_guess else [],
        "position": min(assignment.position, total),
        "total": total,
        "digit_keys": study.scale_min == 1 and study.scale_max == 10 and study.scale_step == 1,
    }
