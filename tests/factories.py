"""Studies and runs built through the real services, for tests of several apps: a closed
study rated by simulated raters, a degenerate one, an analysis started with its task
captured, and a run left as a dead worker leaves it."""

from django.utils import timezone

from analysis import services
from analysis.models import AnalysisRun
from ratings.simulation import RaterModel, study_simulate_raters
from studies import services as study_services
from studies.importing import samples_import

TRUTH = RaterModel(group_means={"human": 6.7, "ai": 5.6, "collaboration": 7.0})
GROUPS = [
    {"key": "human", "label": "Human only", "claimed_mean": 6.5},
    {"key": "ai", "label": "AI only", "claimed_mean": 4.5},
    {"key": "collaboration", "label": "Human-AI collaboration", "claimed_mean": 8.5},
]


def closed_study(
    owner,
    *,
    slug="poems",
    groups=GROUPS,
    per_group=6,
    raters=24,
    seed=5,
    model=TRUTH,
    checks=True,
    before_open=None,
    texts=None,
    **settings,
):
    """A study built through the real services, rated by simulated raters, and closed.
    Every rater may rate every sample (the simulation follows the real rule, which never
    gives a sample more than `ratings_per_sample` ratings). `before_open(study)` runs on
    the draft, samples imported. `texts` replaces the generated samples with
    (group, brief, text) rows."""
    settings.setdefault("ratings_per_sample", raters)
    study = study_services.study_create(
        owner=owner,
        slug=slug,
        title=slug.capitalize(),
        groups=groups,
        claims=[
            {"kind": "difference", "group": "collaboration", "other_group": "human", "value": 2}
        ]
        if {"collaboration", "human"} <= {g["key"] for g in groups}
        else [],
        **settings,
    )
    lines = ["group,text,brief,attention,expected"]
    for group in groups:
        for index in range(per_group if texts is None else 0):
            lines.append(f"{group['key']},Piece {index} of {group['key']}.,b{index},,")
    for group, brief, text in texts or []:
        lines.append(f'{group},"{text}",{brief},,')
    if checks:
        first = groups[0]["key"]
        lines.append(f"{first},Please give this text the lowest score.,b0,true,1-2")
        lines.append(f"{first},Attention: score this one 1 or 2.,b1,true,1-2")
    samples_import(study=study, file_name="s.csv", data="\n".join(lines).encode())
    if before_open is not None:
        before_open(study)
    study = study_services.study_open(study=study)
    study_simulate_raters(study=study, raters=raters, seed=seed, model=model)
    return study_services.study_close(study=study)


def flat_study(researcher):
    """A degenerate closed study: one group, four raters, every score 7."""
    flat = RaterModel(
        group_means={"human": 7.0},
        leniency_sd=0,
        quality_sd=0,
        noise_sd=0,
        careless_share=0,
        speeder_share=0,
    )
    return closed_study(
        researcher,
        slug="flat",
        groups=[GROUPS[0]],
        per_group=3,
        raters=4,
        model=flat,
        checks=False,
        samples_per_rater=3,
    )


def start(study, django_capture_on_commit_callbacks, **params) -> AnalysisRun:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.analysis_start(study=study, **params)
    assert len(callbacks) == 1, "the task is enqueued once, after commit"
    return run


def stall(run: AnalysisRun, *, attempts: int, seconds_ago: float) -> None:
    """Leave the run as a worker that died mid-run leaves it: running, with an old heartbeat.
    (A real SIGKILL is in test_worker_analysis.py; here only the state matters.)"""
    then = timezone.now() - timezone.timedelta(seconds=seconds_ago)
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=AnalysisRun.Status.RUNNING,
        started_at=then,
        heartbeat_at=then,
        attempts=attempts,
        stage="model",
        percent=50,
    )
