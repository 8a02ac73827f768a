"""Reads of the API: the studies a user sees, with what their representation needs in a
fixed number of queries."""

from django.db.models import Count, Prefetch, QuerySet

from studies.models import Claim, Group, Study
from studies.selectors import study_list_visible


def api_study_list(*, user) -> QuerySet[Study]:
    """The visible studies with owner, sample count, groups with their claimed means, and
    claims: five queries for a page of any size."""
    return (
        study_list_visible(user=user)
        .select_related("owner")
        .annotate(samples_count=Count("samples", distinct=True))
        .prefetch_related(
            Prefetch(
                "groups",
                queryset=Group.objects.order_by("id").prefetch_related(
                    Prefetch("claims", queryset=Claim.objects.filter(kind=Claim.Kind.MEAN))
                ),
            ),
            Prefetch(
                "claims",
                queryset=Claim.objects.select_related("group", "other_group").order_by("id"),
            ),
        )
        .order_by("-created_at", "-id")
    )
