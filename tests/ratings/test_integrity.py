"""A live study's integrity against a rater who attacks it (issue: takeovers, filling,
unearned codes): each finding of the security review, as the attacker tried it."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ratings import services as rating_services
from ratings.models import Assignment, Participant
from studies.models import Sample, Study
from tests.ratings.raters import CODE, Rater, open_study

pytestmark = pytest.mark.django_db
ATTACKER = "203.0.113.66"


@pytest.fixture
def study(researcher):
    return open_study(
        researcher,
        slug="guarded",
        per_group=4,
        samples_per_rater=6,
        ratings_per_sample=3,
        partial_code="PART-77",
    )


def cookie_of(response) -> str:
    cookie = response.cookies.get("blindrate_rater")
    return cookie.value if cookie else ""


# 1. Takeover by external id.


def test_knowing_someones_id_never_hands_their_participant_over(study):
    victim = Rater(study.slug)
    victim.enter(participant="p1")
    victim.consent()
    held, _ = victim.item()
    key = Participant.objects.get(external_id="p1").session_key

    attacker = Rater(study.slug, client=Client(REMOTE_ADDR=ATTACKER))
    known = attacker.enter(participant="p1")
    unknown = Rater(study.slug, client=Client(REMOTE_ADDR=ATTACKER)).enter(participant="p2")
    # The same answer for an id that exists and one that does not.
    assert known.status_code == unknown.status_code == 200
    assert not cookie_of(known) and not cookie_of(unknown)
    refused = attacker.consent()
    assert refused.status_code == 409
    assert "browser you started in" in refused.content.decode()
    assert key not in cookie_of(refused) and not cookie_of(refused)
    assert Participant.objects.filter(external_id="p1").count() == 1
    assert attacker.get("rate/").status_code == 303  # still nobody: back to the welcome
    assert victim.item()[0] == held


def test_prolific_re_entry_needs_the_whole_triple(study):
    link = {"PROLIFIC_PID": "pid-5", "STUDY_ID": "st-1", "SESSION_ID": "se-private-1"}
    first = Rater(study.slug)
    first.enter(**link)
    first.consent()
    key = Participant.objects.get(external_id="pid-5").session_key

    guess = Rater(study.slug, client=Client(REMOTE_ADDR=ATTACKER))
    page = guess.enter(**{**link, "SESSION_ID": "se-guessed"})
    assert page.status_code == 200 and not cookie_of(page)
    assert guess.consent().status_code == 409

    same_person = Rater(study.slug)
    back = same_person.enter(**link)
    assert back.status_code == 303 and cookie_of(back) == key


# 2. One person filling the study.


def test_a_scripted_filler_is_stopped_and_a_real_rater_still_gets_in(study):
    Study.objects.filter(pk=study.pk).update(starts_per_address_hour=5, leases_per_address=3)
    answers = []
    for _ in range(12):
        filler = Rater(study.slug, client=Client(REMOTE_ADDR=ATTACKER))
        filler.enter()
        consent = filler.consent()
        answers.append(consent.status_code)
        if consent.status_code == 303:
            answers.append(filler.get("rate/").status_code)
    # Five starts an hour from one address, and three open items at once among them.
    assert answers[:10] == [303, 200, 303, 200, 303, 200, 303, 429, 303, 429]
    assert answers[10:] == [429] * 7
    study.refresh_from_db()
    assert study.starts_refused == 7
    held = Assignment.objects.filter(participant__study=study, submitted_at=None)
    assert held.count() == 3

    real = Rater(study.slug)  # a rater on a connection of their own
    real.enter(PROLIFIC_PID="real-1")
    assert real.consent().status_code == 303
    assert real.rate_all() == 6
    assert real.code() == "DONE-1234"


def test_the_study_panel_counts_the_refused_starts(study, client, researcher):
    Study.objects.filter(pk=study.pk).update(starts_per_address_hour=1)
    for _ in range(3):
        filler = Rater(study.slug, client=Client(REMOTE_ADDR=ATTACKER))
        filler.enter()
        filler.consent()
    client.force_login(researcher)
    page = client.get(f"/admin/studies/study/{study.pk}/change/").content.decode()
    assert "limit of new participants per address: 2" in page


def test_a_consent_form_is_good_for_one_participant(study):
    first = Rater(study.slug)
    first.enter()
    form = first.consent_form()
    assert first.consent(form=form).status_code == 303
    replay = Rater(study.slug)  # the same form sent again, from elsewhere
    replay.enter()
    answer = replay.consent(form=form)
    assert answer.status_code == 400 and "sent already" in answer.content.decode()
    forged = Rater(study.slug)
    forged.enter()
    assert forged.consent(form="made-up:token").status_code == 400
    assert Participant.objects.count() == 1


def test_a_participant_who_never_rates_gives_the_slot_back_within_minutes(study):
    rater = Rater(study.slug)
    rater.enter()
    rater.consent()
    item, _ = rater.item()
    first = Assignment.objects.get(token=item)
    assert first.lease_expires_at - first.served_at == timedelta(minutes=5)
    load = Sample.objects.get(pk=first.sample_id).load
    assert rating_services.leases_release(now=timezone.now() + timedelta(minutes=6)) == 1
    assert Sample.objects.get(pk=first.sample_id).load == load - 1
    # Later items have the study's whole lease.
    rater.submit(rater.item()[0], quality=5)
    second = Assignment.objects.filter(participant=first.participant, position=2).get()
    assert second.lease_expires_at - second.served_at == timedelta(minutes=30)


# 3. Codes only for the work done.


def test_a_participant_stopped_because_the_study_filled_gets_the_partial_code(researcher):
    small = open_study(
        researcher,
        slug="small",
        per_group=1,
        samples_per_rater=3,
        ratings_per_sample=1,
        partial_code="PART-77",
    )
    a, b = Rater(small.slug), Rater(small.slug)
    for rater in (a, b):
        rater.enter()
        rater.consent()
    a_first, _ = a.item()
    b_first, _ = b.item()
    a.submit(a_first, quality=5)  # a takes the last free sample
    b.submit(b_first, quality=5)  # nothing left for b
    a.submit(a.item()[0], quality=5)  # nothing left for a either
    assert b.code() == "PART-77" and a.code() == "PART-77"
    statuses = set(Participant.objects.values_list("status", flat=True))
    assert statuses == {Participant.Status.STOPPED}
    for rater in (a, b):
        assert "DONE-1234" not in rater.get("done/").content.decode()


def test_a_minimum_of_items_earns_the_completion_code(researcher):
    small = open_study(
        researcher,
        slug="small",
        per_group=1,
        samples_per_rater=3,
        ratings_per_sample=1,
        partial_code="PART-77",
        min_items_for_code=2,
    )
    a, b = Rater(small.slug), Rater(small.slug)
    for rater in (a, b):
        rater.enter()
        rater.consent()
    a_first, b_first = a.item()[0], b.item()[0]
    a.submit(a_first, quality=5)
    b.submit(b_first, quality=5)
    a.submit(a.item()[0], quality=5)
    assert (a.code(), b.code()) == ("DONE-1234", "PART-77")


@pytest.mark.parametrize("screen_out", [False, True])
def test_a_speeder_is_flagged_and_screened_out_when_the_study_asks(researcher, screen_out):
    fast = open_study(
        researcher,
        slug="fast",
        per_group=2,
        samples_per_rater=6,
        ratings_per_sample=3,
        min_median_seconds=4.0,
        screen_out_speeders=screen_out,
    )
    rater = Rater(fast.slug)
    rater.enter()
    rater.consent()
    assert rater.rate_all() == 6  # a script, milliseconds per item
    participant = Participant.objects.get()
    assert participant.flags.get("speeder") is True
    expected = "SCREEN-99" if screen_out else "DONE-1234"
    assert rater.code() == expected


def test_a_screened_out_browser_cannot_start_again_under_a_new_id(researcher):
    fast = open_study(
        researcher,
        slug="fast",
        per_group=2,
        samples_per_rater=6,
        ratings_per_sample=3,
        min_median_seconds=4.0,
        screen_out_speeders=True,
    )
    rater = Rater(fast.slug)
    rater.enter(PROLIFIC_PID="first-id")
    rater.consent()
    rater.rate_all()
    assert rater.code() == "SCREEN-99"
    again = rater.enter(PROLIFIC_PID="second-id")
    assert again.status_code == 303 and again["Location"].endswith("/done/")
    assert not CODE.search(rater.get("rate/").content.decode())
    assert Participant.objects.count() == 1


# 8. Drafts.


def test_a_draft_a_missing_and_a_misspelled_slug_give_the_same_404(researcher):
    from studies import services

    services.study_create(owner=researcher, slug="secret-draft", title="Unreleased Title")
    answers = [Client().get(f"/s/{slug}/") for slug in ("secret-draft", "nothing", "secret-drat")]
    assert {a.status_code for a in answers} == {404}
    # The same page, but for the CSP nonce, which is new on every response.
    assert len({re.sub(rb'nonce="[^"]+"', b"", a.content) for a in answers}) == 1
    assert "Unreleased Title" not in answers[0].content.decode()
    for path in ("rate/", "done/", "media/x/"):
        assert Client().get(f"/s/secret-draft/{path}").status_code == 404
