"""Reads with a rule: which studies a user may see, and how far a study has come."""

from django.db.models import Count, Q, QuerySet

from ratings.models import Assignment, Participant
from studies.models import Sample, Study


def study_list_visible(*, user) -> QuerySet[Study]:
    """Researchers see the studies they own; superusers see all."""
    studies = Study.objects.all()
    if user.is_superuser:
        return studies
    if not user.is_active or not user.is_staff:
        return studies.none()
    return studies.filter(owner=user)


def study_progress(*, study: Study, short_limit: int = 20) -> dict:
    """Participants by status, rated items per group, and samples short of their target."""
    by_status = dict(
        Participant.objects.filter(study=study)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    participants = [(label, by_status.get(value, 0)) for value, label in Participant.Status.choices]
    rated = (
        Assignment.objects.filter(
            participant__study=study, submitted_at__isnull=False, sample__is_attention_check=False
        )
        .values_list("sample__group__key")
        .annotate(n=Count("id"))
        .values_list("sample__group__key", "n")
    )
    rated_by_group = dict(rated)
    samples = (
        Sample.objects.filter(study=study, is_attention_check=False)
        .annotate(rated=Count("assignments", filter=Q(assignments__submitted_at__isnull=False)))
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
