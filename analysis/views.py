"""The results pages of a study's analyses, for its researcher only.

Everyone else gets 404, as if the study did not exist: a researcher's analyses are private
to them (and to superusers), like their studies.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from analysis import presentation, selectors, services
from analysis.models import AnalysisRun
from studies import design
from studies.selectors import study_list_visible
from studies.services import StudyConflict

LOGIN_URL = reverse_lazy("admin:login")


class PlanForm(forms.Form):
    """The admin's Plan section: what to assume; the rest is the study's design."""

    participant = forms.FloatField(required=False, min_value=0, max_value=1e6)
    sample = forms.FloatField(required=False, min_value=0, max_value=1e6)
    residual = forms.FloatField(required=False, min_value=1e-9, max_value=1e6)
    pilot = forms.SlugField(required=False, max_length=80)
    samples_per_group = forms.IntegerField(required=False, min_value=2, max_value=100_000)
    ratings_per_sample = forms.IntegerField(required=False, min_value=1, max_value=10_000)
    method = forms.ChoiceField(
        choices=[("analytic", "analytic"), ("simulation", "simulation")], required=False
    )
    simulations = forms.IntegerField(required=False, min_value=1, max_value=10_000)


REFRESH_SECONDS = 3


def _study(request, slug: str):
    return get_object_or_404(study_list_visible(user=request.user), slug=slug)


def _run(request, run_id: int) -> AnalysisRun:
    runs = selectors.analysis_run_list_visible(user=request.user).select_related("study")
    return get_object_or_404(runs, pk=run_id)


@require_GET
@login_required(login_url=LOGIN_URL)
def study_results(request, slug: str, run_id: int | None = None):
    """The latest run of a study (or the one asked for), and the list of its runs."""
    study = _study(request, slug)
    runs = list(study.analysis_runs.select_related("requested_by").order_by("-created_at", "-id"))
    if run_id is None:
        run = runs[0] if runs else None
    else:
        run = next((r for r in runs if r.pk == run_id), None)
        if run is None:
            raise Http404("No such analysis of this study.")
    labels = selectors.analysis_group_labels(study=study)
    decimals = presentation.decimals_for(study.scale_min, study.scale_max)
    document = run.results if run is not None and run.results else None
    margin = design.equivalence_margin(study)
    if document:
        margin = (document.get("parameters") or {}).get("equivalence_margin") or margin
    # The plan frozen with the design (or, before opening, the draft's latest).
    plan = (study.frozen_design or {}).get("plan") or study.plan
    context = {
        **admin.site.each_context(request),
        "title": f"Analysis of {study.slug}",
        "study": study,
        "runs": runs,
        "run": run,
        "document": document,
        "refresh": REFRESH_SECONDS if run is not None and not run.is_finished else None,
        "legend": presentation.verdict_legend(margin, decimals),
        "default_parameters": services.analysis_parameters(study=study),
        "duration": _seconds(run),
    }
    if document and document.get("pairwise_preference"):
        context.update(
            pairwise=presentation.pairwise_view(document, labels), extras=_extras(document)
        )
    elif document:
        context.update(
            claims=presentation.claim_rows(document, labels, decimals=decimals),
            groups=presentation.group_rows(document, labels, decimals=decimals),
            variance=presentation.variance_rows(document, decimals=decimals + 1),
            excluded_claims=presentation.claim_rows(
                {**(document.get("with_exclusions") or {}), "parameters": document["parameters"]},
                labels,
                decimals=decimals,
            ),
            plan=plan,
            planned=presentation.planned_rows(plan, document, labels, decimals=decimals)
            if plan
            else [],
            planned_design=presentation.planned_design(plan, document) if plan else [],
            zscores=[
                {"label": labels.get(key, key), **(entry or {})}
                for key, entry in ((document.get("zscores") or {}).get("groups") or {}).items()
            ],
            flags=((document.get("rater_quality") or {}).get("flags") or [])[:FLAGS_SHOWN],
            extras=_extras(document),
            model_method=presentation.model_method((document.get("model") or {}).get("method")),
        )
        if document.get("diversity"):
            alpha = (document.get("parameters") or {}).get("alpha") or 0.05
            context.update(
                diversity_sentence=presentation.diversity_sentence(
                    document["diversity"], labels, alpha=alpha
                ),
                diversity=presentation.diversity_rows(
                    document["diversity"],
                    labels,
                    (document.get("parameters") or {}).get("group_order") or list(labels),
                ),
                diversity_plot=next((p for p in run.plots if p["key"] == "diversity"), None),
            )
        if document.get("detection"):
            found = document["detection"]
            context.update(
                detection_sentence=presentation.detection_sentence(found),
                detection_majority=presentation.detection_majority_sentence(found),
                detection_groups=presentation.detection_group_rows(found, labels),
                detection_sdt=presentation.signal_detection_sentence(found),
                detection_plot=next((p for p in run.plots if p["key"] == "detection"), None),
            )
    return render(request, "analysis/results.html", context)


def _seconds(run: AnalysisRun | None) -> float | None:
    if run is None or not (run.started_at and run.finished_at):
        return None
    return (run.finished_at - run.started_at).total_seconds()


KNOWN_KEYS = {
    "n_ratings",
    "n_participants",
    "n_samples",
    "n_attention_check_ratings",
    "parameters",
    "groups",
    "claims",
    "omnibus",
    "pairwise",
    "model",
    "reliability",
    "input",
    "rater_quality",
    "with_exclusions",
    "zscores",
    "detection",
    "diversity",
    "notes",
    "protocol",
    "n_comparisons",
    "pairwise_preference",
    "reasons",
}
FLAGS_SHOWN = 50


def _extras(document: dict) -> list[tuple[str, str]]:
    """Sections of the document the page has no table for, shown as formatted JSON."""
    return [
        (key.replace("_", " ").capitalize(), json.dumps(value, indent=2, ensure_ascii=False))
        for key, value in document.items()
        if key not in KNOWN_KEYS
    ]


@require_POST
@login_required(login_url=LOGIN_URL)
def run_start(request, slug: str):
    study = _study(request, slug)
    try:
        run = services.analysis_start(study=study, user=request.user)
    except (ValidationError, services.QueueUnavailable) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
        return HttpResponseRedirect(reverse("analysis:study_results", args=[study.slug]))
    messages.success(request, f"Analysis #{run.pk} queued; this page follows its progress.")
    return HttpResponseRedirect(reverse("analysis:run_results", args=[study.slug, run.pk]))


@require_GET
@login_required(login_url=LOGIN_URL)
def run_results_json(request, run_id: int):
    run = _run(request, run_id)
    if run.results is None:
        raise Http404("This analysis has no results (yet).")
    body = json.dumps(run.results, indent=2, sort_keys=True, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{run.study.slug}-analysis-{run.pk}.json"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required(login_url=LOGIN_URL)
def run_plot(request, run_id: int, key: str):
    """A plot as an image (inline), or as a download with `?download=1`."""
    return plot_response(_run(request, run_id), key, download=request.GET.get("download") == "1")


def plot_response(run: AnalysisRun, key: str, *, download: bool = False) -> FileResponse:
    """A run's plot `key` as PNG (the results page's and the API's), or 404."""
    plot = next((p for p in run.plots if p["key"] == key), None)
    if plot is None or not default_storage.exists(plot["file"]):
        raise Http404("No such plot.")
    response = FileResponse(
        default_storage.open(plot["file"], "rb"),
        content_type="image/png",
        as_attachment=download,
        filename=f"{run.study.slug}-analysis-{run.pk}-{key}.png",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required(login_url=LOGIN_URL)
def study_plan(request, slug: str):
    """Plan a draft from the admin's Plan section, keep the plan, and go back there."""
    study = _study(request, slug)
    back = HttpResponseRedirect(reverse("admin:studies_study_change", args=[study.pk]))
    form = PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Plan not computed: {_form_errors(form)}")
        return back
    from analysis.plan_services import analysis_plan_request
    from analysis.planning import Variance

    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    parts = [data.pop(k, None) for k in ("participant", "sample", "residual")]
    if any(part is not None for part in parts):
        if any(part is None for part in parts):
            messages.error(request, "Plan not computed: give all three variances, or none.")
            return back
        data["variance"] = Variance(*parts)
    try:
        answer = analysis_plan_request(study=study, user=request.user, **data)
    except (ValueError, StudyConflict, services.QueueUnavailable) as error:
        messages.error(request, f"Plan not computed: {error}")
        return back
    if isinstance(answer, dict):
        messages.success(request, f"Plan computed: {answer['recommendation']['sentence']}")
        return back
    job_url = reverse("admin:analysis_planjob_change", args=[answer.pk])
    messages.info(
        request,
        format_html(
            'This simulation is too long to run here: it went to a worker as <a href="{}">{}'
            "</a>. This page shows its plan once it has succeeded.",
            job_url,
            answer,
        ),
    )
    return back


def _form_errors(form) -> str:
    return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())


@require_GET
@login_required(login_url=LOGIN_URL)
def study_plan_plot(request, slug: str):
    """The plot of the study's plan (draft or frozen) as a PNG."""
    study = _study(request, slug)
    if not study.plan:
        raise Http404("This study has no plan yet.")
    from analysis.plots import plan_png

    response = HttpResponse(plan_png(study.plan), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response
