"""`manage.py plan`, and a study's plan kept on the draft and frozen when it opens."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from studies import services
from studies.models import Study
from tests.analysis.test_commands import finished  # noqa: F401 (a fixture)
from tests.conftest import add_text_samples
from tests.processes import no_database_env, run_manage

SEED_CLAIMS = [
    "--claim",
    "collaboration=8.5",
    "--claim",
    "human=6.5",
    "--claim",
    "ai=4.5",
    "--claim",
    "collaboration-human=2",
    "--claim",
    "human-ai=2",
]
DEMO_DESIGN = [
    "--samples-per-group",
    "16",
    "--ratings-per-sample",
    "20",
    "--samples-per-rater",
    "16",
]


def plan_json(*args) -> dict:
    out = StringIO()
    call_command("plan", *map(str, args), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_plan_runs_without_a_reachable_database():
    result = run_manage(
        no_database_env(),
        "plan",
        *SEED_CLAIMS,
        *DEMO_DESIGN,
        "--variance",
        "0.64,0.49,1.21",
        "--json",
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["method"] == "analytic"
    assert document["design"]["groups"] == ["collaboration", "human", "ai"]
    assert document["design"]["raters"] == 60
    assert [c["kind"] for c in document["claims"]] == ["mean"] * 3 + ["difference"] * 2
    assert document["claims"][3]["groups"] == ["collaboration", "human"]
    assert document["recommendation"]["limited_by"] == "samples"


def test_plan_prints_each_claims_chances_and_the_recommendation(capsys):
    call_command("plan", *SEED_CLAIMS, *DEMO_DESIGN, "--truth", "human=6.7")
    out = capsys.readouterr().out
    assert "60 raters, 960 ratings" in out
    assert "human = 6.5 (true 6.70): supported" in out
    assert "default: the demo's simulated raters" in out
    assert out.count("\n  ") == 5
    assert "Recommendation: With 16 samples per group no number of raters" in out


def test_plan_simulates_studies_through_the_engine_when_asked():
    document = plan_json(
        "--claim",
        "a=5",
        "--claim",
        "a-b=0",
        "--samples-per-group",
        "8",
        "--ratings-per-sample",
        "3",
        "--samples-per-rater",
        "8",
        "--variance",
        "0.5,0.5,1",
        "--method",
        "simulation",
        "--simulations",
        "30",
        "--seed",
        "4",
        "--workers",
        "1",
        "--integer",
    )
    assert document["method"] == "simulation"
    assert document["parameters"]["simulations"] == 30
    assert document["parameters"]["integer"] is True
    for claim in document["claims"]:
        counts = [round(claim[k] * 30) for k in ("p_supported", "p_contradicted", "p_inconclusive")]
        assert sum(counts) == 30
        assert "analytic" in claim


def test_plan_estimates_the_variances_from_a_ratings_csv(tmp_path):
    import numpy as np

    rng = np.random.default_rng(5)
    lines = ["participant,sample,group,score"]
    lenient = rng.normal(0, 1.0, 30)
    quality = rng.normal(0, 0.7, 40)
    for rater in range(30):
        for sample in rng.choice(40, 12, replace=False):
            score = 5 + lenient[rater] + quality[sample] + rng.normal(0, 0.5)
            lines.append(f"p{rater},s{sample},{'ab'[sample % 2]},{score:.4f}")
    ratings = tmp_path / "pilot.csv"
    ratings.write_text("\n".join(lines) + "\n")
    document = plan_json("--claim", "a-b=0", *DEMO_DESIGN, "--variance-csv", ratings)
    variance = document["variance"]
    assert variance["source"].startswith(f"estimated from {ratings}")
    assert variance["participant"] > 3 * variance["residual"]
    assert 0.1 < variance["sample"] < 1.5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--claim", "a=5"], "--samples-per-group, --ratings-per-sample, --samples-per-rater"),
        (["--claim", "a=x", *DEMO_DESIGN], "'x' is not a number"),
        (["--claim", "a=5", *DEMO_DESIGN, "--variance", "1,2"], "expected three numbers"),
        (
            [
                "--claim",
                "a=5",
                "--samples-per-group",
                "1",
                "--ratings-per-sample",
                "2",
                "--samples-per-rater",
                "1",
            ],
            "samples per group must be at least 2",
        ),
        (["--claim", "a=5", *DEMO_DESIGN, "--variance", "1,1,1", "--pilot", "x"], "at most one"),
    ],
)
def test_plan_refuses_what_it_cannot_plan_with_the_reason(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        call_command("plan", *args)


def test_plan_takes_the_variances_of_a_pilot_studys_finished_analysis(finished):  # noqa: F811
    document = plan_json("--claim", "human=6.5", *DEMO_DESIGN, "--pilot", "poems")
    variance = finished.results["model"]["variance"]
    assert document["variance"]["source"] == f"pilot: analysis #{finished.pk} of study poems"
    assert document["variance"]["participant"] == pytest.approx(variance["participant"])
    assert document["variance"]["sample"] == pytest.approx(variance["sample"])


def test_a_studys_plan_is_kept_on_the_draft_frozen_when_it_opens_and_refused_afterwards(
    draft_study,
):
    add_text_samples(draft_study, per_group=6)
    document = plan_json("--study", "poems", "--ratings-per-sample", "4")
    draft_study.refresh_from_db()
    assert draft_study.plan == document
    assert document["study"] == "poems"
    assert document["design"]["samples_per_group"] == 6
    assert document["design"]["ratings_per_sample"] == 4
    assert document["design"]["samples_per_rater"] == 18  # all 18 samples, not 20
    # The study's claims: three claimed means and one difference.
    assert len(document["claims"]) == 4
    assert document["parameters"]["equivalence_margin"] == pytest.approx(0.5)

    opened = services.study_open(study=draft_study)
    assert opened.frozen_design["plan"] == document
    assert services.study_verify_preregistration(study=opened)

    with pytest.raises(CommandError, match="frozen when it opened"):
        call_command("plan", "--study", "poems")
    with pytest.raises(services.DesignFrozen):
        services.study_plan_save(study=opened, plan={"method": "analytic"})
    assert Study.objects.get(pk=opened.pk).plan == document


def test_a_study_opened_without_a_plan_keeps_the_design_document_it_always_had(draft_study):
    add_text_samples(draft_study, per_group=2)
    opened = services.study_open(study=draft_study)
    assert "plan" not in opened.frozen_design
    assert services.study_verify_preregistration(study=opened)
