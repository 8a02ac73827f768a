"""The researcher's admin: every page renders, and a researcher sees only their own studies."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from studies import services
from studies.models import Sample, Study
from tests.conftest import SEED_GROUPS, add_text_samples


@pytest.fixture
def rival_study(other_researcher):
    study = services.study_create(
        owner=other_researcher, slug="rival-secret", title="Rival", groups=SEED_GROUPS
    )
    add_text_samples(study)
    return study


@pytest.fixture
def logged_in(client, researcher):
    client.force_login(researcher)
    return client


def png_upload(name="pic.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (10, 200, 10)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_every_admin_page_of_a_study_renders_for_its_researcher(logged_in, draft_study):
    add_text_samples(draft_study)
    sample = draft_study.samples.first()
    brief = draft_study.briefs.first()
    pages = [
        reverse("admin:index"),
        reverse("admin:studies_study_changelist"),
        reverse("admin:studies_study_add"),
        reverse("admin:studies_study_change", args=[draft_study.pk]),
        reverse("admin:studies_study_import", args=[draft_study.pk]),
        reverse("admin:studies_sample_changelist"),
        reverse("admin:studies_sample_changelist") + f"?study__id__exact={draft_study.pk}",
        reverse("admin:studies_sample_changelist") + "?group=ai&kind__exact=text",
        reverse("admin:studies_sample_change", args=[sample.pk]),
        reverse("admin:studies_sample_add"),
        reverse("admin:studies_brief_changelist"),
        reverse("admin:studies_brief_change", args=[brief.pk]),
    ]
    for url in pages:
        response = logged_in.get(url)
        assert response.status_code == 200, url


def test_the_study_page_shows_groups_claims_and_the_progress_panel(logged_in, draft_study):
    add_text_samples(draft_study)
    page = logged_in.get(reverse("admin:studies_study_change", args=[draft_study.pk]))
    html = page.content.decode()
    assert "Human-AI collaboration" in html
    assert 'value="8.5"' in html
    assert "Participants by status" in html
    assert "Samples short of target (6" in html
    assert "Import samples" in html


def test_a_researcher_never_sees_another_researchers_study(logged_in, draft_study, rival_study):
    listing = logged_in.get(reverse("admin:studies_study_changelist")).content.decode()
    assert "poems" in listing and "rival-secret" not in listing
    samples = logged_in.get(reverse("admin:studies_sample_changelist")).content.decode()
    assert "rival-secret" not in samples
    rival_sample = rival_study.samples.first()
    hidden = [
        reverse("admin:studies_study_change", args=[rival_study.pk]),
        reverse("admin:studies_sample_change", args=[rival_sample.pk]),
        reverse("admin:studies_study_import", args=[rival_study.pk]),
    ]
    for url in hidden:
        response = logged_in.get(url, follow=True)
        assert response.status_code == 404 or "exist" in response.content.decode()
        assert "rival-secret" not in response.content.decode()
    response = logged_in.post(reverse("admin:studies_study_open", args=[rival_study.pk]))
    assert response.status_code == 404
    assert Study.objects.get(pk=rival_study.pk).status == "draft"


def test_a_superuser_sees_every_study(client, draft_study, rival_study):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root-1234")
    client.force_login(admin)
    listing = client.get(reverse("admin:studies_study_changelist")).content.decode()
    assert "poems" in listing and "rival-secret" in listing


def test_the_import_form_stores_a_file_and_reports_every_error(logged_in, draft_study):
    url = reverse("admin:studies_study_import", args=[draft_study.pk])
    bad = SimpleUploadedFile("s.csv", b"group,text\nhuman,Fine.\nrobot,Beep.\nai,\n")
    page = logged_in.post(url, {"samples": bad}).content.decode()
    assert "Nothing was imported" in page
    assert "s.csv line 3, field group: unknown group &#x27;robot&#x27;" in page
    assert "s.csv line 4, field text: missing" in page
    assert Sample.objects.count() == 0
    good = SimpleUploadedFile("s.csv", b"group,text\nhuman,Fine.\nai,Also fine.\n")
    response = logged_in.post(url, {"samples": good}, follow=True)
    assert "Imported 2 samples (human 1, ai 1)." in response.content.decode()
    assert Sample.objects.count() == 2


def test_an_admin_sample_with_an_uploaded_image_is_cleaned_and_previewed(logged_in, draft_study):
    group = draft_study.groups.get(key="ai")
    response = logged_in.post(
        reverse("admin:studies_sample_add"),
        {
            "study": draft_study.pk,
            "group": group.pk,
            "kind": "image",
            "text": "",
            "external_id": "img-1",
            "metadata": "{}",
            "upload": png_upload("ai-render.png"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sample = Sample.objects.get(external_id="img-1")
    assert sample.kind == "image" and "ai-render" not in sample.media.name
    assert len(sample.content_sha256) == 64
    page = logged_in.get(reverse("admin:studies_sample_change", args=[sample.pk]))
    media_url = reverse("studies:sample_media", args=[sample.token])
    assert media_url in page.content.decode()
    media = logged_in.get(media_url)
    assert media.status_code == 200 and media["Content-Type"] == "image/png"
    assert "no-store" in media["Cache-Control"]


def test_sample_media_are_not_served_to_anyone_but_the_studys_researchers(
    client, other_researcher, draft_study
):
    group = draft_study.groups.get(key="ai")
    sample = Sample(study=draft_study, group=group, kind="image")
    services.sample_save(
        sample=sample,
        media_data=png_upload().read(),
        media_extension="png",
        media_type="image/png",
    )
    url = reverse("studies:sample_media", args=[sample.token])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(other_researcher)
    assert client.get(url).status_code == 404


UNSAFE_MARKDOWN = "**Bold** <script>alert('x')</script>"


def test_text_previews_in_the_admin_render_markdown_without_html(logged_in, draft_study):
    group = draft_study.groups.get(key="human")
    sample = services.sample_save(
        sample=Sample(study=draft_study, group=group, kind="text", text=UNSAFE_MARKDOWN)
    )
    page = logged_in.get(reverse("admin:studies_sample_change", args=[sample.pk]))
    html = page.content.decode()
    assert "<strong>Bold</strong>" in html
    assert "<script>alert" not in html


def study_add_form(**fields) -> dict:
    """The admin's add-study form as a browser posts it: every setting, no groups or claims,
    with `fields` changed."""
    form = {
        "slug": "new-study",
        "title": "New",
        "instructions": "",
        "consent_text": "",
        "scale_min": 1,
        "scale_max": 7,
        "scale_step": 1,
        "scale_anchors": '{"1": "Bad"}',
        "criteria": '[{"key": "quality", "label": "Quality"}]',
        "ratings_per_sample": 3,
        "samples_per_rater": 10,
        "lease_minutes": 30,
        "attention_check_rate": 0.1,
        "attention_fail_limit": 2,
        "guess_labels": "{}",
        "rater_language": "de",
        "protocol": "rating",
        "alpha": 0.05,
        "min_items_for_code": 0,
        "min_median_seconds": 0,
        "starts_per_address_hour": 20,
        "leases_per_address": 10,
        "first_lease_minutes": 5,
        "groups-TOTAL_FORMS": 0,
        "groups-INITIAL_FORMS": 0,
        "claims-TOTAL_FORMS": 0,
        "claims-INITIAL_FORMS": 0,
    }
    return {**form, **fields}


def test_a_researcher_creates_a_study_in_the_admin_and_owns_it(logged_in, researcher):
    form = study_add_form(
        **{
            "groups-TOTAL_FORMS": 2,
            "groups-0-key": "human",
            "groups-0-label": "Human",
            "groups-1-key": "ai",
            "groups-1-label": "AI",
            "protocol": "pairwise",
            "allow_ties": "on",
        }
    )
    response = logged_in.post(reverse("admin:studies_study_add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    study = Study.objects.get(slug="new-study")
    assert study.owner == researcher and study.status == "draft"
    assert (study.protocol, study.allow_ties, study.ask_strength) == ("pairwise", True, False)
    assert study.rater_language == "de"
    assert sorted(study.groups.values_list("key", flat=True)) == ["ai", "human"]


def test_the_admin_refuses_a_scale_anchor_outside_the_scale(logged_in):
    form = study_add_form(slug="bad-scale", scale_anchors='{"10": "Top"}')
    response = logged_in.post(reverse("admin:studies_study_add"), form, follow=True)
    assert "anchor &#x27;10&#x27; must be between 1 and 7" in response.content.decode()
    assert not Study.objects.filter(slug="bad-scale").exists()


def test_a_researcher_sees_the_participants_of_their_own_studies_only(
    logged_in, draft_study, rival_study
):
    from ratings.models import Participant

    Participant.objects.create(study=draft_study, seed=1, external_id="MINE-PID")
    Participant.objects.create(study=rival_study, seed=2, external_id="THEIRS-PID")
    page = logged_in.get(reverse("admin:ratings_participant_changelist")).content.decode()
    assert "MINE-PID" in page and "THEIRS-PID" not in page
    mine = Participant.objects.get(external_id="MINE-PID")
    detail = logged_in.get(reverse("admin:ratings_participant_change", args=[mine.pk]))
    assert detail.status_code == 200 and "MINE-PID" in detail.content.decode()
    theirs = Participant.objects.get(external_id="THEIRS-PID")
    hidden = logged_in.get(reverse("admin:ratings_participant_change", args=[theirs.pk]))
    assert "THEIRS-PID" not in hidden.content.decode()


def test_the_participant_page_hides_the_cookie_key_and_the_seed(logged_in, draft_study):
    """Whoever reads the cookie key can act as the rater; the seed predicts their items."""
    from ratings.models import Participant

    rater = Participant.objects.create(
        study=draft_study, seed=987654321987, external_id="PID-7", session_key="cookie-key-XYZ42"
    )
    detail = logged_in.get(reverse("admin:ratings_participant_change", args=[rater.pk]))
    html = detail.content.decode()
    assert detail.status_code == 200 and "PID-7" in html and rater.pseudonym in html
    assert "cookie-key-XYZ42" not in html
    assert "987654321987" not in html


@pytest.mark.django_db(transaction=True)
def test_deleting_samples_in_the_admin_removes_their_media_files(
    logged_in, draft_study, media_root
):
    from studies.import_media import MediaZip
    from studies.importing import samples_import
    from tests.studies.test_import import png_bytes, zipped

    archive = MediaZip(
        zipped({f"p{i}.png": png_bytes((i, 9, 9)) for i in range(3)}),
        label="m.zip",
        max_bytes=10**6,
    )
    rows = "group,file\nhuman,p0.png\nai,p1.png\ncollaboration,p2.png\n"
    samples_import(study=draft_study, file_name="s.csv", data=rows.encode(), media=archive)
    one, *rest = Sample.objects.order_by("pk")
    files = {s.pk: media_root / s.media.name for s in (one, *rest)}
    assert all(path.exists() for path in files.values())

    page = logged_in.post(reverse("admin:studies_sample_delete", args=[one.pk]), {"post": "yes"})
    assert page.status_code == 302
    assert not files[one.pk].exists() and files[rest[0].pk].exists()

    bulk = {
        "action": "delete_selected",
        "post": "yes",
        "_selected_action": [str(s.pk) for s in rest],
    }
    assert logged_in.post(reverse("admin:studies_sample_changelist"), bulk).status_code == 302
    assert not Sample.objects.exists()
    assert not any(path.exists() for path in files.values())
