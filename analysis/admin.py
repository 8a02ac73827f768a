"""Analyses in the admin: read-only rows, each researcher seeing only their studies' runs.

Runs are started from the results page (or `manage.py analyze`), never written here."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from analysis.models import AnalysisRun
from analysis.selectors import analysis_run_list_visible
from config.readonly import ReadOnlyAdmin


@admin.register(AnalysisRun)
class AnalysisRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "study",
        "status",
        "stage",
        "percent",
        "created_at",
        "finished_at",
        "results_page",
    ]
    list_filter = ["status", ("study", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["study"]
    search_fields = ["study__slug", "task_id", "input_sha256"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return analysis_run_list_visible(user=request.user).select_related("study")

    @admin.display(description="results")
    def results_page(self, obj: AnalysisRun):
        url = reverse("analysis:run_results", args=[obj.study.slug, obj.pk])
        return format_html('<a href="{}">open</a>', url)
