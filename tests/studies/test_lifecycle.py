"""A study goes draft -> open -> closed; opening freezes its design as the pre-registration."""

import hashlib
import json
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from studies import design, services
from studies.importing import ImportFailed, samples_import
from studies.models import Brief, Claim, Group, Sample, Study
from tests.conftest import add_text_samples, needs_postgresql


@pytest.fixture
def open_study(draft_study):
    add_text_samples(draft_study)
    return services.study_open(study=draft_study)


def test_opening_stores_the_canonical_design_with_its_sha256(open_study):
    study = Study.objects.get(pk=open_study.pk)
    assert study.status == "open"
    assert study.opened_at is not None
    canonical = json.dumps(
        study.frozen_design, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert study.frozen_sha256 == hashlib.sha256(canonical).hexdigest()
    document = study.frozen_design
    assert [g["key"] for g in document["groups"]] == ["ai", "collaboration", "human"]
    assert {(c["kind"], tuple(c["groups"]), c["value"]) for c in document["claims"]} == {
        ("mean", ("human",), 6.5),
        ("mean", ("ai",), 4.5),
        ("mean", ("collaboration",), 8.5),
        ("difference", ("collaboration", "human"), 2.0),
    }
    assert document["scale"] == {
        "min": 1,
        "max": 10,
        "step": 1,
        "anchors": {"1": "Very poor", "10": "Excellent"},
    }
    assert document["criteria"] == [{"key": "quality", "label": "Overall quality"}]
    assert document["analysis_plan"] == {"alpha": 0.05, "equivalence_margin": 0.5}
    hashes = sorted(s["content_sha256"] for s in document["samples"])
    assert hashes == sorted(
        hashlib.sha256(s.text.encode()).hexdigest() for s in study.samples.all()
    )
    assert services.study_verify_preregistration(study=study)


def test_the_design_hash_changes_when_any_sample_changes(draft_study):
    add_text_samples(draft_study)
    before = design.sha256_hex(design.canonical_json(design.design_document(draft_study)))
    sample = draft_study.samples.first()
    sample.text = sample.text + " Changed."
    services.sample_save(sample=sample)
    after = design.sha256_hex(design.canonical_json(design.design_document(draft_study)))
    assert before != after


def test_a_study_without_samples_in_every_group_does_not_open(draft_study):
    samples_import(study=draft_study, file_name="s.csv", data=b"group,text\nhuman,Only one.\n")
    with pytest.raises(ValidationError) as error:
        services.study_open(study=draft_study)
    assert "ai, collaboration" in str(error.value)
    assert Study.objects.get(pk=draft_study.pk).status == "draft"


def test_open_then_close_and_no_other_transition(open_study):
    with pytest.raises(services.StudyConflict, match="only a draft study can be opened"):
        services.study_open(study=open_study)
    closed = services.study_close(study=open_study)
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(services.StudyConflict, match="only a open study can be closed"):
        services.study_close(study=closed)
    with pytest.raises(services.StudyConflict):
        services.study_open(study=closed)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: services.study_update(study=s, scale_max=7),
        lambda s: services.study_update(study=s, criteria=[{"key": "wit", "label": "Wit"}]),
        lambda s: services.study_update(study=s, ratings_per_sample=9),
        lambda s: services.group_create(study=s, key="robot", label="Robot"),
        lambda s: services.claim_create(study=s, group="ai", value=5.0),
        lambda s: services.brief_create(study=s, key="new-brief"),
        lambda s: services.sample_delete(sample=s.samples.first()),
        lambda s: samples_import(study=s, file_name="x.csv", data=b"group,text\nai,More.\n"),
    ],
    ids=["scale", "criteria", "settings", "group", "claim", "brief", "sample", "import"],
)
def test_every_frozen_part_is_refused_by_the_services_once_open(open_study, change):
    counts = (
        Group.objects.count(),
        Claim.objects.count(),
        Brief.objects.count(),
        Sample.objects.count(),
    )
    with pytest.raises(services.DesignFrozen) as error:
        change(open_study)
    assert "its design was frozen when it opened" in str(error.value)
    assert "poems" in str(error.value)
    study = Study.objects.get(pk=open_study.pk)
    assert (study.scale_max, study.ratings_per_sample) == (10, 5)
    assert counts == (
        Group.objects.count(),
        Claim.objects.count(),
        Brief.objects.count(),
        Sample.objects.count(),
    )
    assert services.study_verify_preregistration(study=study)


def test_texts_around_the_design_stay_editable_once_open(open_study):
    services.study_update(study=open_study, title="Poems, round 2", completion_code="C0DE42")
    study = Study.objects.get(pk=open_study.pk)
    assert (study.title, study.completion_code) == ("Poems, round 2", "C0DE42")


def test_the_admin_refuses_a_frozen_change_with_a_message(client, researcher, open_study):
    client.force_login(researcher)
    url = reverse("admin:studies_study_change", args=[open_study.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "its design was frozen when it opened" in page.content.decode()
    # The frozen fields are read-only: a forged POST of them changes nothing.
    form = {
        "slug": "poems",
        "title": "Renamed",
        "scale_min": 1,
        "scale_max": 3,
        "scale_step": 1,
        "ratings_per_sample": 99,
        "criteria": "[]",
        "groups-TOTAL_FORMS": 1,
        "groups-INITIAL_FORMS": 0,
        "groups-0-key": "robot",
        "groups-0-label": "Robot",
        "claims-TOTAL_FORMS": 0,
        "claims-INITIAL_FORMS": 0,
    }
    client.post(url, form)
    study = Study.objects.get(pk=open_study.pk)
    assert (study.scale_max, study.ratings_per_sample) == (10, 5)
    assert not study.groups.filter(key="robot").exists()
    sample = study.samples.first()
    sample_url = reverse("admin:studies_sample_change", args=[sample.pk])
    page = client.get(sample_url)
    assert "its design was frozen when it opened" in page.content.decode()
    client.post(
        sample_url,
        {
            "study": study.pk,
            "group": sample.group_id,
            "kind": "text",
            "text": "Forged.",
            "metadata": "{}",
        },
    )
    assert Sample.objects.get(pk=sample.pk).text == sample.text
    delete = reverse("admin:studies_sample_delete", args=[sample.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Sample.objects.filter(pk=sample.pk).exists()


def test_the_admin_open_and_close_buttons_move_the_study_along(client, researcher, draft_study):
    add_text_samples(draft_study)
    client.force_login(researcher)
    response = client.post(reverse("admin:studies_study_open", args=[draft_study.pk]))
    assert response.status_code == 302
    study = Study.objects.get(pk=draft_study.pk)
    assert study.status == "open" and len(study.frozen_sha256) == 64
    page = client.get(reverse("admin:studies_study_change", args=[study.pk]))
    assert study.frozen_sha256 in page.content.decode()
    client.post(reverse("admin:studies_study_close", args=[study.pk]))
    assert Study.objects.get(pk=study.pk).status == "closed"


def test_the_admin_says_why_a_study_cannot_open(client, researcher, draft_study):
    client.force_login(researcher)
    response = client.post(reverse("admin:studies_study_open", args=[draft_study.pk]), follow=True)
    assert OPEN_NEEDS_SAMPLES_TEXT in response.content.decode()
    assert Study.objects.get(pk=draft_study.pk).status == "draft"


OPEN_NEEDS_SAMPLES_TEXT = services.OPEN_NEEDS_SAMPLES


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_import_racing_the_opening_never_lands_after_the_freeze(researcher):
    """Opening and importing both lock the study row: the import either lands before the
    design is frozen (and is in it) or is refused."""
    from tests.conftest import SEED_GROUPS

    study = services.study_create(owner=researcher, slug="race", title="Race", groups=SEED_GROUPS)
    add_text_samples(study)
    barrier = threading.Barrier(2)
    outcomes = {}

    def run(name, action):
        try:
            barrier.wait()
            action()
            outcomes[name] = "ok"
        except services.DesignFrozen:
            outcomes[name] = "frozen"
        finally:
            connection.close()

    data = "group,text\n" + "\n".join(f"ai,Late sample {i}." for i in range(200))
    threads = [
        threading.Thread(target=run, args=("open", lambda: services.study_open(study=study))),
        threading.Thread(
            target=run,
            args=(
                "import",
                lambda: samples_import(study=study, file_name="x.csv", data=data.encode()),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    study.refresh_from_db()
    assert outcomes["open"] == "ok"
    frozen_tokens = {s["token"] for s in study.frozen_design["samples"]}
    assert frozen_tokens == set(study.samples.values_list("token", flat=True))
    assert services.study_verify_preregistration(study=study)
    expected = 206 if outcomes["import"] == "ok" else 6
    assert study.samples.count() == expected


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_ids_at_once_store_one_copy(researcher):
    """Both imports pass their checks before either commits; the study lock makes the second
    see the first's rows and refuse its duplicates, storing nothing."""
    from tests.conftest import SEED_GROUPS

    study = services.study_create(owner=researcher, slug="twins", title="T", groups=SEED_GROUPS)
    data = ("id,group,text\n" + "".join(f"s{i},ai,Text {i}.\n" for i in range(300))).encode()
    barrier = threading.Barrier(3)
    outcomes = []

    def run():
        try:
            barrier.wait()
            samples_import(study=study, file_name="same.csv", data=data)
            outcomes.append("ok")
        except ImportFailed as failure:
            outcomes.append(failure.errors[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    refused = [o for o in outcomes if o != "ok"]
    assert all("field id: duplicate id 's" in o and "(already in the study)" in o for o in refused)
    assert Sample.objects.filter(study=study).count() == 300
