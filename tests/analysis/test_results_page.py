"""The results page of a study's analyses: for its researcher only, in plain words."""

import json

import pytest
from django.urls import reverse
from django.utils.html import escape

from analysis import services
from analysis.models import AnalysisRun
from analysis.tasks import analysis_reap_task, analysis_run_task
from ratings.models import Rating
from tests.factories import closed_study, flat_study, stall, start


@pytest.fixture
def study(researcher):
    return closed_study(researcher)


@pytest.fixture
def finished(study, django_capture_on_commit_callbacks):
    run = start(study, django_capture_on_commit_callbacks)
    analysis_run_task(run.pk)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


@pytest.fixture
def owner(client, researcher):
    client.force_login(researcher)
    return client


@pytest.fixture
def stranger(client, other_researcher):
    client.force_login(other_researcher)
    return client


def page(study) -> str:
    return reverse("analysis:study_results", args=[study.slug])


@pytest.mark.django_db
def test_the_owner_reads_each_claim_as_a_sentence_with_its_verdict_and_sees_the_plots(
    owner, study, finished
):
    response = owner.get(page(study))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<meta http-equiv="refresh"' not in html
    for claim in finished.results["claims"]:
        assert claim["verdict"] in html
    ai = next(c for c in finished.results["claims"] if c["groups"] == ["ai"])
    low, high = ai["ci95"]
    assert (
        f"The claim that AI only scores 4.5 is {ai['verdict']}: raters gave it "
        f"{ai['observed']:.1f} (95% CI {low:.1f} to {high:.1f})"
    ) in html
    assert "The claim that Human-AI collaboration scores 2.0 points above Human only is" in html
    # What the verdicts mean, in one line each.
    assert (
        "supported</strong></dt><dd>the equivalence test (TOST) shows the true value is "
        "within ±0.50 of the claim" in html
    )
    assert "the 95% confidence interval excludes the claimed value" in html
    for key in ("distributions", "means", "leniency"):
        assert reverse("analysis:run_plot", args=[finished.pk, key]) in html
    assert reverse("analysis:run_results_json", args=[finished.pk]) in html
    for section in (
        "Groups",
        "Model: ",
        "Agreement between raters",
        "Rater quality",
        "Without flagged raters",
    ):
        assert section in html


@pytest.mark.django_db
def test_another_researcher_gets_404_for_the_page_the_downloads_and_the_button(
    stranger, study, finished
):
    urls = [
        page(study),
        reverse("analysis:run_results", args=[study.slug, finished.pk]),
        reverse("analysis:run_results_json", args=[finished.pk]),
        reverse("analysis:run_plot", args=[finished.pk, "means"]),
    ]
    for url in urls:
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(reverse("analysis:run_start", args=[study.slug])).status_code == 404
    assert AnalysisRun.objects.count() == 1


@pytest.mark.django_db
def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(client, study):
    response = client.get(page(study))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_the_results_and_each_plot_download_with_a_file_name(owner, study, finished):
    response = owner.get(reverse("analysis:run_results_json", args=[finished.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="poems-analysis-{finished.pk}.json"'
    )
    assert json.loads(response.content) == finished.results

    plot = reverse("analysis:run_plot", args=[finished.pk, "means"])
    shown = owner.get(plot)
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline;")
    assert b"".join(shown.streaming_content).startswith(b"\x89PNG")
    saved = owner.get(plot + "?download=1")
    assert saved["Content-Disposition"] == (
        f'attachment; filename="poems-analysis-{finished.pk}-means.png"'
    )
    assert owner.get(reverse("analysis:run_plot", args=[finished.pk, "pie"])).status_code == 404


@pytest.mark.django_db
def test_a_failed_run_shows_its_error(
    owner, study, settings, tmp_path, django_capture_on_commit_callbacks
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker
    run = start(study, django_capture_on_commit_callbacks)
    analysis_run_task(run.pk)
    run.refresh_from_db()

    html = owner.get(page(study)).content.decode()

    assert f"Analysis #{run.pk}: Failed" in html
    assert '<pre class="error" id="run-error">' in html
    assert run.error.split(":")[0] in html


@pytest.mark.django_db
def test_a_running_run_shows_its_stage_and_percent_and_refreshes(
    owner, study, django_capture_on_commit_callbacks
):
    run = start(study, django_capture_on_commit_callbacks)
    stall(run, attempts=1, seconds_ago=1)

    html = owner.get(page(study)).content.decode()

    assert '<meta http-equiv="refresh" content="3">' in html
    assert 'model: <progress max="100" value="50">' in html


@pytest.mark.django_db
def test_the_page_only_reads_and_shows_what_the_scheduled_reaper_decided(
    owner, study, settings, django_capture_on_commit_callbacks
):
    settings.BLINDRATE_ANALYSIS_STALE_SECONDS = 60
    settings.BLINDRATE_ANALYSIS_MAX_ATTEMPTS = 1
    run = start(study, django_capture_on_commit_callbacks)
    stall(run, attempts=1, seconds_ago=120)

    before = owner.get(page(study)).content.decode()
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.RUNNING, "a GET changed the run"
    assert "The worker stopped during the run" not in before

    analysis_reap_task()  # what Celery beat runs every MAINTENANCE_SECONDS

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED
    assert "The worker stopped during the run" in owner.get(page(study)).content.decode()


@pytest.mark.django_db
def test_run_analysis_queues_a_run_after_commit_and_follows_it(
    owner, study, researcher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(reverse("analysis:run_start", args=[study.slug]))
    run = AnalysisRun.objects.get()
    assert len(callbacks) == 1
    assert response.status_code == 302
    assert response["Location"] == reverse("analysis:run_results", args=[study.slug, run.pk])
    assert run.requested_by == researcher
    html = owner.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in html
    assert owner.get(reverse("analysis:run_start", args=[study.slug])).status_code == 405


@pytest.mark.django_db
def test_a_study_without_analyses_invites_the_first(owner, study):
    html = owner.get(page(study)).content.decode()
    assert "No analysis yet" in html and "Run analysis" in html


@pytest.mark.django_db
def test_the_study_admin_links_to_the_results_and_the_run_admin_lists_own_runs_only(
    owner, study, finished, other_researcher
):
    change = owner.get(reverse("admin:studies_study_change", args=[study.pk]))
    assert page(study) in change.content.decode()

    other = closed_study(other_researcher, slug="theirs", raters=6)
    services.analysis_create(study=other)
    listing = owner.get(reverse("admin:analysis_analysisrun_changelist")).content.decode()
    assert f"analysis #{finished.pk} " in listing
    assert "theirs" not in listing
    assert owner.get(reverse("admin:analysis_analysisrun_add")).status_code == 403


@pytest.mark.django_db
def test_a_degenerate_study_shows_what_could_not_be_computed_and_why(
    owner, researcher, django_capture_on_commit_callbacks
):
    study = flat_study(researcher)
    run = start(study, django_capture_on_commit_callbacks)
    analysis_run_task(run.pk)

    html = owner.get(page(study)).content.decode()

    run.refresh_from_db()
    reason = run.results["claims"][0]["reasons"]["verdict"]
    assert (
        f"The claim that Human only scores 6.5 could not be checked: raters gave it 7.0, but "
        f"{reason}." in html
    )
    assert "F = n/a" in html


def guessing_study(researcher, slug: str, *, right_every: int | None):
    """A closed study whose simulated raters guessed each sample's source: at random, or
    (right_every=n) the true group except on every n-th rating, where they say "human"."""
    study = closed_study(researcher, slug=slug, raters=24, ask_source_guess=True)
    if right_every is not None:
        ratings = Rating.objects.filter(
            assignment__participant__study=study, assignment__sample__is_attention_check=False
        )
        for pk, key in ratings.values_list("id", "assignment__sample__group__key"):
            Rating.objects.filter(pk=pk).update(guess="human" if pk % right_every == 0 else key)
    return study


def percent(value: float) -> str:
    return f"{100 * value:.0f}"


@pytest.mark.django_db
def test_the_page_says_raters_could_not_tell_the_sources_apart_when_they_guessed_at_random(
    owner, researcher, django_capture_on_commit_callbacks
):
    """Simulated raters guess at random: the sentence gives the verdict with the accuracy,
    CI and p of the test that respects raters and samples (not the binomial one), and the
    per-rater accuracy plot is drawn, shown beside it and served as a PNG."""
    study = guessing_study(researcher, "random-guesses", right_every=None)
    run = start(study, django_capture_on_commit_callbacks)
    analysis_run_task(run.pk)
    run.refresh_from_db()
    detection = run.results["detection"]
    uniform = detection["chance_uniform"]
    assert uniform["better_than_chance"] is False and uniform["p"] >= 0.05

    html = owner.get(page(study)).content.decode()

    low, high = uniform["ci95"]
    assert (
        f"Raters could not tell the groups apart better than chance (accuracy "
        f"{percent(detection['accuracy'])} %, 95% CI {percent(low)}\u2013{percent(high)} %, "
        f"p = {uniform['p']:.3f}; chance is 33 %)."
    ) in html
    assert "d\u2032 = " in html and "criterion c = " in html
    assert [plot["key"] for plot in run.plots][-1] == "detection"
    plot = reverse("analysis:run_plot", args=[run.pk, "detection"])
    assert html.count(f'<img src="{plot}"') == 1
    shown = owner.get(plot)
    assert b"".join(shown.streaming_content).startswith(b"\x89PNG")


@pytest.mark.django_db
def test_the_page_says_raters_told_the_sources_apart_when_they_mostly_knew(
    owner, researcher, django_capture_on_commit_callbacks
):
    """Raters name the true group except on every third rating: better than chance, with
    the groups' own accuracies (human samples are always right, others two thirds)."""
    study = guessing_study(researcher, "known-guesses", right_every=3)
    run = start(study, django_capture_on_commit_callbacks)
    analysis_run_task(run.pk)
    run.refresh_from_db()
    detection = run.results["detection"]
    uniform = detection["chance_uniform"]

    html = owner.get(page(study)).content.decode()

    assert uniform["better_than_chance"] is True
    low, high = uniform["ci95"]
    assert (
        escape(
            f"Raters told the groups apart better than chance (accuracy "
            f"{percent(detection['accuracy'])} %, 95% CI {percent(low)}\u2013{percent(high)} %, "
            f"p {'< 0.001' if uniform['p'] < 0.001 else '= ' + format(uniform['p'], '.3f')}; "
            f"chance is 33 %)."
        )
        in html
    )
    assert detection["per_group"]["human"]["estimate"] == 1.0
    assert 'Human only</td><td class="num">' in html


@pytest.mark.django_db
def test_the_results_page_shows_the_frozen_plans_ci_widths_against_the_achieved_ones(
    owner, researcher, django_capture_on_commit_callbacks
):
    from analysis.plan_services import analysis_plan_compute
    from analysis.planning import Variance

    def plan(draft):
        analysis_plan_compute(study=draft, variance=Variance(0.64, 0.49, 1.21))

    study = closed_study(researcher, before_open=plan)
    frozen = study.frozen_design["plan"]
    run = start(study, django_capture_on_commit_callbacks)
    analysis_run_task(run.pk)
    run.refresh_from_db()

    html = owner.get(page(study)).content.decode()

    assert "Planned against achieved" in html
    assert "frozen with the design when the study opened" in html
    for claim in run.results["claims"]:
        planned = next(p for p in frozen["claims"] if p["groups"] == claim["groups"])
        low, high = claim["ci95"]
        assert f'<td class="num">{planned["ci95_halfwidth"]:.2f}</td>' in html
        assert f'<td class="num">{(high - low) / 2:.2f}</td>' in html
    assert f'<td>raters</td><td class="num">{frozen["design"]["raters"]}</td>' in html


@pytest.mark.django_db
def test_the_results_page_of_a_study_without_a_plan_has_no_planned_section(owner, study, finished):
    assert "Planned against achieved" not in owner.get(page(study)).content.decode()
