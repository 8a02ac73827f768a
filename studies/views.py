"""Researcher-only views outside the admin's own pages."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from studies.models import Sample
from studies.selectors import study_list_visible


@require_GET
@staff_member_required
def sample_media(request, token: str):
    """A sample's media for its study's researcher (raters get media another way)."""
    sample = get_object_or_404(
        Sample.objects.filter(study__in=study_list_visible(user=request.user)), token=token
    )
    if not sample.media:
        raise Http404("This sample has no media.")
    response = FileResponse(sample.media.open("rb"), content_type=sample.media_type)
    response["Cache-Control"] = "private, no-store"
    return response
