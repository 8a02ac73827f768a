"""A pairwise study's results: the comparisons export read into a frame (every problem
named by line and field), the `pairwise_preference` section and document, `analyze_csv`
on a comparisons CSV, the results page and the analysis job's pairwise branch."""

import csv
import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from analysis import selectors
from analysis.comparisons_csv import (
    HEADER,
    ComparisonsFileError,
    comparisons_rows_read,
    is_comparisons_header,
)
from analysis.engine import ClaimSpec, ComparisonsFrame, analyze_pairwise
from analysis.engine.pairwise import ABSOLUTE_VALUES
from analysis.models import AnalysisRun
from analysis.plots import plots_render
from analysis.tasks import analysis_run_task
from ratings.comparisons_export import comparisons_csv_lines
from ratings.models import Comparison
from ratings.simulation import RaterModel, study_simulate_raters
from studies.models import Study
from studies.services import study_close
from tests.analysis.pairwise_studies import GROUPS, simulated_frame
from tests.factories import closed_study, start
from tests.ratings.raters import open_study

PAIR_TRUTH = RaterModel(group_means={"collaboration": 7.5, "human": 6.5, "ai": 5.0})
SEED_CLAIMS = [
    ClaimSpec("mean", ("collaboration",), 8.5, "seed article"),
    ClaimSpec("mean", ("human",), 6.5, "seed article"),
    ClaimSpec("mean", ("ai",), 4.5, "seed article"),
]
DESIGN = {
    "abilities": [0.0, -0.8, 0.6],
    "n_raters": 60,
    "n_samples": 90,
    "per_rater": 20,
    "nu": 0.4,
    "sample_sd": 0.5,
    "rater_sd": 0.2,
}


def study_frame(seed=1, **changes):
    return simulated_frame(np.random.default_rng(seed), **{**DESIGN, **changes})


def rows_of(frame) -> list[list[str]]:
    return [
        [
            str(i + 1),
            "pairs",
            frame.participant[i],
            "brief-1",
            frame.sample_a[i],
            frame.sample_b[i],
            frame.group_a[i],
            frame.group_b[i],
            "quality",
            frame.choice[i],
            "" if frame.choice[i] == "tie" else "clearly",
            "9.5",
            "2026-12-01T10:00:00+00:00",
        ]
        for i in range(frame.choice.size)
    ]


def write_csv(path, header, rows) -> str:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def test_the_section_has_the_fixed_keys_and_the_rating_sections_are_null_with_a_reason():
    doc = analyze_pairwise(study_frame(), claims=SEED_CLAIMS, group_order=GROUPS)
    section = doc["pairwise_preference"]
    assert {
        "n_comparisons",
        "n_participants",
        "ties_allowed",
        "win_rates",
        "bradley_terry",
        "claims",
        "agreement",
    } <= set(section)
    assert section["n_comparisons"] == 1200 and section["n_participants"] == 60
    assert section["ties_allowed"] is True
    for entry in section["win_rates"]:
        assert {"groups", "wins", "losses", "ties", "rate", "ci95", "p_binomial"} <= set(entry)
        assert entry["wins"] + entry["losses"] + entry["ties"] == entry["n"]
        assert entry["rate"] == pytest.approx((entry["wins"] + entry["ties"] / 2) / entry["n"])
        assert entry["ci95"][0] < entry["rate"] < entry["ci95"][1]
    assert [e["groups"] for e in section["win_rates"]] == [
        ["human", "ai"],
        ["human", "collaboration"],
        ["ai", "collaboration"],
    ]
    bt = section["bradley_terry"]
    assert bt["reference"] == "human"
    assert set(bt["abilities"]) == set(GROUPS)
    assert bt["abilities"]["human"]["estimate"] == 0
    assert "reference" in bt["abilities"]["human"]["reasons"]["se"]
    for key in ("ai", "collaboration"):
        entry = bt["abilities"][key]
        assert entry["ci95"][0] < entry["estimate"] < entry["ci95"][1]
    assert {"estimate", "se", "ci95"} <= set(bt["position_effect"])
    assert 0 < bt["p_first_position"] < 1
    assert set(section["agreement"]) >= {"pairs_with_two_raters", "rate", "chance"}
    for name in ("groups", "claims", "omnibus", "pairwise", "model", "reliability"):
        assert doc[name] is None
        assert "pairwise study" in doc["reasons"][name]
    assert doc["parameters"]["engine_version"] and doc["parameters"]["seed"] == 0
    assert doc["protocol"] == "pairwise"
    json.dumps(doc, allow_nan=False)


def test_claimed_means_become_three_ordering_claims_with_verdicts():
    """collaboration 8.5 > human 6.5 > ai 4.5: three orderings, true in the simulation."""
    doc = analyze_pairwise(study_frame(), claims=SEED_CLAIMS, group_order=GROUPS)
    claims = doc["pairwise_preference"]["claims"]
    assert [c["groups"] for c in claims] == [
        ["human", "ai"],
        ["collaboration", "human"],
        ["collaboration", "ai"],
    ]
    assert all(c["kind"] == "ordering" and c["verdict"] == "supported" for c in claims)
    assert all(c["ci95"][0] > 0.5 for c in claims)
    assert doc["pairwise_preference"]["absolute_values"] == ABSOLUTE_VALUES


def test_an_ordering_the_data_reverse_is_contradicted():
    claims = [ClaimSpec("difference", ("ai", "collaboration"), 2.0, "a claim")]
    doc = analyze_pairwise(study_frame(), claims=claims, group_order=GROUPS)
    (claim,) = doc["pairwise_preference"]["claims"]
    assert claim["groups"] == ["ai", "collaboration"]
    assert claim["verdict"] == "contradicted" and claim["probability"] < 0.5
    win = next(
        e for e in doc["pairwise_preference"]["win_rates"] if e["groups"] == ["ai", "collaboration"]
    )
    assert claim["probability"] == pytest.approx(win["rate"])


def test_equal_claimed_means_imply_no_ordering_and_say_so():
    claims = [ClaimSpec("mean", ("human",), 6.0), ClaimSpec("mean", ("ai",), 6.0)]
    doc = analyze_pairwise(study_frame(), claims=claims, group_order=GROUPS)
    assert doc["pairwise_preference"]["claims"] == []
    assert any("equal" in note for note in doc["notes"])


def test_a_position_bias_is_warned_about_and_its_absence_is_not():
    biased = analyze_pairwise(study_frame(position=0.6), claims=[], group_order=GROUPS)
    bt = biased["pairwise_preference"]["bradley_terry"]
    assert bt["p_first_position_ci95"][0] > 0.55
    assert bt["position_warning"] and bt["position_warning"] in biased["notes"]
    fair = analyze_pairwise(study_frame(position=0.0), claims=[], group_order=GROUPS)
    assert fair["pairwise_preference"]["bradley_terry"]["position_warning"] is None


def test_a_group_that_won_every_comparison_has_null_abilities_with_a_reason():
    frame = study_frame()
    wins = (frame.group_a == "collaboration") | (frame.group_b == "collaboration")
    frame.choice = np.where(
        wins, np.where(frame.group_a == "collaboration", "a", "b"), frame.choice
    )
    doc = analyze_pairwise(frame, claims=SEED_CLAIMS, group_order=GROUPS)
    bt = doc["pairwise_preference"]["bradley_terry"]
    assert bt["abilities"]["ai"]["estimate"] is None
    assert "infinite" in bt["abilities"]["ai"]["reasons"]["estimate"]
    assert bt["p_first_position"] is None and bt["reasons"]["p_first_position"]
    rates = doc["pairwise_preference"]["win_rates"]
    assert next(e for e in rates if e["groups"] == ["human", "collaboration"])["rate"] == 0


def test_the_same_comparisons_and_seed_give_the_same_document():
    one = analyze_pairwise(study_frame(), claims=SEED_CLAIMS, group_order=GROUPS, seed=5)
    two = analyze_pairwise(study_frame(), claims=SEED_CLAIMS, group_order=GROUPS, seed=5)
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)


def test_the_plot_renders_abilities_and_the_win_rate_matrix():
    doc = analyze_pairwise(study_frame(), claims=SEED_CLAIMS, group_order=GROUPS)
    (plot,) = plots_render(document=doc, frame=None, order=list(GROUPS), labels={}, margin=None)
    assert plot.key == "pairwise" and plot.png.startswith(b"\x89PNG")


def test_rows_become_the_engines_frame():
    frame = study_frame()
    read = comparisons_rows_read(list(HEADER), rows_of(frame))
    assert is_comparisons_header(HEADER)
    assert read.criterion == "quality" and read.study == "pairs"
    assert read.frame.choice.tolist() == frame.choice.tolist()
    assert read.frame.sample_a.tolist() == frame.sample_a.tolist()
    assert read.comparison_ids.tolist() == list(range(1, 1201))
    assert set(read.groups) == set(GROUPS)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("choice", "left", "line 3, field choice: 'left' is not a, b or tie"),
        (
            "strength",
            "very",
            "line 3, field strength: 'very' is not empty, slightly, clearly or much",
        ),
        ("sample_b", "s1", "line 3, field sample_b: the same sample as sample_a"),
        ("participant", "", "line 3, field participant: empty"),
        ("seconds", "-2", "line 3, field seconds: must not be negative"),
        ("seconds", "soon", "line 3, field seconds: 'soon' is not a number"),
        ("comparison", "1", "line 3, field comparison: 1 repeats line 2"),
        (
            "group_a",
            "ai",
            "line 3, field group_a: sample 's1' is in group 'human' on line 2, here 'ai'",
        ),
    ],
)
def test_a_bad_row_is_named_by_line_and_field(column, value, message):
    rows = [
        ["1", "pairs", "p1", "b", "s1", "s2", "human", "ai", "quality", "a", "", "3", ""],
        ["2", "pairs", "p2", "b", "s1", "s3", "human", "ai", "quality", "b", "much", "4", ""],
    ]
    rows[1][HEADER.index(column)] = value
    with pytest.raises(ComparisonsFileError) as error:
        comparisons_rows_read(list(HEADER), rows, name="pairs.csv")
    assert f"pairs.csv {message}" in error.value.errors


def test_problems_of_the_header_and_of_several_rows_are_listed_together():
    with pytest.raises(ComparisonsFileError) as error:
        comparisons_rows_read(["participant", "sample_a", "sample_b", "choice"], [])
    assert error.value.errors == [
        "comparisons line 1: missing field(s) group_a, group_b (the header has: participant, "
        "sample_a, sample_b, choice)"
    ]
    rows = [
        ["1", "pairs", "p1", "b", "s1", "s2", "human", "ai", "quality", "x", "", "", ""],
        ["2", "pairs", "p1"],
        ["3", "pairs", "p1", "b", "s1", "s2", "human", "ai", "quality", "tie", "much", "", ""],
    ]
    with pytest.raises(ComparisonsFileError) as error:
        comparisons_rows_read(list(HEADER), rows)
    assert error.value.errors == [
        "comparisons line 2, field choice: 'x' is not a, b or tie",
        "comparisons line 3: 3 fields, the header has 13",
        "comparisons line 4, field strength: a tie has no strength",
    ]


def test_a_csv_reader_numbers_lines_as_the_file_does():
    text = ",".join(HEADER) + '\n1,pairs,p1,"a\nbrief",s1,s2,human,ai,quality,maybe,,,\n'
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    with pytest.raises(ComparisonsFileError) as error:
        comparisons_rows_read(header, reader, name="x.csv")
    assert error.value.errors == ["x.csv line 3, field choice: 'maybe' is not a, b or tie"]


def test_several_criteria_need_one_chosen():
    rows = rows_of(study_frame(n_raters=5))
    rows[0][HEADER.index("criterion")] = "wit"
    with pytest.raises(ComparisonsFileError, match="several criteria"):
        comparisons_rows_read(list(HEADER), rows)
    read = comparisons_rows_read(list(HEADER), rows, criterion="wit")
    assert read.frame.choice.size == 1


def test_analyze_csv_recognises_comparisons_and_prints_verdicts_on_orderings(tmp_path):
    path = write_csv(tmp_path / "pairs.csv", HEADER, rows_of(study_frame()))
    out = io.StringIO()
    claims = ["--claim", "collaboration=8.5", "--claim", "human=6.5", "--claim", "ai=4.5"]
    call_command(
        "analyze_csv", path, *claims, "--group-order", "human,ai,collaboration", stdout=out
    )
    text = out.getvalue()
    assert "1200 comparisons by 60 raters of 90 samples" in text
    assert "[supported] collaboration preferred to human: supported" in text
    assert "[supported] human preferred to ai" in text
    assert "never as absolute numbers" in text
    out = io.StringIO()
    call_command("analyze_csv", path, "--claim", "ai>collaboration", "--json", stdout=out)
    doc = json.loads(out.getvalue())
    (claim,) = doc["pairwise_preference"]["claims"]
    assert claim["groups"] == ["ai", "collaboration"] and claim["verdict"] == "contradicted"
    assert doc["input"]["comparisons"] == 1200


def test_analyze_csv_names_the_line_and_field_of_a_bad_comparison(tmp_path):
    rows = rows_of(study_frame(n_raters=3))
    rows[4][HEADER.index("choice")] = "A"
    path = write_csv(tmp_path / "pairs.csv", HEADER, rows)
    with pytest.raises(
        CommandError, match=r"pairs.csv line 6, field choice: 'A' is not a, b or tie"
    ):
        call_command("analyze_csv", path)


@pytest.mark.django_db
def test_the_job_of_a_pairwise_study_analyzes_its_comparisons_and_the_page_shows_them(
    researcher, client, monkeypatch, django_capture_on_commit_callbacks
):
    """The analysis job's pairwise branch (a study whose `protocol` is "pairwise"), fed the
    export's rows: the run succeeds with the pairwise document and its plot, and the
    results page shows the verdicts, the win rates and the abilities, not rating tables."""
    study = closed_study(researcher)
    keys = list(study.groups.order_by("id").values_list("key", flat=True))
    rename = dict(zip(GROUPS, keys, strict=False))
    rows = rows_of(study_frame())
    for row in rows:
        for column in ("group_a", "group_b"):
            row[HEADER.index(column)] = rename[row[HEADER.index(column)]]
        row[HEADER.index("criterion")] = study.criteria[0]["key"]
    asked = []

    def comparison_rows(*, study, criterion):
        asked.append((study.slug, criterion))
        return list(HEADER), iter(rows)

    Study.objects.filter(pk=study.pk).update(protocol=Study.Protocol.PAIRWISE)
    study.refresh_from_db()
    monkeypatch.setattr(selectors, "analysis_comparison_rows", comparison_rows)
    run = start(study, django_capture_on_commit_callbacks)
    analysis_run_task(run.pk)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    assert asked == [(study.slug, study.criteria[0]["key"])]
    document = run.results
    assert document["pairwise_preference"]["n_comparisons"] == 1200
    assert run.input_counts["comparisons"] == 1200 and len(run.input_sha256) == 64
    assert [plot["key"] for plot in run.plots] == ["pairwise", "diversity"]
    client.force_login(researcher)
    html = client.get(reverse("analysis:study_results", args=[study.slug])).content.decode()
    assert 'id="win-rates"' in html and 'id="bradley-terry"' in html
    assert 'id="plot-pairwise"' in html
    assert "pairwise data show which group raters preferred" in html
    for claim in document["pairwise_preference"]["claims"]:
        assert claim["verdict"] in html
    assert 'id="groups"' not in html
    assert "Read 1200 comparisons by 60 raters" in html


@pytest.mark.django_db
def test_a_pairwise_study_is_analysed_from_its_comparisons_as_the_export_writes_them(
    researcher, tmp_path, capsys, django_capture_on_commit_callbacks
):
    """The job reads the study's comparisons through the comparisons export, so the
    downloaded file, analysed by analyze_csv, gives the same input and the same estimates."""
    study = open_study(
        researcher,
        slug="pair-job",
        per_group=4,
        samples_per_rater=6,
        ratings_per_sample=8,
        protocol="pairwise",
        allow_ties=True,
    )
    assert study_simulate_raters(study=study, raters=12, seed=3, model=PAIR_TRUTH) > 0
    study = study_close(study=study)
    run = start(study, django_capture_on_commit_callbacks)
    analysis_run_task(run.pk)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    section = run.results["pairwise_preference"]
    stored = Comparison.objects.filter(assignment__participant__study=study)
    assert section["n_comparisons"] == stored.count() == run.input_counts["comparisons"]
    assert section["ties_allowed"] is True
    # A pairwise study of texts gets the diversity section as a rating study does.
    assert set(run.results["diversity"]["groups"]) == {"human", "ai", "collaboration"}
    assert [plot["key"] for plot in run.plots] == ["pairwise", "diversity"]
    # A pairwise study of texts gets the diversity section as a rating study does.
    assert set(run.results["diversity"]["groups"]) == {"human", "ai", "collaboration"}
    assert [plot["key"] for plot in run.plots] == ["pairwise", "diversity"]

    exported = tmp_path / "comparisons.csv"
    exported.write_text("".join(comparisons_csv_lines(study=study)), encoding="utf-8")
    reference = section["bradley_terry"]["reference"]
    call_command("analyze_csv", str(exported), "--json", "--reference", reference)
    from_file = json.loads(capsys.readouterr().out)
    assert from_file["input"] == run.results["input"]
    assert from_file["input"]["sha256"] == run.input_sha256

    def estimates(section) -> dict:
        """Win rates of the first group of each pair (by key) and the abilities."""
        found = {}
        for w in section["win_rates"]:
            first, second = sorted(w["groups"])
            found[(first, second)] = w["rate"] if w["groups"][0] == first else 1 - w["rate"]
        for key, ability in section["bradley_terry"]["abilities"].items():
            found[key] = ability["estimate"]
            found[f"{key} se"] = ability["se"] if ability["se"] is not None else -1.0
        found["A"] = section["bradley_terry"]["position_effect"]["estimate"]
        return found

    assert estimates(from_file["pairwise_preference"]) == pytest.approx(estimates(section))


def _frame(rows) -> ComparisonsFrame:
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    return ComparisonsFrame(
        *(np.array(column, dtype=str) for column in columns),
        strength=np.full(len(rows), ""),
        seconds=np.full(len(rows), np.nan),
    )


def test_no_comparisons_give_a_document_of_nulls_with_reasons():
    doc = analyze_pairwise(_frame([]), claims=SEED_CLAIMS)
    section = doc["pairwise_preference"]
    assert section["n_comparisons"] == 0 and section["win_rates"] == []
    assert section["bradley_terry"]["p_first_position"] is None
    assert section["bradley_terry"]["reasons"]["p_first_position"] == "no comparisons"
    assert all(claim["verdict"] is None for claim in section["claims"])
    json.dumps(doc, allow_nan=False)


def test_comparisons_that_are_all_ties_say_why_nothing_can_be_estimated():
    rows = [(f"p{i}", f"s{i % 4}", f"t{i % 5}", "a", "b", "tie") for i in range(20)]
    section = analyze_pairwise(_frame(rows), claims=[])["pairwise_preference"]
    (rate,) = section["win_rates"]
    assert rate["rate"] == 0.5 and rate["ties"] == 20
    assert (
        rate["p_binomial"] is None
        and rate["reasons"]["p_binomial"] == "no wins or losses, only ties"
    )
    assert rate["ci95"] == [None, None] and "same outcome" in rate["reasons"]["ci95"]
    assert "no finite maximum" in section["bradley_terry"]["reasons"]["p_first_position"]
