"""An analysis run through the real services: start, task, claim, failure, reaping, and
reproducibility. Tasks are called as functions; on-commit callbacks are captured, never
sent to a broker (tests/analysis/test_worker_analysis.py runs a real worker)."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from analysis import services
from analysis.models import AnalysisRun
from analysis.tasks import analysis_reap_task, analysis_run_task
from ratings.models import Rating
from tests.factories import closed_study, flat_study, stall, start


@pytest.fixture
def study(researcher):
    return closed_study(researcher)


@pytest.mark.django_db
def test_an_analysis_started_through_the_service_succeeds_when_its_task_runs(
    study, researcher, django_capture_on_commit_callbacks
):
    run = start(study, django_capture_on_commit_callbacks, user=researcher)
    assert run.status == AnalysisRun.Status.QUEUED
    assert run.task_id and run.requested_by == researcher
    assert run.parameters == {
        "alpha": 0.05,
        "margin": 0.5,
        "seed": 0,
        "criterion": "quality",
        "model_method": "auto",
    }

    analysis_run_task(run.pk)

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    assert (run.percent, run.stage, run.attempts) == (100, "done", 1)
    assert run.started_at <= run.heartbeat_at <= run.finished_at
    document = run.results
    assert document["n_participants"] == 24
    assert set(document["groups"]) == {"human", "ai", "collaboration"}
    claims = {(c["kind"], tuple(c["groups"])): c for c in document["claims"]}
    assert set(claims) == {
        ("mean", ("human",)),
        ("mean", ("ai",)),
        ("mean", ("collaboration",)),
        ("difference", ("collaboration", "human")),
    }
    assert all(
        c["verdict"] in {"supported", "contradicted", "inconclusive"} for c in claims.values()
    )
    assert document["input"]["criterion"] == "quality"
    assert run.input_counts["ratings"] == document["n_ratings"]
    assert run.input_counts["attention_check_ratings"] == document["n_attention_check_ratings"] > 0
    assert len(run.input_sha256) == 64
    assert run.engine_version == document["parameters"]["engine_version"]
    assert [plot["key"] for plot in run.plots] == [
        "distributions",
        "means",
        "leniency",
        "diversity",
    ]
    for plot in run.plots:
        assert plot["file"] == f"analysis/{run.pk}/{plot['key']}.png"
        with default_storage.open(plot["file"], "rb") as png:
            assert png.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.django_db
def test_source_guesses_reach_the_analysis_with_their_ratings(
    study, django_capture_on_commit_callbacks
):
    ratings = Rating.objects.filter(
        assignment__participant__study=study, assignment__sample__is_attention_check=False
    ).order_by("id")
    guessed = list(ratings.values_list("id", "assignment__sample__group__key")[::3])
    for pk, key in guessed:
        # What the rater pages store when the study asks for guesses: every third is right.
        Rating.objects.filter(pk=pk).update(guess=key if pk % 3 == 0 else "ai")
    run = start(study, django_capture_on_commit_callbacks)

    analysis_run_task(run.pk)

    run.refresh_from_db()
    detection = run.results["detection"]
    assert detection["n"] == len(guessed)
    right = sum(1 for pk, key in guessed if pk % 3 == 0 or key == "ai")
    assert detection["correct"] == right
    assert detection["n_participants"] == 24
    # The verdict keys hold the test that respects raters and samples; the binomial test,
    # which treats guesses as independent, sits beside it, labelled naive.
    for chance in (detection["chance_uniform"], detection["chance_majority"]):
        assert {"p0", "p", "ci95", "p_binomial_naive", "ci95_binomial_naive"} <= set(chance)
        assert chance["p"] != chance["p_binomial_naive"]
    assert "naive" in detection["test"]
    assert len(detection["per_participant"]) == 24
    assert set(detection["per_group"]) == {"human", "ai", "collaboration"}
    assert detection["signal_detection"]["d_prime"]["ci95"][0] is not None
    assert [plot["key"] for plot in run.plots][-1] == "detection"


@pytest.mark.django_db
def test_a_redelivered_task_changes_nothing(study, django_capture_on_commit_callbacks):
    run = start(study, django_capture_on_commit_callbacks)
    analysis_run_task(run.pk)
    run.refresh_from_db()
    before = (run.status, run.attempts, run.finished_at, run.input_sha256)

    assert services.analysis_execute(run_id=run.pk) is None
    analysis_run_task(run.pk)

    run.refresh_from_db()
    assert (run.status, run.attempts, run.finished_at, run.input_sha256) == before


@pytest.mark.django_db
def test_a_task_for_a_run_that_no_longer_exists_does_nothing():
    assert services.analysis_execute(run_id=987654) is None


@pytest.mark.django_db
def test_a_run_that_fails_is_stored_as_failed_with_its_error(
    study, settings, tmp_path, django_capture_on_commit_callbacks
):
    blocker = tmp_path / "media-is-a-file"
    blocker.write_text("the plots cannot be stored under a file")
    settings.MEDIA_ROOT = blocker
    run = start(study, django_capture_on_commit_callbacks)

    analysis_run_task(run.pk)

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED
    assert "Error" in run.error and str(blocker.name) in run.error
    assert run.finished_at is not None and run.results is None and run.plots == []


@pytest.mark.django_db
def test_a_run_past_its_soft_time_limit_fails_saying_so_instead_of_storing_a_partial_result(
    study, settings, django_capture_on_commit_callbacks
):
    settings.BLINDRATE_ANALYSIS_SOFT_TIME_LIMIT = 0
    run = start(study, django_capture_on_commit_callbacks)

    analysis_run_task(run.pk)

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED
    assert run.error == services.TIME_LIMIT.format(seconds=0)
    assert run.results is None


@pytest.mark.django_db
def test_parameters_outside_the_plan_are_refused_before_anything_is_stored(study):
    with pytest.raises(ValidationError) as error:
        services.analysis_start(study=study, criterion="beauty", alpha=0.7, seed=-1)
    assert set(error.value.message_dict) == {"criterion", "alpha", "seed"}
    assert not AnalysisRun.objects.exists()


@pytest.mark.django_db
def test_a_run_whose_worker_stopped_is_queued_again_once_and_then_succeeds(
    study, settings, django_capture_on_commit_callbacks
):
    settings.BLINDRATE_ANALYSIS_STALE_SECONDS = 60
    run = start(study, django_capture_on_commit_callbacks)
    stall(run, attempts=1, seconds_ago=61)
    old_task = run.task_id

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.analysis_reap_stale() == [run.pk]
    assert len(callbacks) == 1

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.QUEUED
    assert run.task_id != old_task
    assert "worker stopped" in run.stage
    analysis_run_task(run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts) == (AnalysisRun.Status.SUCCEEDED, 2)


@pytest.mark.django_db
def test_a_run_whose_worker_stopped_on_its_last_attempt_fails_saying_so(
    study, settings, django_capture_on_commit_callbacks
):
    settings.BLINDRATE_ANALYSIS_STALE_SECONDS = 60
    settings.BLINDRATE_ANALYSIS_MAX_ATTEMPTS = 2
    run = start(study, django_capture_on_commit_callbacks)
    stall(run, attempts=2, seconds_ago=600)

    assert analysis_reap_task() == [run.pk]  # what Celery beat runs on its schedule

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED
    assert run.error == services.WORKER_STOPPED.format(seconds=60, attempts=2)
    assert run.finished_at is not None


@pytest.mark.django_db
def test_a_running_run_with_a_recent_heartbeat_is_left_alone(
    study, settings, django_capture_on_commit_callbacks
):
    settings.BLINDRATE_ANALYSIS_STALE_SECONDS = 60
    run = start(study, django_capture_on_commit_callbacks)
    stall(run, attempts=1, seconds_ago=30)

    assert services.analysis_reap_stale() == []
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.RUNNING


@pytest.mark.django_db
def test_the_same_data_and_seed_give_the_identical_document(
    study, django_capture_on_commit_callbacks
):
    runs = [start(study, django_capture_on_commit_callbacks, seed=seed) for seed in (7, 7, 8)]
    for run in runs:
        analysis_run_task(run.pk)
        run.refresh_from_db()
        assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    same, again, other = (json.dumps(run.results, sort_keys=True) for run in runs)
    assert same == again
    assert runs[0].input_sha256 == runs[1].input_sha256 == runs[2].input_sha256
    # Only the seeded resampling (bootstrap intervals) may move with the seed.
    assert same != other
    assert runs[0].results["claims"] == runs[2].results["claims"]
    for run in runs[:2]:
        with default_storage.open(run.plots[1]["file"], "rb") as png:
            run.png = png.read()
    assert runs[0].png == runs[1].png


@pytest.mark.django_db
def test_a_study_with_one_group_and_identical_scores_succeeds_with_nulls_and_reasons(
    researcher, django_capture_on_commit_callbacks
):
    study = flat_study(researcher)
    run = start(study, django_capture_on_commit_callbacks)

    analysis_run_task(run.pk)

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    document = run.results
    assert document["groups"]["human"]["mean"] == 7.0
    assert document["groups"]["human"]["sd"] == 0.0
    assert document["omnibus"]["anova"]["F"] is None
    assert document["omnibus"]["anova"]["reasons"]["F"]
    assert document["pairwise"] == []
    (claim,) = document["claims"]
    assert claim["verdict"] is None and claim["reasons"]
    # Three samples, each for its own brief: no pair to compare, said with the reason.
    similarity = document["diversity"]["groups"]["human"]["semantic_similarity"]
    assert (
        similarity["mean"] is None and "no brief has two samples" in similarity["reasons"]["mean"]
    )
    assert document["diversity"]["differences"] == []
    assert len(run.plots) == 4


def lose_message(run: AnalysisRun, *, seconds_ago: float, sends: int = 1) -> None:
    """The state a run is left in when the broker lost its task: still queued, sent long ago.
    (A real lost message is in test_worker_analysis.py; here only the state matters.)"""
    AnalysisRun.objects.filter(pk=run.pk).update(
        sent_at=timezone.now() - timezone.timedelta(seconds=seconds_ago), sends=sends
    )


@pytest.mark.django_db
def test_a_queued_run_that_no_worker_took_is_sent_again_and_then_succeeds(
    study, settings, django_capture_on_commit_callbacks
):
    settings.BLINDRATE_ANALYSIS_QUEUED_SECONDS = 300
    run = start(study, django_capture_on_commit_callbacks)
    lose_message(run, seconds_ago=301)
    old_task = run.task_id

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.analysis_reap_stale() == [run.pk]
    assert len(callbacks) == 1, "its task is sent once more"

    run.refresh_from_db()
    assert (run.status, run.sends) == (AnalysisRun.Status.QUEUED, 2)
    assert run.task_id != old_task
    assert "sent again" in run.stage
    assert timezone.now() - run.sent_at < timezone.timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.analysis_reap_stale() == [], "not again before another full wait"
    assert not callbacks

    analysis_run_task(run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts) == (AnalysisRun.Status.SUCCEEDED, 1)


@pytest.mark.django_db
def test_a_queued_run_lost_twice_fails_saying_why(
    study, settings, django_capture_on_commit_callbacks
):
    settings.BLINDRATE_ANALYSIS_QUEUED_SECONDS = 300
    run = start(study, django_capture_on_commit_callbacks)
    lose_message(run, seconds_ago=301, sends=2)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.analysis_reap_stale() == [run.pk]
    assert not callbacks, "nothing is sent for a failed run"

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED
    assert run.error == services.QUEUE_LOST.format(seconds=300, sends=2)
    assert "message was probably lost" in run.error and "check_worker" in run.error
    assert run.finished_at is not None
    # A late message of the failed run finds nothing to claim.
    analysis_run_task(run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts) == (AnalysisRun.Status.FAILED, 0)


@pytest.mark.django_db
def test_a_queued_run_within_its_wait_is_left_alone(
    study, settings, django_capture_on_commit_callbacks
):
    settings.BLINDRATE_ANALYSIS_QUEUED_SECONDS = 300
    run = start(study, django_capture_on_commit_callbacks)
    lose_message(run, seconds_ago=200)
    assert services.analysis_reap_stale() == []
    run.refresh_from_db()
    assert (run.status, run.sends) == (AnalysisRun.Status.QUEUED, 1)
