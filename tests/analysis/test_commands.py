"""`analyze`, `analyze_csv` and their agreement with the analysis in the database."""

import json

import pytest
from django.core.management import CommandError, call_command

from analysis.models import AnalysisRun
from analysis.ratings_csv import claim_parse
from analysis.tasks import analysis_run_task
from tests.factories import closed_study, start
from tests.processes import no_database_env, run_manage

CLAIMS = ["human=6.5", "ai=4.5", "collaboration=8.5", "collaboration-human=2"]


@pytest.fixture
def finished(researcher, django_capture_on_commit_callbacks):
    """A closed study and its analysis, run by the task as a worker would."""
    study = closed_study(researcher)
    run = start(study, django_capture_on_commit_callbacks, seed=3)
    analysis_run_task(run.pk)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


def analyze_csv(*args) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("analyze_csv", *map(str, args), "--json", stdout=out)
    return json.loads(out.getvalue())


def claims_of(document: dict) -> list[tuple]:
    return [
        (c["kind"], c["groups"], c["claimed"], c["verdict"], round(c["observed"], 9))
        for c in document["claims"]
    ]


@pytest.mark.django_db
def test_analyze_csv_on_the_export_reproduces_the_document_of_the_analysis_in_the_database(
    finished, tmp_path
):
    exported = tmp_path / "poems.csv"
    call_command("export_ratings", "poems", "--attention-checks", "--output", str(exported))
    claims = [f"--claim={claim}" for claim in CLAIMS]

    document = analyze_csv(
        exported, *claims, "--seed", 3, "--group-order", "human,ai,collaboration"
    )

    stored = finished.results
    assert document["input"]["sha256"] == finished.input_sha256
    assert claims_of(document) == claims_of(stored)
    # Everything else too, but the claims' `source` (the study's text vs "--claim").
    for claim in document["claims"] + stored["claims"]:
        claim.pop("source")
    for section in (document, stored):
        for claim in section["with_exclusions"]["claims"]:
            claim.pop("source", None)
    # The diversity section needs the samples' texts (--samples): test_diversity_runs.py.
    assert "diversity" not in document
    stored.pop("diversity")
    assert json.dumps(document, sort_keys=True) == json.dumps(stored, sort_keys=True)


@pytest.mark.django_db
def test_analyze_csv_on_the_plain_export_gives_the_same_verdicts(finished, tmp_path):
    """Without attention checks only rater quality can differ: the claims come from every
    rating of the groups, as in the database."""
    exported = tmp_path / "poems.csv"
    call_command("export_ratings", "poems", "--output", str(exported))

    document = analyze_csv(exported, *[f"--claim={claim}" for claim in CLAIMS], "--seed", 3)

    assert claims_of(document) == claims_of(finished.results)


def test_analyze_csv_runs_without_a_reachable_database(tmp_path):
    ratings = tmp_path / "ratings.csv"
    lines = ["rating,study,participant,sample,brief,group,criterion,score,guess,seconds,created_at"]
    rating = 0
    for rater in range(8):
        for sample in range(6):
            group = "human" if sample % 2 else "ai"
            score = 4 + (sample % 2) * 2 + (rater % 3) + (sample % 3) / 2
            rating += 1
            lines.append(f"{rating},s,p{rater},x{sample},,{group},quality,{score:g},,20,")
    ratings.write_text("\n".join(lines) + "\n")
    result = run_manage(
        no_database_env(),
        "analyze_csv",
        str(ratings),
        "--claim",
        "human=6.5",
        "--claim",
        "human-ai=1",
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "48 ratings by 8 raters of 6 samples" in result.stdout
    assert "The claim that human scores 6.5 is" in result.stdout
    assert "The claim that human scores 1.0 points above ai is" in result.stdout


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("participant,sample,group\np,s,h\n", [], "ratings.csv line 1: missing column(s) score"),
        (
            "participant,sample,group,score\np,s,h,7\np,t,h,abc\n",
            [],
            "ratings.csv line 3, column score: 'abc' is not a number",
        ),
        (
            "participant,sample,group,score\np,s,h\n",
            [],
            "ratings.csv line 2: 3 fields, the header has 4",
        ),
        (
            "participant,sample,group,score\np,,h,7\n",
            [],
            "ratings.csv line 2, column sample: empty",
        ),
        (
            "participant,sample,group,score,seconds\np,s,h,7,-3\n",
            [],
            "ratings.csv line 2, column seconds: must not be negative",
        ),
        ("participant,sample,group,score\n", [], "ratings.csv: no ratings after the header"),
        (
            "participant,sample,group,score,criterion\np,s,h,7,quality\np,s,h,7,wit\n",
            [],
            "several criteria (quality, wit); choose one with --criterion",
        ),
        ("participant,sample,group,score\np,s,h,17\n", [], "fall outside the scale 1 to 10"),
        ("participant,sample,group,score\np,s,h,7\n", ["--claim", "robot=3"], "unknown group"),
        (
            "participant,sample,group,score\np,s,h,7\n",
            ["--claim", "h=high"],
            "'high' is not a number",
        ),
    ],
)
def test_analyze_csv_names_the_file_line_and_column_of_each_problem(
    tmp_path, content, extra, message
):
    ratings = tmp_path / "ratings.csv"
    ratings.write_text(content)
    with pytest.raises(CommandError) as error:
        call_command("analyze_csv", str(ratings), *extra)
    assert message in str(error.value)


def test_a_claim_names_groups_whose_keys_contain_hyphens():
    groups = ["human", "human-ai", "ai"]
    assert claim_parse("human-ai=7", groups) == ("mean", ("human-ai",), 7.0)
    assert claim_parse("human-ai-ai=1.5", groups) == ("difference", ("human-ai", "ai"), 1.5)
    assert claim_parse("human-ai=-0.5", ["human", "ai"]) == ("difference", ("human", "ai"), -0.5)


@pytest.mark.django_db
def test_analyze_starts_a_queued_run_and_says_so(researcher, capsys):
    closed_study(researcher, raters=6)
    call_command("analyze", "poems", "--seed", "9")
    run = AnalysisRun.objects.get()
    assert capsys.readouterr().out.strip() == f"analysis #{run.pk} of poems queued"
    assert (run.status, run.parameters["seed"]) == ("queued", 9)


@pytest.mark.django_db
def test_analyze_wait_says_clearly_when_no_worker_picks_the_run_up(researcher):
    closed_study(researcher, raters=6)
    with pytest.raises(CommandError) as error:
        call_command("analyze", "poems", "--wait", "--worker-timeout", "1")
    run = AnalysisRun.objects.get()
    assert str(error.value).startswith(f"no worker started analysis #{run.pk} within 1 s")
    assert run.status == "queued"


@pytest.mark.django_db
def test_analyze_refuses_parameters_outside_the_plan_naming_the_option(researcher):
    closed_study(researcher, raters=6)
    with pytest.raises(CommandError, match="--criterion: unknown criterion"):
        call_command("analyze", "poems", "--criterion", "wit")
    assert not AnalysisRun.objects.exists()
