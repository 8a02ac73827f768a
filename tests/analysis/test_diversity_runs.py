"""The diversity section in real analyses of a text study: through the analysis task (with
its own progress stage), on the results page, cached embeddings on a second run, and in
`analyze_csv --samples` from the exported ratings and the import file."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from analysis import documents, embeddings, services
from analysis.models import AnalysisRun, TextEmbedding
from analysis.tasks import analysis_run_task
from tests.factories import closed_study, start

# Two briefs; in each, the collaboration samples retell one idea, the human ones differ.
TEXTS = [
    ("collaboration", "harbour", "The old harbour lay quiet under the morning fog."),
    ("collaboration", "harbour", "Morning fog lay quietly over the old harbour."),
    ("collaboration", "harbour", "Under the fog of the morning the old harbour was quiet."),
    ("human", "harbour", "Gulls fought over a fish head on the slipway."),
    ("human", "harbour", "My grandfather painted every boat in the harbour blue."),
    ("human", "harbour", "The ferry timetable had not changed since 1974."),
    ("ai", "harbour", "The harbour at dawn was a painting of silver and grey."),
    ("ai", "harbour", "Boats rocked gently as the harbour woke to a new day."),
    ("ai", "harbour", "A lone fisherman mended his nets beside the quiet water."),
    ("collaboration", "kitchen", "The kettle sang softly in the early kitchen light."),
    ("collaboration", "kitchen", "In the early light of the kitchen the kettle sang softly."),
    ("collaboration", "kitchen", "Soft singing from the kettle filled the kitchen at first light."),
    ("human", "kitchen", "Someone has left a spoon in the sink like a question."),
    ("human", "kitchen", "The cat insists the fridge is hers before seven."),
    ("human", "kitchen", "Burnt toast again; the smoke alarm applauds."),
    ("ai", "kitchen", "Sunlight spills across the counter as the coffee brews."),
    ("ai", "kitchen", "The kitchen hums with the quiet promise of breakfast."),
    ("ai", "kitchen", "Steam curls from the kettle as the house begins to stir."),
]


@pytest.fixture
def study(researcher):
    return closed_study(researcher, slug="harbours", texts=TEXTS, raters=12)


def _run(study, callbacks) -> AnalysisRun:
    run = start(study, callbacks)
    analysis_run_task(run.pk)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


@pytest.mark.django_db
def test_an_analysis_of_a_text_study_has_the_section_with_embedding_as_its_own_stage(
    study, django_capture_on_commit_callbacks, monkeypatch
):
    stages = []
    report = services.RunProgress.report

    def noting(self, stage, percent, *, part):
        stages.append((part, stage))
        return report(self, stage, percent, part=part)

    monkeypatch.setattr(services.RunProgress, "report", noting)
    run = _run(study, django_capture_on_commit_callbacks)
    parts = [part for part, _ in stages]
    assert "embedding" in parts
    assert parts.index("engine") < parts.index("embedding") < parts.index("plots")
    assert ("embedding", "embedding 18 texts (0 cached)") in stages

    section = run.results["diversity"]
    assert section["model"] == embeddings.model_id()
    assert set(section["groups"]) == {"human", "ai", "collaboration"}
    for key, group in section["groups"].items():
        assert (group["n_samples"], group["n_briefs"]) == (6, 2), key
        assert set(group) == {
            "n_samples",
            "n_briefs",
            "semantic_similarity",
            "tfidf_similarity",
            "distinct_1",
            "distinct_2",
            "distinct_3",
            "compression_ratio",
            "reasons",
        }
    collaboration = section["groups"]["collaboration"]["semantic_similarity"]
    human = section["groups"]["human"]["semantic_similarity"]
    assert collaboration["mean"] > human["mean"] + 0.3
    assert collaboration["ci95"][0] <= collaboration["mean"] <= collaboration["ci95"][1]
    assert len(section["between_groups"]) == 3
    assert {(tuple(d["groups"]), d["measure"]) for d in section["differences"]} == {
        (pair, measure)
        for pair in (("human", "ai"), ("human", "collaboration"), ("ai", "collaboration"))
        for measure in ("semantic_similarity", "tfidf_similarity")
    }
    for row in section["differences"]:
        assert row["p"] <= row["p_holm"] <= 1
    assert "diversity" in [plot["key"] for plot in run.plots]


@pytest.mark.django_db
def test_a_second_analysis_embeds_nothing(study, django_capture_on_commit_callbacks, monkeypatch):
    first = _run(study, django_capture_on_commit_callbacks)
    assert TextEmbedding.objects.filter(model=embeddings.model_id()).count() == len(TEXTS)

    def refuse(*args, **kwargs):
        raise AssertionError("embedded again")

    monkeypatch.setattr(embeddings, "embed", refuse)
    second = _run(study, django_capture_on_commit_callbacks)
    assert TextEmbedding.objects.count() == len(TEXTS)
    # Same vectors, same seed: the same section.
    assert second.results["diversity"] == first.results["diversity"]
    _, embedded = documents.text_embeddings(
        texts=[t for _, _, t in TEXTS],
        hashes=list(
            study.samples.filter(is_attention_check=False)
            .order_by("id")
            .values_list("content_sha256", flat=True)
        ),
    )
    assert embedded == 0


@pytest.mark.django_db
def test_the_results_page_says_which_group_is_more_alike_and_shows_the_plot(
    study, django_capture_on_commit_callbacks, client, researcher
):
    run = _run(study, django_capture_on_commit_callbacks)
    client.force_login(researcher)
    html = client.get(reverse("analysis:study_results", args=[study.slug])).content.decode()
    section = run.results["diversity"]
    mean = {k: g["semantic_similarity"]["mean"] for k, g in section["groups"].items()}
    (row,) = [
        d
        for d in section["differences"]
        if d["measure"] == "semantic_similarity" and d["groups"] == ["human", "collaboration"]
    ]
    p = row["p_holm"]
    shown = "p &lt; 0.001" if p < 0.001 else f"p = {p:.3f}"
    assert (
        f"Human-AI collaboration samples are more alike than Human only ones: similarity "
        f"{mean['collaboration']:.2f} vs {mean['human']:.2f}, {shown}."
    ) in html
    assert 'id="plot-diversity"' in html
    assert reverse("analysis:run_plot", args=[run.pk, "diversity"]) in html


@pytest.mark.django_db
def test_analyze_csv_gets_the_section_from_the_samples_file(
    study, django_capture_on_commit_callbacks, tmp_path
):
    run = _run(study, django_capture_on_commit_callbacks)
    ratings = tmp_path / "ratings.csv"
    call_command("export_ratings", study.slug, "--output", str(ratings))
    samples = tmp_path / "samples.csv"
    lines = ["group,brief,text,attention"]
    lines += [f'{group},{brief},"{text}",' for group, brief, text in TEXTS]
    lines.append('human,harbour,"Please give this text the lowest score.",true')
    samples.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = StringIO()
    call_command(
        "analyze_csv",
        str(ratings),
        "--samples",
        str(samples),
        "--json",
        "--group-order",
        "human,ai,collaboration",
        stdout=out,
    )
    section = json.loads(out.getvalue())["diversity"]
    stored = run.results["diversity"]
    assert set(section["groups"]) == set(stored["groups"])
    for key, group in section["groups"].items():
        assert group["n_samples"] == 6  # the attention check is left out
        for measure in ("semantic_similarity", "tfidf_similarity"):
            assert group[measure]["mean"] == pytest.approx(
                stored["groups"][key][measure]["mean"], abs=1e-6
            )
        assert group["distinct_2"] == stored["groups"][key]["distinct_2"]

    text = StringIO()
    call_command("analyze_csv", str(ratings), "--samples", str(samples), stdout=text)
    assert "Diversity: Human-AI collaboration samples are more alike" not in text.getvalue()
    assert "Diversity: collaboration samples are more alike than human ones" in text.getvalue()

    samples.write_text('group,brief,text\nrobot,harbour,"Beep."\n,harbour,"Nobody."\n')
    with pytest.raises(CommandError) as failed:
        call_command("analyze_csv", str(ratings), "--samples", str(samples))
    assert "samples.csv line 3, field group: missing; every sample needs a group" in str(
        failed.value
    )
    samples.write_text('group,brief,text\nrobot,harbour,"Beep."\n')
    with pytest.raises(CommandError) as failed:
        call_command("analyze_csv", str(ratings), "--samples", str(samples))
    assert "samples.csv line 2, field group: unknown group 'robot' (known: " in str(failed.value)
