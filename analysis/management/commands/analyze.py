import json
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from analysis import selectors, services
from analysis.models import AnalysisRun
from analysis.presentation import decimals_for, summary_lines
from studies.models import Study

NO_WORKER = (
    "no worker started analysis #{run} within {seconds:g} s. Is a Celery worker running on "
    "this broker? `make run` starts one; `manage.py check_worker` tells whether one answers. "
    "The run stays queued and starts when a worker does."
)
POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = (
        "Start an analysis of a study in a worker. With --wait, follow it until it ends and "
        "print a summary (or, with --json, the results document)."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="the study's slug")
        parser.add_argument("--wait", action="store_true", help="wait until the analysis ends")
        parser.add_argument("--json", action="store_true", help="print the results document")
        parser.add_argument("--seed", type=int, help="resampling seed (default 0)")
        parser.add_argument("--alpha", type=float, help="default: the study's plan")
        parser.add_argument("--margin", type=float, help="default: the study's plan")
        parser.add_argument("--criterion", help="default: the study's first")
        parser.add_argument("--model-method", choices=services.MODEL_METHODS)
        parser.add_argument(
            "--worker-timeout",
            type=float,
            default=30.0,
            help="seconds to wait for a worker to pick the run up (30)",
        )

    def handle(self, *args, study: str, wait: bool, **options):
        found = Study.objects.filter(slug=study).first()
        if found is None:
            raise CommandError(f"no study '{study}'")
        params = {
            name: options[name]
            for name in ("seed", "alpha", "margin", "criterion", "model_method")
            if options[name] is not None
        }
        try:
            run = services.analysis_start(study=found, **params)
        except services.QueueUnavailable as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(
                "; ".join(
                    f"--{field.replace('_', '-')}: {' '.join(messages)}"
                    for field, messages in error.message_dict.items()
                )
            ) from error
        if not wait:
            if options["json"]:
                self.stdout.write(json.dumps({"id": run.pk, "status": run.status}))
            else:
                self.stdout.write(f"analysis #{run.pk} of {found.slug} queued")
            return
        run = self._wait(run, options["worker_timeout"])
        if run.status == AnalysisRun.Status.FAILED:
            raise CommandError(f"analysis #{run.pk} failed: {run.error}")
        if options["json"]:
            self.stdout.write(json.dumps(run.results, indent=2, ensure_ascii=False))
            return
        labels = selectors.analysis_group_labels(study=found)
        decimals = decimals_for(found.scale_min, found.scale_max)
        self.stdout.write(f"analysis #{run.pk} of {found.slug}: succeeded")
        for line in summary_lines(run.results, labels, decimals=decimals):
            self.stdout.write(line)

    def _wait(self, run: AnalysisRun, worker_timeout: float) -> AnalysisRun:
        started = time.monotonic()
        said = None
        while True:
            run.refresh_from_db()
            if run.is_finished:
                return run
            never_started = run.status == AnalysisRun.Status.QUEUED and run.attempts == 0
            if never_started and time.monotonic() - started > worker_timeout:
                raise CommandError(NO_WORKER.format(run=run.pk, seconds=worker_timeout))
            progress = f"{run.status}: {run.stage} ({run.percent}%)"
            if progress != said:
                self.stderr.write(progress)
                said = progress
            time.sleep(POLL_SECONDS)
