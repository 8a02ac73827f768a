"""What the ratings say: one requested analysis of a study and what came of it.

An `AnalysisRun` row is the job and its result at once: the Celery task only carries the
run's id, and the worker writes progress, the results document and the plots back here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from studies.models import Study


class JobStatus(models.TextChoices):
    """The life of a worker's job (an analysis run, a plan job)."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


def job_constraints(prefix: str, *, result: str) -> list[models.CheckConstraint]:
    """The checks every job row keeps: a known status, a percent in range, a finish time
    exactly when finished, a `result` when succeeded and an error when failed."""
    return [
        models.CheckConstraint(
            condition=Q(status__in=[s.value for s in JobStatus]), name=f"{prefix}_status_known"
        ),
        models.CheckConstraint(
            condition=Q(percent__gte=0, percent__lte=100), name=f"{prefix}_percent_range"
        ),
        models.CheckConstraint(
            condition=Q(status__in=["succeeded", "failed"], finished_at__isnull=False)
            | Q(status__in=["queued", "running"], finished_at__isnull=True),
            name=f"{prefix}_finished_iff_finished_at",
            violation_error_message="A finished run has its finish time; others have none.",
        ),
        models.CheckConstraint(
            condition=~Q(status="succeeded") | Q(**{f"{result}__isnull": False}),
            name=f"{prefix}_succeeded_has_{result}",
        ),
        models.CheckConstraint(
            condition=~Q(status="failed") | ~Q(error=""), name=f"{prefix}_failed_has_error"
        ),
    ]


class AnalysisRun(models.Model):
    Status = JobStatus
    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="analysis_runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="analysis_runs",
        help_text="Empty when started from the command line or the demo.",
    )
    parameters = models.JSONField(
        default=dict, help_text="alpha, margin, seed, criterion and model_method as used."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=120, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    results = models.JSONField(null=True, blank=True, help_text="The results document.")
    error = models.TextField(blank=True)
    # What the analysis read: counts, and the SHA-256 of the ratings in a canonical form,
    # so two runs on the same data can be told apart from runs on grown data.
    input_counts = models.JSONField(default=dict, blank=True)
    input_sha256 = models.CharField(max_length=64, blank=True)
    engine_version = models.CharField(max_length=40, blank=True)
    # Storage names under MEDIA_ROOT/analysis/<run id>/: [{"key", "title", "file"}].
    plots = models.JSONField(default=list, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(
        default=timezone.now, help_text="When its task was last sent to the workers."
    )
    sends = models.PositiveSmallIntegerField(
        default=1, help_text="How many times its task was sent while it waited for a worker."
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker started this run."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["study", "-created_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]
        constraints = [
            *job_constraints("analysisrun", result="results"),
            models.CheckConstraint(
                condition=~Q(status="running") | Q(started_at__isnull=False),
                name="analysisrun_running_has_started_at",
            ),
        ]

    def __str__(self) -> str:
        return f"analysis #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class PlanJob(models.Model):
    """A power plan too long for a request (a Monte Carlo plan of many simulated studies,
    `analysis.plan_services.SIMULATION_BUDGET`), computed by a worker. The row is the job
    and its result at once, as `AnalysisRun` is: the task carries the job's id, the worker
    writes progress and the plan document back here, and keeps the plan on the draft
    study as a plan computed in the request is."""

    Status = JobStatus
    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="plan_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_jobs",
    )
    parameters = models.JSONField(
        default=dict,
        help_text="The planner's inputs as resolved when it was requested (variance and "
        "its source, truth, design size, method, simulations, seed, integer, target).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=120, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    plan = models.JSONField(null=True, blank=True, help_text="The plan document.")
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["study", "-created_at"])]
        constraints = job_constraints("planjob", result="plan")

    def __str__(self) -> str:
        return f"plan #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class TextEmbedding(models.Model):
    """A text's sentence embedding, kept by the SHA-256 of the text and the model that made
    it, so that a second analysis of the same samples (of any study) embeds nothing."""

    model = models.CharField(max_length=120, help_text="Model and package version.")
    content_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the text.")
    vector = models.BinaryField(help_text="float32, little-endian, unit length.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model", "content_sha256"], name="textembedding_unique_per_model"
            ),
        ]

    def __str__(self) -> str:
        return f"embedding {self.content_sha256[:12]} ({self.model})"
