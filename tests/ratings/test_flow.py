"""A rater's way through a study (DESIGN §3), through the real pages."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from ratings.models import Assignment, Participant, Rating
from ratings.services import MISSING_SCORE, NOT_YOUR_ITEM, STUDY_NOT_OPEN
from studies import services
from tests.ratings.raters import CODE, ITEM, PROGRESS, Rater, open_study


@pytest.fixture
def study(researcher):
    return open_study(researcher, per_group=4, samples_per_rater=6, ratings_per_sample=3)


def test_a_rater_consents_rates_every_item_and_gets_the_code_only_at_the_end(study):
    rater = Rater(study.slug)
    welcome = rater.enter(PROLIFIC_PID="pid-1", STUDY_ID="st-9", SESSION_ID="se-3")
    assert welcome.status_code == 200
    assert rater.consent().status_code == 303
    participant = Participant.objects.get(external_id="pid-1")
    assert (participant.external_study_id, participant.external_session_id) == ("st-9", "se-3")
    assert participant.consented_at is not None
    assert rater.get("done/").status_code == 303  # no code before the end
    seen_progress = []
    item, page = rater.item()
    for position in range(1, 7):
        seen_progress.append(PROGRESS.search(page.content.decode()).groups())
        page = rater.submit(item, quality=7)
        if position < 6:  # the next item comes back with the POST: one round trip each
            assert page.status_code == 200
            item = ITEM.search(page.content.decode()).group(1)
        else:
            assert page.status_code == 303 and page["Location"] == f"/s/{study.slug}/done/"
    assert seen_progress == [(str(k), "6") for k in range(1, 7)]
    assert rater.code() == "DONE-1234"
    participant.refresh_from_db()
    assert participant.status == "completed" and participant.finished_at is not None
    before_end = rater.pages[:-1]
    assert not any("DONE-1234" in p.content.decode() for p in before_end)
    assert Rating.objects.filter(assignment__participant=participant).count() == 6


def test_the_pages_work_without_javascript_and_use_plain_forms(study):
    rater = Rater(study.slug)
    rater.enter()
    rater.consent()
    _, page = rater.item()
    html = page.content.decode()
    assert '<form method="post"' in html and 'type="radio" name="quality" value="10"' in html
    assert 'type="submit"' in html
    assert "Item 1 of 6" in html and "1 = Very poor" in html


def test_a_returning_participant_resumes_the_same_item(study):
    """In the same browser by its cookie; in another one only with the whole Prolific
    triple (the session id is per attempt and not public), never by the PID alone."""
    link = {"PROLIFIC_PID": "pid-2", "STUDY_ID": "st-1", "SESSION_ID": "se-secret-9"}
    rater = Rater(study.slug)
    rater.enter(**link)
    rater.consent()
    first, _ = rater.item()
    rater.submit(first, quality=5)
    current, _ = rater.item()
    again, _ = rater.item()  # a reload
    assert again == current
    other_browser = Rater(study.slug)
    entry = other_browser.enter(**link)
    assert entry.status_code == 303 and entry["Location"].endswith("/rate/")
    resumed, page = other_browser.item()
    assert resumed == current
    assert "Item 2 of 6" in page.content.decode()
    assert Participant.objects.filter(external_id="pid-2").count() == 1


def test_without_an_external_id_the_participant_is_tied_to_the_session(study):
    rater = Rater(study.slug)
    rater.enter()
    consent = rater.consent()
    item, _ = rater.item()
    participant = Participant.objects.get()
    assert participant.external_id == "" and participant.session_key
    # The browser holds a random key, sent only to this study's pages, out of scripts' reach.
    cookie = consent.cookies["blindrate_rater"]
    assert cookie.value == participant.session_key and len(cookie.value) >= 32
    assert cookie["path"] == f"/s/{study.slug}/" and cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert rater.enter().status_code == 303  # back to work, no second consent
    assert Rater(study.slug).enter().status_code == 200  # a new browser is a new person
    assert Participant.objects.count() == 1
    assert rater.item()[0] == item


def test_consent_is_required(study):
    rater = Rater(study.slug)
    rater.enter()
    response = rater.client.post(f"/s/{study.slug}/", {})
    assert response.status_code == 400
    assert "Please tick the box" in response.content.decode()
    assert Participant.objects.count() == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, MISSING_SCORE),
        ({"quality": "11"}, "must be between 1 and 10"),
        ({"quality": "0"}, "must be between 1 and 10"),
        ({"quality": "7.5"}, "steps of 1"),
        ({"quality": "seven"}, "is not a score"),
    ],
)
def test_a_bad_score_reshows_the_item_with_the_error_and_stores_nothing(study, values, message):
    rater = Rater(study.slug)
    rater.enter()
    rater.consent()
    item, _ = rater.item()
    response = rater.submit(item, **values)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and ITEM.search(html).group(1) == item
    assert Rating.objects.count() == 0
    assert Assignment.objects.get(token=item).submitted_at is None


def test_someone_elses_item_is_refused_and_nothing_is_stored(study):
    alice, bob = Rater(study.slug), Rater(study.slug)
    for rater in (alice, bob):
        rater.enter()
        rater.consent()
    alices_item, _ = alice.item()
    bob.item()
    response = bob.submit(alices_item, quality=9)
    assert response.status_code == 409
    assert NOT_YOUR_ITEM in response.content.decode()
    assert Rating.objects.count() == 0


def test_a_rating_posted_after_the_study_closed_is_refused(study):
    rater = Rater(study.slug)
    rater.enter()
    rater.consent()
    item, _ = rater.item()
    services.study_close(study=study)
    response = rater.submit(item, quality=4)
    assert response.status_code == 409 and STUDY_NOT_OPEN in response.content.decode()
    assert Rating.objects.count() == 0
    assert rater.item()[1].status_code == 410


def test_repeating_a_post_changes_nothing_and_moves_on(study):
    rater = Rater(study.slug)
    rater.enter()
    rater.consent()
    item, _ = rater.item()
    first = rater.submit(item, quality=3)
    again = rater.submit(item, quality=9)  # a reload of the POST, or a double click
    assert first.status_code == again.status_code == 200
    rating = Rating.objects.get()
    assert rating.score == 3
    next_item, _ = rater.item()
    assert next_item != item
    assert ITEM.search(first.content.decode()).group(1) == next_item
    assert ITEM.search(again.content.decode()).group(1) == next_item


def test_seconds_on_the_item_are_measured_by_the_server(study):
    rater = Rater(study.slug)
    rater.enter()
    rater.consent()
    item, _ = rater.item()
    Assignment.objects.filter(token=item).update(served_at=timezone.now() - timedelta(seconds=42))
    rater.submit(item, quality=6, seconds=0.001)
    assert Rating.objects.get().seconds == pytest.approx(42, abs=2)


def test_draft_closed_and_full_studies_get_a_clear_page_and_no_code(researcher, study):
    draft = services.study_create(owner=researcher, slug="later", title="Later Secret Title")
    page = Rater(draft.slug).enter()
    assert page.status_code == 404 and "Later Secret Title" not in page.content.decode()
    full = open_study(
        researcher, slug="tiny", per_group=1, samples_per_rater=3, ratings_per_sample=1
    )
    first = Rater(full.slug)
    first.enter()
    first.consent()
    assert first.rate_all() == 3
    late = Rater(full.slug)
    page = late.enter()
    assert page.status_code == 200 and "nothing left for you to rate" in page.content.decode()
    assert "DONE-1234" not in page.content.decode()
    services.study_close(study=study)
    page = Rater(study.slug).enter()
    assert page.status_code == 410 and "has closed" in page.content.decode()
    assert not CODE.search(page.content.decode())


def test_a_participant_failing_attention_checks_gets_the_screen_out_code(researcher):
    study = open_study(
        researcher,
        slug="checked",
        per_group=4,
        checks=3,
        samples_per_rater=10,
        attention_check_rate=0.3,
        attention_fail_limit=2,
    )
    rater = Rater(study.slug)
    rater.enter()
    rater.consent()
    failed = 0
    while failed < 2:
        item, _ = rater.item()
        assert item is not None, "the participant ran out before failing two checks"
        is_check = Assignment.objects.get(token=item).sample.is_attention_check
        failed += is_check
        rater.submit(item, quality=9)  # a check expects 1-2: 9 fails it
    assert rater.item()[1].status_code == 303
    assert rater.code() == "SCREEN-99"
    participant = Participant.objects.get()
    assert participant.status == "screened_out" and participant.flags["attention_failures"] == 2


def test_attention_checks_come_at_the_configured_rate_and_never_first(researcher):
    study = open_study(
        researcher,
        slug="checks",
        per_group=6,
        checks=4,
        samples_per_rater=10,
        attention_check_rate=0.2,
    )
    for _ in range(8):
        rater = Rater(study.slug)
        rater.enter()
        rater.consent()
        rater.rate_all(score=1)
    for participant in Participant.objects.all():
        assignments = list(participant.assignments.order_by("position"))
        assert len(assignments) == 10
        checks = [a.position for a in assignments if a.sample.is_attention_check]
        assert len(checks) == 2 and 1 not in checks
        assert participant.status == "completed"
    placements = {
        tuple(
            p.assignments.filter(sample__is_attention_check=True).values_list("position", flat=True)
        )
        for p in Participant.objects.all()
    }
    assert len(placements) > 1


def test_the_done_page_sends_the_participant_on_when_configured(researcher):
    study = open_study(
        researcher,
        slug="prolific",
        per_group=1,
        samples_per_rater=3,
        redirect_url="https://app.prolific.com/submissions/complete?cc={code}",
    )
    rater = Rater(study.slug)
    rater.enter(PROLIFIC_PID="p")
    rater.consent()
    rater.rate_all()
    html = rater.get("done/").content.decode()
    target = "https://app.prolific.com/submissions/complete?cc=DONE-1234"
    assert f'content="0; url={target}"' in html and f'href="{target}"' in html


class Rollback(Exception):
    pass


def test_source_guesses_are_stored_and_never_change_what_is_served(researcher):
    study = open_study(
        researcher, slug="guess", per_group=3, samples_per_rater=6, ask_source_guess=True
    )

    def run(guess: str) -> list[str]:
        rater = Rater(study.slug)
        rater.enter()
        rater.consent()
        Participant.objects.filter(study=study).update(seed=12345)
        item, page = rater.item()
        html = page.content.decode()
        assert 'name="guess" value="ai"' in html and "Who do you think made it?" in html
        assert rater.submit(item, quality=5).status_code == 400  # the guess is required
        rater.submit(item, quality=5, guess=guess)
        rater.rate_all(guess=guess)
        ratings = Rating.objects.filter(assignment__participant__study=study)
        assert set(ratings.values_list("guess", flat=True)) == {guess}
        return list(
            Assignment.objects.filter(participant__study=study)
            .order_by("position")
            .values_list("sample__token", flat=True)
        )

    # The same participant (same seed, same study state) guessing differently.
    with pytest.raises(Rollback), transaction.atomic():
        guessing_ai = run("ai")
        raise Rollback
    assert run("human") == guessing_ai
