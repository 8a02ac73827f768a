"""Reads with a rule: which studies a user may see."""

from django.db.models import QuerySet

from studies.models import Study


def study_list_visible(*, user) -> QuerySet[Study]:
    """Researchers see the studies they own; superusers see all."""
    studies = Study.objects.all()
    if user.is_superuser:
        return studies
    if not user.is_active or not user.is_staff:
        return studies.none()
    return studies.filter(owner=user)
