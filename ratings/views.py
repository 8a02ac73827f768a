"""The rater's pages. Nothing here may differ by a sample's group (DESIGN §3, Blinding)."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from studies.models import Study


@require_GET
def welcome(request, slug: str):
    """A study's first page: instructions and consent while it is open; a clear word if not."""
    study = get_object_or_404(Study, slug=slug)
    status = 200 if study.status == Study.Status.OPEN else 403
    return render(request, "ratings/welcome.html", {"study": study}, status=status)
