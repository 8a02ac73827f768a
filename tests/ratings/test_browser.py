"""End to end in a real browser: Debian's Chromium driven by Playwright, on a phone-sized
viewport, with the keyboard alone. The rating page's screenshot is kept in test-artifacts/.
"""

from pathlib import Path

import pytest

from ratings.models import Participant, Rating
from tests.ratings.chromium import chromium, consent_and_start, needs_chromium
from tests.ratings.raters import open_study

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_a_rater_completes_a_study_with_the_keyboard_alone_on_a_phone(
    browser, live_server, researcher
):
    study = open_study(
        researcher, slug="phone", per_group=2, samples_per_rater=4, ratings_per_sample=3
    )
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{study.slug}/?PROLIFIC_PID=phone-1")
    assert page.title() == "Rate these"

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "consent"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/rate/")

    scores = ["7", "0", "3", "9"]
    for number, key in enumerate(scores, start=1):
        assert page.locator("#progress-label").inner_text() == f"Item {number} of 4"
        assert page.evaluate("document.activeElement.name") == "quality"
        if number == 1:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "rating-page-phone.png"), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], "the rating page scrolls sideways on a phone"
        page.keyboard.press(key)
        expected = "10" if key == "0" else key
        assert page.locator(f"input[name=quality][value='{expected}']").is_checked()
        with page.expect_navigation():
            page.keyboard.press("Enter")

    page.wait_for_url("**/done/")
    assert page.locator("#code").inner_text() == "DONE-1234"
    participant = Participant.objects.get(external_id="phone-1")
    assert participant.status == "completed"
    scores_stored = list(
        Rating.objects.filter(assignment__participant=participant)
        .order_by("assignment__position")
        .values_list("score", flat=True)
    )
    assert scores_stored == [7, 10, 3, 9]
    assert (ARTIFACTS / "rating-page-phone.png").stat().st_size > 10_000


@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_a_missing_score_is_announced_and_focused_in_the_browser(browser, live_server, researcher):
    study = open_study(researcher, slug="phone-error", per_group=1, samples_per_rater=3)
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{live_server.url}/s/{study.slug}/")
    consent_and_start(page)
    page.click("button[type=submit]")
    alert = page.locator("[role=alert]")
    assert alert.inner_text().endswith("Please choose a score.")
    assert page.evaluate("document.activeElement.name") == "quality"
    assert Rating.objects.count() == 0
