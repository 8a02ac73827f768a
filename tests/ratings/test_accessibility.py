"""Accessibility, checked as a rater's browser and screen reader meet the pages: axe-core
(WCAG 2.1 A and AA rules) in Chromium on every page a rater can see, in each shipped
language, and on the researcher's results page; the scale's names as Chromium's
accessibility tree hands them to a screen reader; a whole study rated in German with the
keyboard alone on a phone; a right-to-left language laid out right to left.

axe-core comes from npm (package.json and its lock; `make install` runs `npm ci`).
"""

import io
import wave
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from PIL import Image

from analysis.models import AnalysisRun
from analysis.tasks import analysis_run_task
from ratings import services as rating_services
from ratings.models import Participant, Rating
from studies import services
from tests.conftest import SEED_GROUPS
from tests.ratings.chromium import chromium, consent_and_start, needs_chromium
from tests.ratings.raters import import_with_media, open_study

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SHIPPED = [code for code, _ in settings.LANGUAGES]
PHONE = {"width": 390, "height": 844}
# 320 CSS pixels: a phone's narrowest, and a 640-pixel window zoomed to 200 %.
NARROW = {"width": 320, "height": 640}
# What each language calls a few of the platform's words (its catalogue in locale/).
WORDS = {
    "en": {"start": "Start", "submit": "Submit and continue", "item": "Item 1 of 3"},
    "de": {"start": "Beginnen", "submit": "Absenden und weiter", "item": "Element 1 von 3"},
    "es": {"start": "Empezar", "submit": "Enviar y continuar", "item": "Elemento 1 de 3"},
    "fr": {"start": "Commencer", "submit": "Envoyer et continuer", "item": "Élément 1 sur 3"},
}

needs_axe = pytest.mark.skipif(
    not AXE.exists(), reason="axe-core is not installed (make install runs npm ci)"
)
pytestmark = [needs_chromium, needs_axe, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def audit_context(browser, **options):
    # The audit injects axe-core as a script of its own (Playwright's add_script_tag),
    # which the pages' Content-Security-Policy (scripts by nonce only) would block: the
    # audit's browser context bypasses the CSP. The pages' own scripts and styles keep
    # their nonces as in production (tests/test_csp.py).
    return browser.new_context(bypass_csp=True, **options)


def audit(page, name: str) -> None:
    """Fail with every WCAG 2.1 A/AA violation axe-core finds on the page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_21_A_AA,
    )
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
        for v in result["violations"]
    ]
    assert not found, f"the {name} page: " + "; ".join(found)


def audit_rater_page(page, name: str, language: str) -> None:
    """The page in `language`, clean by axe-core, and without sideways scrolling at 320 px."""
    assert page.get_attribute("html", "lang") == language, name
    audit(page, f"{name} ({language})")
    assert fits(page, NARROW), f"the {name} page ({language}) scrolls sideways at 320 px"


def fits(page, viewport: dict) -> bool:
    """Whether the page needs no sideways scrolling at this width."""
    before = page.viewport_size
    page.set_viewport_size(viewport)
    fitted = page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.set_viewport_size(before)
    return fitted


@pytest.mark.parametrize("language", SHIPPED)
def test_every_rater_page_passes_axe_core_in_each_shipped_language(
    browser, live_server, researcher, monkeypatch, language
):
    """Welcome, consent error, rate, rate with an error, refused, notice, 503, 500, 404,
    done, full and closed: each audited in the study's rater language."""
    study = open_study(
        researcher,
        slug=f"audit-{language}",
        per_group=1,
        samples_per_rater=3,
        ratings_per_sample=1,
        rater_language=language,
    )
    words = WORDS[language]
    base = f"{live_server.url}/s/{study.slug}/"
    context = audit_context(browser, viewport=PHONE)
    page = context.new_page()

    page.goto(f"{base}?PROLIFIC_PID=audit-1")
    audit_rater_page(page, "welcome", language)
    with page.expect_navigation():
        page.get_by_role("button", name=words["start"]).click()
    assert page.locator("#consent-error").is_visible()
    audit_rater_page(page, "welcome with its consent error", language)
    page.check("#consent")
    with page.expect_navigation():
        page.get_by_role("button", name=words["start"]).click()
    page.wait_for_url("**/rate/")
    assert page.locator("#progress-label").inner_text() == words["item"]
    audit_rater_page(page, "rate", language)
    assert fits(page, NARROW), "the rating page scrolls sideways at 320 px (200 % zoom)"

    with page.expect_navigation():
        page.get_by_role("button", name=words["submit"]).click()
    assert page.locator("[role=alert]").is_visible()
    audit_rater_page(page, "rate with an error", language)

    # Someone else's item (a stale or forged form): refused, nothing stored.
    page.evaluate("document.querySelector('input[name=item]').value = 'not-yours'")
    page.locator("input[name=quality][value='5']").check(force=True)
    with page.expect_navigation():
        page.get_by_role("button", name=words["submit"]).click()
    audit_rater_page(page, "refused", language)
    with page.expect_navigation():
        page.locator("a.button").click()
    page.wait_for_url("**/rate/")

    # The same external id from another browser: its consent is refused with a notice.
    other = audit_context(browser, viewport=PHONE).new_page()
    other.goto(f"{base}?PROLIFIC_PID=audit-1")
    other.check("#consent")
    with other.expect_navigation():
        other.get_by_role("button", name=words["start"]).click()
    audit_rater_page(other, "notice", language)

    # The database away while the rating is sent: the 503 page keeps the answer.
    def database_down(**kwargs):
        raise OperationalError("the database is restarting")

    monkeypatch.setattr(rating_services, "rating_submit_and_next", database_down)
    page.locator("input[name=quality][value='7']").check(force=True)
    with page.expect_navigation():
        page.get_by_role("button", name=words["submit"]).click()
    audit_rater_page(page, "503", language)
    monkeypatch.undo()
    with page.expect_navigation():  # sends the kept answer again
        page.locator("button.button").click()
    page.wait_for_url("**/rate/")
    assert Rating.objects.filter(score=7).count() == 1

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(rating_services, "participant_find", broken)
    page.goto(base)
    audit_rater_page(page, "500", language)
    monkeypatch.undo()

    page.goto(f"{base}media/no-such-item/")
    audit_rater_page(page, "404", language)

    page.goto(f"{base}rate/")
    while "/rate/" in page.url:
        page.locator("input[name=quality][value='8']").check(force=True)
        with page.expect_navigation():
            page.get_by_role("button", name=words["submit"]).click()
    page.wait_for_url("**/done/")
    audit_rater_page(page, "done", language)

    latecomer = audit_context(browser, viewport=PHONE).new_page()
    latecomer.goto(base)
    audit_rater_page(latecomer, "full", language)

    services.study_close(study=study)
    latecomer.goto(base)
    audit_rater_page(latecomer, "closed", language)


def consent(page, start: str) -> None:
    page.check("#consent")
    with page.expect_navigation():
        page.get_by_role("button", name=start).click()


@pytest.mark.parametrize("language", SHIPPED)
def test_the_pages_that_end_a_study_early_or_turn_a_rater_away_pass_axe_core(
    browser, live_server, researcher, language
):
    """Screened out, stopped, 429 (items held on the connection; too many starts from
    it), 400 (a link with a NUL) and 403 (a browser that keeps no cookies): each in the
    study's rater language."""
    study = open_study(
        researcher,
        slug=f"turned-{language}",
        per_group=2,
        samples_per_rater=3,
        rater_language=language,
        starts_per_address_hour=2,
        leases_per_address=1,
    )
    start = WORDS[language]["start"]
    base = f"{live_server.url}/s/{study.slug}/"
    page = audit_context(browser, viewport=PHONE).new_page()
    page.goto(f"{base}?PROLIFIC_PID=early-1")
    consent(page, start)
    page.wait_for_url("**/rate/")  # holds the connection's one item

    second = audit_context(browser, viewport=PHONE).new_page()
    second.goto(base)
    consent(second, start)
    assert second.url.endswith("/rate/") and second.locator("[role=alert]").is_visible()
    audit_rater_page(second, "429 (items open on the connection)", language)
    third = audit_context(browser, viewport=PHONE).new_page()
    third.goto(base)
    consent(third, start)
    assert third.locator("[role=alert]").is_visible()
    audit_rater_page(third, "429 (too many starts)", language)

    participant = Participant.objects.get(external_id="early-1")
    for status in (Participant.Status.SCREENED_OUT, Participant.Status.STOPPED):
        Participant.objects.filter(pk=participant.pk).update(status=status)
        page.goto(f"{base}done/")
        audit_rater_page(page, f"done ({status})", language)
    assert page.locator("#code").count() == 0  # stopped: the study has no partial code

    response = page.goto(f"{base}?PROLIFIC_PID=%00")
    assert response.status == 400 and response.headers["content-language"] == language
    audit_rater_page(page, "400 (a NUL in the link)", language)

    cookieless = audit_context(browser, viewport=PHONE)
    refused = cookieless.new_page()
    refused.goto(base)
    cookieless.clear_cookies()
    refused.check("#consent")
    with refused.expect_response(base) as answer:
        refused.get_by_role("button", name=start).click()
    assert answer.value.status == 403
    audit_rater_page(refused, "403 (no cookies)", language)


def _png(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x10" * 800)
    return out.getvalue()


def media_study(owner, kind: str):
    """An open study whose every sample is an image, or a sound."""
    study = services.study_create(
        owner=owner,
        slug=f"audit-{kind}",
        title="Look and listen",
        groups=SEED_GROUPS,
        samples_per_rater=3,
    )
    files, lines = {}, ["group,file"]
    for number, group in enumerate(("human", "ai", "collaboration")):
        name = f"{number}.{'png' if kind == 'image' else 'wav'}"
        files[name] = _png((60 * number, 90, 200)) if kind == "image" else _wav()
        lines.append(f"{group},{name}")
    import_with_media(study, lines, files)
    return services.study_open(study=study)


@pytest.mark.parametrize("kind", ["image", "audio"])
def test_image_and_audio_items_pass_axe_core(browser, live_server, researcher, kind):
    study = media_study(researcher, kind)
    page = audit_context(browser, viewport=PHONE).new_page()
    page.goto(f"{live_server.url}/s/{study.slug}/")
    consent_and_start(page)
    assert page.locator("img" if kind == "image" else "audio").count() == 1
    audit_rater_page(page, f"rate ({kind})", "en")


def test_the_pages_of_a_link_to_no_study_pass_axe_core(browser, live_server):
    """No study, so no rater language: the platform's own (English)."""
    page = audit_context(browser, viewport=PHONE).new_page()
    response = page.goto(f"{live_server.url}/s/no-such-study/?PROLIFIC_PID=%00")
    assert response.status == 400
    audit_rater_page(page, "bad request of no study", "en-us")
    response = page.goto(f"{live_server.url}/s/no-such-study/")
    assert response.status == 404
    audit_rater_page(page, "404 of no study", "en-us")


def _analysed(study, monkeypatch):
    from analysis import services as analysis_services

    # No worker here: the run's task is called below instead of being sent to one.
    monkeypatch.setattr(analysis_services, "_send", lambda run: None)
    run = analysis_services.analysis_start(study=study)
    analysis_run_task(run.pk)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return study


def rating_study_with_every_section(researcher, monkeypatch):
    """Claims, the frozen plan, groups, plots, model, tests, agreement, rater quality,
    z-scores, the source guesses and the diversity of texts written for shared briefs."""
    from analysis.plan_services import analysis_plan_compute
    from analysis.planning import Variance
    from tests.analysis.test_diversity_runs import TEXTS
    from tests.factories import closed_study

    def plan(draft):
        analysis_plan_compute(study=draft, variance=Variance(0.64, 0.49, 1.21))

    study = closed_study(
        researcher,
        slug="every-section",
        texts=TEXTS,
        raters=12,
        ask_source_guess=True,
        before_open=plan,
    )
    return _analysed(study, monkeypatch)


def pairwise_study_analysed(researcher, monkeypatch):
    from ratings.simulation import study_simulate_raters
    from tests.analysis.test_pairwise_preference import PAIR_TRUTH

    study = open_study(
        researcher,
        slug="pairs-analysed",
        per_group=4,
        samples_per_rater=6,
        ratings_per_sample=8,
        protocol="pairwise",
        allow_ties=True,
    )
    study_simulate_raters(study=study, raters=12, seed=3, model=PAIR_TRUTH)
    return _analysed(services.study_close(study=study), monkeypatch)


RESULTS_SECTIONS = {
    "ratings": ["claims", "planned", "groups", "plots", "model", "tests", "reliability",
                "rater-quality", "with-exclusions", "zscores", "detection", "diversity"],
    "pairwise": ["pairwise-claims", "win-rates", "bradley-terry", "plots", "diversity"],
}  # fmt: skip


@pytest.mark.parametrize("protocol", ["ratings", "pairwise"])
def test_the_results_page_with_every_section_passes_axe_core_wide_and_at_320_px(
    browser, live_server, researcher, client, monkeypatch, protocol
):
    made = rating_study_with_every_section if protocol == "ratings" else pairwise_study_analysed
    study = made(researcher, monkeypatch)
    client.force_login(researcher)
    context = audit_context(browser, viewport={"width": 1280, "height": 900})
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page = context.new_page()
    response = page.goto(f"{live_server.url}/analysis/{study.slug}/")
    assert response.status == 200
    shown = page.evaluate("[...document.querySelectorAll('section[id]')].map(s => s.id)")
    assert set(RESULTS_SECTIONS[protocol]) <= set(shown), shown
    assert page.locator("#diversity table").count() >= 1  # its tables, not only reasons
    audit(page, f"results ({protocol})")
    # At 320 px a wide table scrolls in its own box, which the keyboard reaches; the page
    # itself does not scroll sideways.
    assert fits(page, NARROW), f"the results page ({protocol}) scrolls sideways at 320 px"
    page.set_viewport_size(NARROW)
    audit(page, f"results ({protocol}) at 320 px")
    wide = page.locator(".scrolling").first
    assert wide.evaluate("box => box.scrollWidth > box.clientWidth")
    wide.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.scrolling').scrollLeft > 0")


def _ax_nodes(page) -> list[dict]:
    """Chromium's own accessibility tree of the page (what a screen reader is given)."""
    session = page.context.new_cdp_session(page)
    try:
        return session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()


def _value(node: dict, key: str) -> str:
    return str((node.get(key) or {}).get("value", ""))


def _property(node: dict, name: str):
    for prop in node.get("properties", []):
        if prop["name"] == name:
            return prop["value"].get("value")
    return None


def test_a_screen_reader_is_given_each_score_by_its_number_and_anchor(
    browser, live_server, researcher
):
    study = open_study(
        researcher,
        slug="names",
        per_group=1,
        samples_per_rater=3,
        criteria=[
            {"key": "quality", "label": "Overall quality"},
            {"key": "clarity", "label": "Clarity"},
        ],
    )
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{live_server.url}/s/{study.slug}/")
    # Start without consent: the error is the box's description, and the focus is on it.
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.title() == "Error: Rate these"
    assert page.evaluate("document.activeElement.id") == "consent"
    box = next(n for n in _ax_nodes(page) if _value(n, "role") == "checkbox")
    assert _property(box, "invalid") == "true"
    assert _value(box, "description") == (
        "⚠ Please tick the box to say you agree, or close this page to leave."
    )
    consent_and_start(page)
    assert page.title() == "Item 1 of 3 \u2013 Rate these"

    nodes = [n for n in _ax_nodes(page) if not n.get("ignored")]
    groups = [_value(n, "name") for n in nodes if _value(n, "role") == "radiogroup"]
    assert groups == ["Overall quality", "Clarity"]
    radios = [_value(n, "name") for n in nodes if _value(n, "role") == "radio"]
    scale = ["1 — Very poor", "2", "3", "4", "5", "6", "7", "8", "9", "10 — Excellent"]
    assert radios == scale * 2
    # The same names by role, as a person using a screen reader would look them up.
    for name in ("7", "10 — Excellent"):
        assert page.get_by_role("radio", name=name, exact=True).count() == 2

    # A missing score: the error is announced (an alert) and tied to its group.
    page.locator("input[name=clarity][value='4']").check(force=True)
    with page.expect_navigation():
        page.click("button[type=submit]")
    nodes = [n for n in _ax_nodes(page) if not n.get("ignored")]
    alerts = [n for n in nodes if _value(n, "role") == "alert"]
    assert len(alerts) == 1
    assert page.title() == "Error: Item 1 of 3 \u2013 Rate these"
    quality = next(
        n
        for n in nodes
        if _value(n, "role") == "radiogroup" and _value(n, "name") == "Overall quality"
    )
    assert _property(quality, "invalid") == "true"
    assert _value(quality, "description") == "⚠ Please choose a score."
    assert page.evaluate("document.activeElement.name") == "quality"
    assert page.locator("input[name=clarity][value='4']").is_checked()


def focus_ring(page) -> str:
    """The outline of the focused control as the keyboard user sees it (a scale's radio is
    invisible: its number's box shows the ring), or why there is none."""
    return page.evaluate(
        """() => {
        const focused = document.activeElement;
        if (!focused.matches(':focus-visible')) { return 'not focus-visible'; }
        const shown = focused.matches('.scale input') ? focused.nextElementSibling : focused;
        const style = getComputedStyle(shown);
        return `${style.outlineStyle} ${style.outlineWidth}`;
    }"""
    )


def test_a_whole_study_is_rated_in_german_with_the_keyboard_alone_on_a_phone(
    browser, live_server, researcher
):
    study = open_study(
        researcher,
        slug="tastatur",
        per_group=2,
        samples_per_rater=4,
        ratings_per_sample=3,
        rater_language="de",
    )
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{study.slug}/?PROLIFIC_PID=de-1")
    assert page.get_attribute("html", "lang") == "de"
    assert page.get_by_role("heading", name="Einwilligung").is_visible()

    # Every control the keyboard reaches shows where the focus is.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "consent"
    assert focus_ring(page) == "solid 3px"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Beginnen"
    assert focus_ring(page) == "solid 3px"
    page.keyboard.press("Enter")
    page.wait_for_url("**/rate/")
    hint = "Tastatur: Drücken Sie 1 bis 9 oder 0 für 10, dann die Eingabetaste."
    assert page.locator("#keys-hint").inner_text() == hint

    # Enter with no score: the German error, and the focus back on the scale.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("[role=alert]").inner_text() == "Bitte wählen Sie eine Bewertung."
    assert page.evaluate("document.activeElement.name") == "quality"

    for number, key in enumerate(["6", "0", "2", "8"], start=1):
        assert page.locator("#progress-label").inner_text() == f"Element {number} von 4"
        # The title a screen reader says first names the item (and the error, if any).
        refused = "Fehler: " if number == 1 else ""
        assert page.title() == f"{refused}Element {number} von 4 \u2013 Rate these"
        # Each new item starts with the focus on its scale: no mouse, no extra Tab.
        assert page.evaluate("document.activeElement.name") == "quality"
        assert focus_ring(page) == "solid 3px"
        page.keyboard.press(key)
        assert focus_ring(page) == "solid 3px"
        with page.expect_navigation():
            page.keyboard.press("Enter")

    page.wait_for_url("**/done/")
    assert page.get_by_role("heading", name="Vielen Dank").is_visible()
    assert "Ihr Abschlusscode lautet:" in page.content()
    assert page.locator("#code").inner_text() == "DONE-1234"
    participant = Participant.objects.get(external_id="de-1")
    stored = Rating.objects.filter(assignment__participant=participant).order_by(
        "assignment__position"
    )
    assert participant.status == "completed"
    assert list(stored.values_list("score", flat=True)) == [6, 10, 2, 8]


def test_a_right_to_left_language_lays_the_rater_pages_out_right_to_left(
    browser, live_server, researcher, settings
):
    # A pseudo-locale stands in for a right-to-left language (Arabic, Hebrew, Persian):
    # no catalogue, so its words stay English, but Django calls it bidirectional.
    settings.LANGUAGES = [*settings.LANGUAGES, ("qx", "Pseudo right-to-left")]
    settings.LANGUAGES_BIDI = [*settings.LANGUAGES_BIDI, "qx"]
    study = open_study(
        researcher, slug="rtl", per_group=1, samples_per_rater=3, rater_language="qx"
    )
    page = audit_context(browser, viewport=PHONE).new_page()
    page.goto(f"{live_server.url}/s/{study.slug}/")
    assert page.get_attribute("html", "dir") == "rtl"
    consent_and_start(page)
    assert page.get_attribute("html", "lang") == "qx"
    assert page.get_attribute("html", "dir") == "rtl"

    one = page.locator("input[name=quality][value='1'] + .point").bounding_box()
    two = page.locator("input[name=quality][value='2'] + .point").bounding_box()
    assert one["x"] > two["x"], "the scale should run from the right in a right-to-left page"
    legend = page.locator("legend").first.bounding_box()
    article = page.locator("article.sample").bounding_box()
    assert legend["x"] + legend["width"] == pytest.approx(article["x"] + article["width"], abs=2)
    assert fits(page, NARROW)


def test_a_rater_who_asks_for_reduced_motion_gets_no_animation_or_transition(
    browser, live_server, researcher
):
    """The rater pages move nothing; should a later style animate or fade anything, a
    rater whose system asks for reduced motion still gets a page that keeps still
    (rater_base.html's media rule). Checked by giving every element of the rating page an
    animation and a transition."""
    study = open_study(researcher, slug="still", per_group=1, samples_per_rater=3)
    page = audit_context(browser, viewport=PHONE).new_page()
    page.goto(f"{live_server.url}/s/{study.slug}/")
    consent_and_start(page)
    page.add_style_tag(
        content="@keyframes pulse { from { opacity: .5 } to { opacity: 1 } }"
        " * { animation: pulse 2s infinite; transition: background-color 1s; }"
    )
    moving = """() => [...document.querySelectorAll('body *')].filter(element => {
        const style = getComputedStyle(element);
        return style.animationName !== 'none'
            || style.transitionDuration.split(',').some(d => parseFloat(d) > 0);
    }).length"""
    page.emulate_media(reduced_motion="no-preference")
    assert page.evaluate(moving) > 0
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(moving) == 0
