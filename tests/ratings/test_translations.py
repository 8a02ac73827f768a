"""The platform's own words on the rater pages, in the study's rater language.

Catalogues (locale/<language>/LC_MESSAGES/django.po, compiled to django.mo, both committed)
must hold every rater string of the source, translated, none fuzzy, with the .mo compiled
from the .po as it is. The researcher's pages and the API stay English.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from ratings.models import Participant
from studies import design, services
from tests.checkout import checkout_copy
from tests.ratings.raters import ITEM, Rater, open_study

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")

needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="GNU gettext is not installed here (.ci/run installs it)",
)


def catalogue_problems(locale: Path, language: str) -> list[str]:
    """What keeps `language`'s catalogue under `locale` from being complete and in use."""
    folder = locale / language / "LC_MESSAGES"
    if not (folder / "django.po").exists() or not (folder / "django.mo").exists():
        return [f"{language}: no catalogue (django.po and django.mo)"]
    po = polib.pofile(str(folder / "django.po"))
    problems = [f"{language}: untranslated {e.msgid!r}" for e in po.untranslated_entries()]
    problems += [f"{language}: fuzzy {e.msgid!r}" for e in po.fuzzy_entries()]
    problems += [f"{language}: obsolete {e.msgid!r}" for e in po.obsolete_entries()]
    for entry in po.translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text and sorted(set(PLACEHOLDER.findall(text))) != sorted(set(wanted)):
                problems.append(f"{language}: placeholders of {entry.msgid!r} changed: {text!r}")
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural)
        for e in polib.mofile(str(folder / "django.mo"))
        if e.msgid
    }
    written = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in po.translated_entries()}
    if compiled != written:
        problems.append(f"{language}: django.mo is not compiled from django.po (make messages)")
    return problems


def regenerated_locale(copy: Path) -> Path:
    """The catalogues of `copy` brought up to date with its source, as `make messages` does."""
    ignore = ["--ignore=.venv", "--ignore=node_modules", "--ignore=tests", "--ignore=bench"]
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--all",
            "--no-location",
            "--no-obsolete",
            *ignore,
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return copy / "locale"


def test_german_spanish_and_french_ship_with_complete_catalogues_compiled_as_committed():
    assert TRANSLATED == ["de", "es", "fr"]
    problems = [p for language in TRANSLATED for p in catalogue_problems(ROOT / "locale", language)]
    assert problems == []


@needs_gettext
def test_the_catalogues_hold_every_rater_string_of_the_source(tmp_path):
    locale = regenerated_locale(checkout_copy(tmp_path / "blindrate"))
    problems = [p for language in TRANSLATED for p in catalogue_problems(locale, language)]
    assert problems == [], "run `make messages` and translate what it added"


@needs_gettext
def test_a_rater_string_without_a_translation_fails_the_catalogue_check(tmp_path):
    copy = checkout_copy(tmp_path / "blindrate")
    page = copy / "ratings" / "templates" / "ratings" / "full.html"
    page.write_text(
        page.read_text().replace("{% endblock %}", '{% translate "A new sentence" %}{% endblock %}')
    )
    locale = regenerated_locale(copy)
    for language in TRANSLATED:
        assert f"{language}: untranslated 'A new sentence'" in catalogue_problems(locale, language)


def test_a_compiled_catalogue_older_than_its_source_fails_the_catalogue_check(tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale)
    po_path = locale / "de" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path))
    po.find("Start").msgstr = "Los geht's"
    po.save(str(po_path))
    assert catalogue_problems(locale, "de") == [
        "de: django.mo is not compiled from django.po (make messages)"
    ]


@pytest.fixture
def german(researcher, db):
    return open_study(
        researcher,
        slug="gedichte",
        per_group=1,
        samples_per_rater=3,
        rater_language="de",
        ask_source_guess=True,
    )


def test_every_rater_page_of_a_german_study_speaks_german(german, client, researcher):
    rater = Rater(german.slug)
    welcome = rater.enter()
    html = welcome.content.decode()
    assert '<html lang="de" dir="ltr">' in html and welcome["Content-Language"] == "de"
    assert "Einwilligung" in html and "Sie bewerten bis zu 3 Elemente" in html
    refused = rater.client.post(f"/s/{german.slug}/", {})
    assert "Bitte setzen Sie das Häkchen" in refused.content.decode()

    rater.consent()
    item, page = rater.item()
    html = page.content.decode()
    assert "Element 1 von 3" in html and "Absenden und weiter" in html
    assert "Wer hat es Ihrer Meinung nach gemacht?" in html
    errors = rater.submit(item, quality="11").content.decode()
    assert "Die Bewertung muss zwischen 1 und 10 liegen." in errors
    assert "Bitte geben Sie an, wer es Ihrer Meinung nach gemacht hat." in errors
    missing = rater.submit(item).content.decode()
    assert "Bitte wählen Sie eine Bewertung." in missing
    assert "Please" not in missing
    not_yours = rater.submit("not-an-item", quality=5).content.decode()
    assert "Dieses Element gehört nicht zu Ihren." in not_yours
    assert "Nicht gefunden" in rater.get("media/no-such-item/").content.decode()

    rater.rate_all(guess="ai")
    done = rater.get("done/").content.decode()
    assert "Vielen Dank" in done and "Ihr Abschlusscode lautet:" in done

    # The researcher's pages in the same process stay English.
    client.force_login(researcher)
    admin = client.get(reverse("admin:studies_study_change", args=[german.pk]))
    assert 'lang="en-us"' in admin.content.decode()
    assert admin["Content-Language"] == "en-us"


def test_pages_refused_before_their_view_speak_the_studys_language(german):
    """A link with a NUL (refused by config.middleware) and a form without its CSRF cookie
    (a browser that keeps no cookies) never reach the rater view, yet they answer in the
    study's rater language; a study that does not exist, in English."""
    refused = Client().get(f"/s/{german.slug}/?PROLIFIC_PID=%00")
    html = refused.content.decode()
    assert refused.status_code == 400 and refused["Content-Language"] == "de"
    assert '<html lang="de"' in html and "<title>Ungültige Anfrage</title>" in html
    assert (
        "Die Anfrage kann nicht verwendet werden: PROLIFIC_PID enthält Zeichen, die nicht "
        "gespeichert werden können." in html
    )
    # Django's own refusals (here: more form fields than it reads) on the same page.
    fields = {f"f{number}": "x" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    too_many = Client(raise_request_exception=False).post(f"/s/{german.slug}/", fields)
    assert too_many.status_code == 400
    assert "Die Anfrage konnte nicht gelesen werden." in too_many.content.decode()
    nowhere = Client().get("/s/no-such-study/?PROLIFIC_PID=%00")
    assert nowhere.status_code == 400 and '<html lang="en-us"' in nowhere.content.decode()

    cookieless = Client(enforce_csrf_checks=True)
    forbidden = cookieless.post(f"/s/{german.slug}/", {"consent": "yes"})
    html = forbidden.content.decode()
    assert forbidden.status_code == 403 and forbidden["Content-Language"] == "de"
    assert '<html lang="de"' in html and "Bitte erlauben Sie Cookies für diese Website." in html
    assert Participant.objects.count() == 0
    # The researcher's login keeps Django's own page, in English.
    login = cookieless.post("/admin/login/", {"username": "ada", "password": "x"})
    assert login.status_code == 403 and "CSRF verification failed" in login.content.decode()
    assert login["Content-Language"] == "en-us"


def test_an_unknown_address_under_a_study_says_not_found_in_its_language(german, draft_study):
    """/s/<slug>/anything: the "not found" page in the study's rater language; under a
    draft's address or a study that does not exist, the same page in English."""
    missing = Client().get(f"/s/{german.slug}/no/such/page/")
    html = missing.content.decode()
    assert missing.status_code == 404 and missing["Content-Language"] == "de"
    assert '<html lang="de"' in html and "<title>Nicht gefunden</title>" in html
    english = [
        Client().get(path)
        for path in ("/s/no-such-study/", "/s/no-such-study/x/", f"/s/{draft_study.slug}/x/")
    ]
    assert {page.status_code for page in english} == {404}
    bodies = {re.sub(r'nonce="[^"]+"', "", page.content.decode()) for page in english}
    assert len(bodies) == 1 and "<title>Not found</title>" in bodies.pop()
    assert {page["Content-Language"] for page in english} == {"en-us"}


def test_an_english_study_shows_the_platforms_words_in_english(researcher):
    study = open_study(researcher, slug="poems-en", per_group=1, samples_per_rater=3)
    rater = Rater(study.slug)
    rater.enter()
    rater.consent()
    item, page = rater.item()
    assert '<html lang="en" dir="ltr">' in page.content.decode()
    assert "Please choose a score." in rater.submit(item).content.decode()
    assert ITEM.search(page.content.decode()).group(1) == item


def test_the_rater_language_is_frozen_with_the_design(german, draft_study):
    assert german.frozen_design["settings"]["rater_language"] == "de"
    with pytest.raises(services.DesignFrozen, match="rater_language"):
        services.study_update(study=german, rater_language="fr")
    services.study_update(study=draft_study, rater_language="es")
    document = design.design_document(draft_study)
    assert document["settings"]["rater_language"] == "es"
    assert services.study_verify_preregistration(study=german)


def test_an_english_studys_design_document_is_as_before_the_setting_existed(draft_study):
    """Studies frozen before the rater language existed ran in English: their documents,
    and so their pre-registration hashes, stay as they were."""
    assert draft_study.rater_language == "en"
    assert "rater_language" not in design.design_document(draft_study)["settings"]


def test_only_a_shipped_language_can_be_chosen(researcher):
    with pytest.raises(ValidationError) as refused:
        services.study_create(owner=researcher, slug="klingon", title="K", rater_language="tlh")
    assert "rater_language" in refused.value.message_dict


def test_the_api_sets_and_reads_back_the_rater_language(researcher):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(researcher)
    body = {
        "slug": "api-fr",
        "title": "Poèmes",
        "groups": [{"key": "human"}],
        "rater_language": "fr",
    }
    created = api.post("/api/studies/", body, format="json")
    assert created.status_code == 201, created.content
    assert api.get("/api/studies/api-fr/").json()["rater_language"] == "fr"
    wrong = api.post(
        "/api/studies/", {**body, "slug": "api-xx", "rater_language": "xx"}, format="json"
    )
    assert wrong.status_code == 400 and "rater_language" in wrong.json()["error"]["fields"]


def test_a_german_study_beside_an_english_one_leaves_the_english_pages_english(german, researcher):
    """The language is the study's and ends with the request: the next request, in the
    same process, speaks its own study's language."""
    english = open_study(researcher, slug="poems-en2", per_group=1, samples_per_rater=3)
    Rater(german.slug).enter()
    page = Rater(english.slug).enter().content.decode()
    assert '<html lang="en"' in page and "Consent" in page
    assert Participant.objects.count() == 0
