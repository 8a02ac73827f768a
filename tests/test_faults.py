"""What users get while a part of the platform fails (the database, the broker, the media
volume, the cache): a 503 or 507 that says what to do, nothing half-stored, no traceback.

The failures are injected where the platform meets the part (a database call that raises
OperationalError, a broker URL nobody listens on, a storage write that runs out of space).
bench/faults.py does the same to the real services under load.
"""

import errno
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.test import Client
from PIL import Image
from redis.exceptions import ConnectionError as RedisConnectionError

from analysis.models import AnalysisRun
from analysis.services import QUEUE_UNAVAILABLE
from analysis.tasks import analysis_run_task
from config.unavailable import NOT_LOADED, NOT_SAVED, RETRY_AFTER_SECONDS
from ratings.models import Assignment, Rating
from studies.media_files import MEDIA_UNWRITABLE
from studies.models import Sample
from tests.api.conftest import client_for
from tests.ratings.raters import Rater, open_study

pytestmark = pytest.mark.django_db
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
DOWN = OperationalError("server closed the connection unexpectedly")
CLOSED_PORT = "redis://127.0.0.1:9/0"  # discard: nobody listens there


@pytest.fixture
def study(researcher):
    return open_study(
        researcher, slug="faulty", per_group=3, samples_per_rater=4, ratings_per_sample=2
    )


@pytest.fixture
def rater(study):
    rater = Rater(study.slug)
    rater.client.raise_request_exception = False
    rater.enter()
    rater.consent()
    return rater


def fail_after_the_rating_is_written(monkeypatch):
    """The database goes away inside the rating's transaction, after the INSERT."""

    def down(*args, **kwargs):
        raise DOWN

    monkeypatch.setattr("ratings.services.submission.assignment_next_locked", down)


# The rater's pages.


def test_a_rating_post_that_meets_a_database_failure_stores_nothing_and_keeps_the_score(
    rater, monkeypatch
):
    item, _ = rater.item()
    fail_after_the_rating_is_written(monkeypatch)
    response = rater.submit(item, quality=7)

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert NOT_SAVED in page and "Traceback" not in page
    assert not Rating.objects.exists()
    assert Assignment.objects.get(token=item).submitted_at is None
    assert dict(HIDDEN.findall(page)) == {"item": item, "quality": "7"}


def test_the_kept_form_sent_again_stores_the_rating_once(rater, monkeypatch):
    item, _ = rater.item()
    with monkeypatch.context() as patched:
        fail_after_the_rating_is_written(patched)
        page = rater.submit(item, quality=7).content.decode()
    again = rater.client.post(f"/s/{rater.slug}/rate/", dict(HIDDEN.findall(page)))
    assert again.status_code == 200
    assert (
        rater.client.post(f"/s/{rater.slug}/rate/", dict(HIDDEN.findall(page))).status_code == 200
    )
    stored = Rating.objects.get()
    assert stored.assignment.token == item and stored.score == 7


def test_a_failure_after_the_rating_committed_does_not_say_it_was_lost(rater, monkeypatch):
    item, _ = rater.item()

    def down(*args, **kwargs):
        raise DOWN

    # The rating's transaction commits; drawing the next item's page fails.
    monkeypatch.setattr("ratings.selectors.rater_item", down)
    response = rater.submit(item, quality=4)
    assert response.status_code == 303
    assert response["Location"].endswith(f"/s/{rater.slug}/rate/")
    assert Rating.objects.get().assignment.token == item


def test_a_rater_page_that_cannot_reach_the_database_answers_503_with_a_retry(rater, monkeypatch):
    def down(*args, **kwargs):
        raise DOWN

    monkeypatch.setattr("ratings.selectors.study_for_raters", down)
    response = rater.get("rate/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert NOT_LOADED in page and "Traceback" not in page and "<input" not in page


def test_no_other_form_is_written_back_into_the_page(researcher, monkeypatch):
    def down(*args, **kwargs):
        raise DOWN

    monkeypatch.setattr("django.contrib.auth.forms.authenticate", down)
    browser = Client(raise_request_exception=False)
    response = browser.post("/admin/login/", {"username": "ada", "password": "pw-ada-123456"})
    assert response.status_code == 503
    assert "pw-ada-123456" not in response.content.decode()
    assert not HIDDEN.findall(response.content.decode())


def test_an_unexpected_error_shows_the_plain_page_without_a_traceback(rater, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("ratings.selectors.study_for_raters", broken)
    response = rater.get("rate/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert "ZeroDivisionError" not in page and "Traceback" not in page


# The API.


def test_the_api_answers_json_503_when_the_database_is_down(researcher, monkeypatch):
    def down(*args, **kwargs):
        raise DOWN

    monkeypatch.setattr("api.views.api_study_list", down)
    response = client_for(researcher).get("/api/studies/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json()["error"]["code"] == "unavailable"
    assert "nothing was stored" in response.json()["error"]["message"]


def test_the_api_counts_no_requests_but_still_answers_while_the_cache_is_down(
    researcher, monkeypatch
):
    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    # Whichever cache is configured (Redis in CI, a local one on SQLite).
    monkeypatch.setattr(type(caches["default"]), "get", down)
    assert client_for(researcher).get("/api/studies/").status_code == 200


# Starting an analysis needs the broker; nothing else does.


@pytest.fixture
def broker_down():
    conf = analysis_run_task.app.conf
    names = ("broker_url", "broker_write_url", "broker_transport_options")
    saved = {name: conf.get(name) for name in names}
    conf.update(broker_url=CLOSED_PORT, broker_write_url=CLOSED_PORT, broker_transport_options={})
    yield
    conf.update(saved)


def test_starting_an_analysis_without_a_broker_says_so_and_stores_no_run(
    study, researcher, broker_down
):
    response = client_for(researcher).post(
        f"/api/studies/{study.slug}/analyses/", {}, format="json"
    )
    assert response.status_code == 503
    assert response.json()["error"] == {
        "status": 503,
        "code": "queue_unavailable",
        "message": QUEUE_UNAVAILABLE,
    }
    assert not AnalysisRun.objects.exists()
    with pytest.raises(CommandError, match="task queue is unavailable"):
        call_command("analyze", study.slug)
    assert not AnalysisRun.objects.exists()

    browser = Client()
    browser.force_login(researcher)
    page = browser.post(f"/analysis/{study.slug}/start/", follow=True)
    assert QUEUE_UNAVAILABLE in page.content.decode()
    assert not AnalysisRun.objects.exists()


def test_rating_goes_on_without_a_broker(rater, broker_down):
    item, _ = rater.item()
    assert rater.submit(item, quality=5).status_code == 200
    assert Rating.objects.count() == 1


# Health checks.


def test_health_reports_the_database_and_the_broker_separately(broker_down):
    response = Client().get("/healthz/")
    assert response.status_code == 200  # raters need the database only
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "error": None}
    assert body["broker"]["ok"] is False and body["broker"]["error"]


def test_health_is_503_while_the_database_is_down(monkeypatch):
    def down(*args, **kwargs):
        raise DOWN

    monkeypatch.setattr("config.health.connection.cursor", down)
    response = Client().get("/healthz/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json()["database"]["ok"] is False
    assert Client().get("/healthz/live/").status_code == 200


# A media volume that is full.


def png(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


def fill_volume(monkeypatch, room: int) -> list[str]:
    """A media volume with room for `room` files: the next one written runs out of space
    halfway, as a full disk does (Django's storage leaves that part on disk), and so does
    every one after it. The names written to, in order."""
    real_save, writes = FileSystemStorage._save, []

    def save(storage, name, content):
        writes.append(name)
        if len(writes) <= room:
            return real_save(storage, name, content)
        Path(storage.path(name)).parent.mkdir(parents=True, exist_ok=True)
        Path(storage.path(name)).write_bytes(content.read()[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", save)
    return writes


@pytest.fixture
def full_volume(monkeypatch):
    """Room for two files: the third runs out of space halfway."""
    return fill_volume(monkeypatch, room=2)


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def media_zip() -> tuple[bytes, io.BytesIO]:
    rows = ["group,file,brief"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, group in enumerate(("human", "ai", "collaboration", "human")):
            archive.writestr(f"p{index}.png", png((index * 50, 20, 90)))
            rows.append(f"{group},p{index}.png,b{index}")
    buffer.seek(0)
    return "\n".join(rows).encode(), buffer


def test_an_import_that_fills_the_media_volume_leaves_no_rows_and_no_files(
    draft_study, media_root, full_volume, tmp_path
):
    csv, archive = media_zip()
    folder = tmp_path / "import"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder)
    (folder / "samples.csv").write_bytes(csv)
    with pytest.raises(CommandError) as failed:
        call_command(
            "import_samples", draft_study.slug, str(folder / "samples.csv"), "--media", str(folder)
        )
    assert "line 4, field file" in str(failed.value)
    assert "no space left on the media volume" in str(failed.value)
    assert len(full_volume) == 3
    assert not Sample.objects.exists()
    assert files_in(Path(media_root)) == []


def test_the_api_answers_507_when_the_media_volume_is_full(
    draft_study, researcher, media_root, full_volume
):
    api = client_for(researcher)
    answers = []
    for index in range(3):
        upload = io.BytesIO(png((index, index, index)))
        upload.name = f"p{index}.png"
        answer = api.post(
            f"/api/studies/{draft_study.slug}/samples/",
            {"group": "human", "file": upload},
            format="multipart",
        )
        answers.append(answer)
    assert [a.status_code for a in answers] == [201, 201, 507]
    error = answers[2].json()["error"]
    assert error["code"] == "insufficient_storage"
    assert error["message"] == MEDIA_UNWRITABLE.format(cause="no space left on the media volume")
    assert Sample.objects.count() == 2
    assert len(files_in(Path(media_root))) == 2


def test_the_admin_import_names_the_full_media_volume(
    draft_study, researcher, media_root, full_volume
):
    csv, archive = media_zip()
    browser = Client()
    browser.force_login(researcher)
    samples = io.BytesIO(csv)
    samples.name, archive.name = "samples.csv", "media.zip"
    page = browser.post(
        f"/admin/studies/study/{draft_study.pk}/import/", {"samples": samples, "media": archive}
    )
    assert page.status_code == 200
    assert "no space left on the media volume" in page.content.decode()
    assert not Sample.objects.exists()
    assert files_in(Path(media_root)) == []


def test_an_admin_upload_on_a_full_media_volume_keeps_the_sample_as_it_was(
    draft_study, researcher, media_root, monkeypatch
):
    """Adding an image sample, then replacing its image, once the volume is full: the page
    names the cause, the sample keeps its image, no new sample and no new file."""
    writes = fill_volume(monkeypatch, room=1)
    browser = Client()
    browser.force_login(researcher)
    group = draft_study.groups.get(key="ai")

    def form(upload_colour, external_id):
        upload = io.BytesIO(png(upload_colour))
        upload.name = "image.png"
        return {
            "study": draft_study.pk,
            "group": group.pk,
            "kind": "image",
            "text": "",
            "external_id": external_id,
            "metadata": "{}",
            "upload": upload,
        }

    assert browser.post("/admin/studies/sample/add/", form((1, 2, 3), "kept")).status_code == 302
    sample = Sample.objects.get()
    kept = files_in(Path(media_root))
    assert [p.name for p in kept] == [Path(sample.media.name).name]
    image = kept[0].read_bytes()
    said = MEDIA_UNWRITABLE.format(cause="no space left on the media volume")

    changed = browser.post(
        f"/admin/studies/sample/{sample.pk}/change/", form((200, 0, 0), "kept"), follow=True
    )
    assert said in changed.content.decode()
    added = browser.post("/admin/studies/sample/add/", form((0, 200, 0), "new"), follow=True)
    assert said in added.content.decode()

    assert len(writes) == 3, "both refused uploads reached the volume"
    assert Sample.objects.get().media.name == sample.media.name
    assert files_in(Path(media_root)) == kept
    assert kept[0].read_bytes() == image
