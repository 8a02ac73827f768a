"""Analyses and plan jobs in the admin: read-only rows, each researcher seeing only their
studies' jobs.

Runs are started from the results page (or `manage.py analyze`), plan jobs from a draft's
Plan section or the API; neither is written here."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from analysis.models import AnalysisRun, PlanJob
from analysis.selectors import analysis_plan_job_list_visible, analysis_run_list_visible
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


@admin.register(PlanJob)
class PlanJobAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Monte Carlo plans too long for a request, computed by a worker (started from the
    study's Plan section or the API): their progress and, once done, the recommendation;
    the plan itself is shown in the study's Plan section."""

    list_display = [
        "__str__",
        "study",
        "status",
        "stage",
        "percent",
        "created_at",
        "finished_at",
        "recommendation",
    ]
    list_filter = ["status", ("study", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["study"]
    fields = [
        "study",
        "status",
        "stage",
        "percent",
        "recommendation",
        "verdicts",
        "error",
        "parameters",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return analysis_plan_job_list_visible(user=request.user).select_related("study")

    @admin.display(description="recommendation")
    def recommendation(self, obj: PlanJob) -> str:
        return ((obj.plan or {}).get("recommendation") or {}).get("sentence", "")

    @admin.display(description="chance of each verdict")
    def verdicts(self, obj: PlanJob) -> str:
        return "; ".join(
            f"{' - '.join(c['groups'])} = {c['claimed']:g}: supported {c['p_supported']:.0%}, "
            f"contradicted {c['p_contradicted']:.0%}, inconclusive {c['p_inconclusive']:.0%}"
            for c in (obj.plan or {}).get("claims", [])
        )
