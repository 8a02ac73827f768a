"""The pairwise page in a real browser (Debian's Chromium via Playwright): a whole study
compared on a phone with the keyboard alone, the pair stacked on a phone and side by side
on a wide screen, and axe-core (WCAG 2.1 A/AA) on the page, with and without an error, in
each shipped language."""

import pytest

from ratings.models import Comparison, Participant
from tests.ratings.chromium import chromium, consent_and_start, needs_chromium
from tests.ratings.raters import open_study
from tests.ratings.test_accessibility import (
    NARROW,
    PHONE,
    SHIPPED,
    audit_context,
    audit_rater_page,
    fits,
    needs_axe,
)

WIDE = {"width": 1280, "height": 900}
SUBMIT = {
    "en": "Submit and continue",
    "de": "Absenden und weiter",
    "es": "Enviar y continuar",
    "fr": "Envoyer et continuer",
}
pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def pair_study(researcher, slug, **settings):
    return open_study(researcher, slug=slug, protocol="pairwise", **settings)


def test_a_rater_compares_a_whole_study_with_the_keyboard_alone_on_a_phone(
    browser, live_server, researcher
):
    study = pair_study(
        researcher,
        "pair-phone",
        per_group=2,
        samples_per_rater=4,
        ratings_per_sample=4,
        allow_ties=True,
        ask_strength=True,
    )
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{study.slug}/?PROLIFIC_PID=pair-phone-1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "consent"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/rate/")

    answers = [("a", "3", "a", "much"), ("b", "1", "b", "slightly"), ("t", "", "tie", ""),
               ("b", "2", "b", "clearly")]  # fmt: skip
    for number, (key, strength_key, choice, strength) in enumerate(answers, start=1):
        assert page.locator("#progress-label").inner_text() == f"Item {number} of 4"
        assert page.evaluate("document.activeElement.name") == "choice"
        first = page.locator("#piece-a").bounding_box()
        second = page.locator("#piece-b").bounding_box()
        assert second["y"] > first["y"] + first["height"], "A and B are stacked on a phone"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.keyboard.press(key)
        assert page.locator(f"input[name=choice][value='{choice}']").is_checked()
        if strength_key:
            page.keyboard.press(strength_key)
            assert page.locator(f"input[name=strength][value='{strength}']").is_checked()
        with page.expect_navigation():
            page.keyboard.press("Enter")
    page.wait_for_url("**/done/")
    assert page.locator("#code").inner_text() == "DONE-1234"
    participant = Participant.objects.get(external_id="pair-phone-1")
    assert participant.status == "completed"
    stored = list(
        Comparison.objects.filter(assignment__participant=participant)
        .order_by("assignment__position")
        .values_list("choice", "strength")
    )
    assert stored == [(choice, strength) for _, _, choice, strength in answers]


def test_the_pair_is_side_by_side_on_a_wide_screen(browser, live_server, researcher):
    study = pair_study(researcher, "pair-wide", per_group=1, samples_per_rater=2)
    page = browser.new_context(viewport=WIDE).new_page()
    page.goto(f"{live_server.url}/s/{study.slug}/")
    consent_and_start(page)
    first = page.locator("#piece-a").bounding_box()
    second = page.locator("#piece-b").bounding_box()
    assert abs(first["y"] - second["y"]) < 1 and second["x"] > first["x"] + first["width"]


@needs_axe
@pytest.mark.parametrize("language", SHIPPED)
def test_the_pairwise_page_passes_axe_core_with_and_without_an_error(
    browser, live_server, researcher, language
):
    study = pair_study(
        researcher,
        f"pair-audit-{language}",
        per_group=1,
        samples_per_rater=2,
        allow_ties=True,
        ask_strength=True,
        rater_language=language,
    )
    page = audit_context(browser, viewport=PHONE).new_page()
    page.goto(f"{live_server.url}/s/{study.slug}/")
    consent_and_start(page)
    audit_rater_page(page, "pairwise", language)
    assert fits(page, NARROW), "the pairwise page scrolls sideways at 320 px (200 % zoom)"
    with page.expect_navigation():
        page.get_by_role("button", name=SUBMIT[language]).click()
    assert page.locator("[role=alert]").first.is_visible()
    audit_rater_page(page, "pairwise with an error", language)
    page.set_viewport_size(WIDE)
    audit_rater_page(page, "pairwise on a wide screen", language)
