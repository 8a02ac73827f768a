"""Read-only views of participants for the study's researcher (pay, approve, follow up).

Ratings are never edited, so nothing here writes."""

from django.contrib import admin
from django.db.models import Count, Q
from django.template.loader import render_to_string

from config.readonly import ReadOnlyAdmin
from ratings.models import Participant
from ratings.selectors import study_progress
from studies.admin_sections import study_page_section
from studies.selectors import study_list_visible

# The cookie key would let whoever reads it act as the rater; the seed (and the order drawn
# from it) would let them predict what the rater is served. Neither is shown.
SECRET_FIELDS = {"session_key", "seed", "group_order"}
SHOWN_FIELDS = [f.name for f in Participant._meta.fields if f.name not in SECRET_FIELDS]


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "pseudonym",
        "study",
        "status",
        "external_id",
        "consented_at",
        "finished_at",
        "items_rated",
    ]
    list_filter = [("study", admin.RelatedOnlyFieldListFilter), "status"]
    search_fields = ["pseudonym", "external_id", "external_session_id"]
    list_select_related = ["study"]
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(study__in=study_list_visible(user=request.user))
            .annotate(rated=Count("assignments", filter=Q(assignments__submitted_at__isnull=False)))
        )

    @admin.display(description="items rated", ordering="rated")
    def items_rated(self, obj) -> int:
        return obj.rated


@study_page_section
def study_progress_section(request, study):
    """The study's progress on its admin page: participants, ratings per group, samples short."""
    context = {"progress": study_progress(study=study)}
    return render_to_string("admin/ratings/study_progress.html", context, request=request)
