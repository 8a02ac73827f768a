"""Reads of the ratings side: what a rater may see of an item (the blinded projection), and
how far a study has come (for its researcher).

Only the projection's fields reach the rater's page. The sample's group, its researcher id,
its metadata, its token and its media's name never leave the server."""

import json

from django.db.models import Count, F, Q
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from ratings.models import Assignment, Participant
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
    choices = {
        "criteria": criteria,
        "anchors": [(value, anchor) for value, anchor in points if anchor],
        "guess_choices": guess_choices,
        "guess_error": errors.get("guess", ""),
    }
    return {
        **_item_context(assignment, study, errors),
        **_shown(sample, study, assignment.token),
        "choices_html": choices_html(choices),
        "digit_keys": study.scale_min == 1 and study.scale_max == 10 and study.scale_step == 1,
    }


def _item_context(assignment: Assignment, study: Study, errors: dict) -> dict:
    """What every item's page shows around its sample(s): the brief and the progress (and
    in its title, whether the answer was refused). A pair's samples answer one brief; an
    attention pair's broken sample may have none, so the brief is whichever sample has
    one, on either side."""
    sample = assignment.sample
    if sample.brief_id is None and assignment.sample_b_id:
        sample = assignment.sample_b
    brief = sample.brief if sample.brief_id and sample.brief.show_to_raters else None
    total = items_for(study)
    return {
        "study": study,
        "item": assignment.token,
        "brief_title": brief.title if brief else "",
        "brief_html": render_markdown(brief.text) if brief else "",
        "position": min(assignment.position, total),
        "total": total,
        "invalid": bool(errors),
    }


def _shown(sample: Sample, study: Study, token: str, side: str = "") -> dict:
    """One sample as the page shows it: its text, or the URL of its media (by the item's
    token and side, never by anything of the sample's own)."""
    media_url = ""
    if sample.kind != Sample.Kind.TEXT:
        args = [study.slug, token, side] if side else [study.slug, token]
        media_url = reverse("ratings:item_media", args=args)
    return {
        "kind": sample.kind,
        "text_html": render_markdown(sample.text) if sample.kind == Sample.Kind.TEXT else "",
        "media_url": media_url,
    }


STRENGTHS = [
    ("slightly", gettext_lazy("Slightly better")),
    ("clearly", gettext_lazy("Clearly better")),
    ("much", gettext_lazy("Much better")),
]


def rater_pair(
    *, assignment: Assignment, study: Study, errors: dict | None = None, values=None
) -> dict:
    """The context of a pairwise item's page: the two samples, labelled only A and B, and
    the choice; `errors` and `values` re-show a refused submission."""
    errors, values = errors or {}, values or {}
    criterion = study.criteria[0]
    return {
        **_item_context(assignment, study, errors),
        "sides": [
            ("a", _shown(assignment.sample, study, assignment.token, "a")),
            ("b", _shown(assignment.sample_b, study, assignment.token, "b")),
        ],
        "criterion": criterion.get("label") or criterion["key"],
        "allow_ties": study.allow_ties,
        "chosen": values.get("choice", ""),
        "choice_error": errors.get("choice", ""),
        "strengths": [
            {"value": value, "label": label, "checked": values.get("strength") == value}
            for value, label in STRENGTHS
        ]
        if study.ask_strength
        else [],
        "strength_error": errors.get("strength", ""),
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


def study_progress(*, study: Study, short_limit: int = 20) -> dict:
    """Participants by status, rated items per group, and samples short of their target."""
    by_status = dict(
        Participant.objects.filter(study=study)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    participants = [(label, by_status.get(value, 0)) for value, label in Participant.Status.choices]
    # A pair's two samples each count a rated item (a pairwise study's slot per sample);
    # attention checks (and the regular sample of an attention pair) hold no slot.
    rated_by_group: dict = {}
    for side in ("sample", "sample_b"):
        rated = (
            Assignment.objects.filter(
                participant__study=study,
                submitted_at__isnull=False,
                holds_slot=True,
                **{f"{side}__isnull": False},
            )
            .values_list(f"{side}__group__key")
            .annotate(n=Count("id"))
            .values_list(f"{side}__group__key", "n")
        )
        for key, count in rated:
            rated_by_group[key] = rated_by_group.get(key, 0) + count
    samples = (
        Sample.objects.filter(study=study, is_attention_check=False)
        .annotate(
            # distinct: the two joins multiply each other's rows
            rated_a=Count(
                "assignments",
                filter=Q(assignments__submitted_at__isnull=False, assignments__holds_slot=True),
                distinct=True,
            ),
            rated_b=Count(
                "assignments_as_b",
                filter=Q(
                    assignments_as_b__submitted_at__isnull=False, assignments_as_b__holds_slot=True
                ),
                distinct=True,
            ),
        )
        .annotate(rated=F("rated_a") + F("rated_b"))
        .select_related("group")
    )
    target = study.ratings_per_sample
    groups = []
    short = []
    per_group: dict[str, dict] = {}
    for group in study.groups.order_by("id"):
        per_group[group.key] = {
            "key": group.key,
            "label": group.label,
            "samples": 0,
            "rated": rated_by_group.get(group.key, 0),
            "target": 0,
            "short": 0,
        }
        groups.append(per_group[group.key])
    for sample in samples.order_by("rated", "id"):
        row = per_group[sample.group.key]
        row["samples"] += 1
        row["target"] += target
        if sample.rated < target:
            row["short"] += 1
            short.append(
                {"sample": sample, "rated": sample.rated, "missing": target - sample.rated}
            )
    total_target = sum(row["target"] for row in groups)
    total_rated = sum(min(row["rated"], row["target"]) for row in groups)
    return {
        "participants": participants,
        "participants_total": sum(by_status.values()),
        "starts_refused": study.starts_refused,
        "speeders": Participant.objects.filter(study=study, flags__speeder=True).count(),
        "groups": groups,
        "short": short[:short_limit],
        "short_total": len(short),
        "target_total": total_target,
        "rated_total": sum(row["rated"] for row in groups),
        "percent": round(100 * total_rated / total_target) if total_target else 0,
    }
