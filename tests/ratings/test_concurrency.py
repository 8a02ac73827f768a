"""Hundreds of raters at once: no rating lost or duplicated, balance kept, no sample over
its target. Row locks are only real on PostgreSQL, so these run there (CI does)."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from ratings.models import Assignment, Participant, Rating
from tests.conftest import needs_postgresql
from tests.ratings.raters import ITEM, Rater, open_study

PARTICIPANTS = 60
ITEMS = 3


def run_participant(slug: str, number: int, barrier: threading.Barrier, log: list, double: bool):
    try:
        rater = Rater(slug, Client())
        rater.enter(PROLIFIC_PID=f"p{number}")
        rater.consent()
        barrier.wait(timeout=60)
        while True:
            page = rater.get("rate/")
            if page.status_code != 200:
                break
            item = ITEM.search(page.content.decode()).group(1)
            if double:
                # The same POST twice at the same moment, from two connections.
                twin = Client()
                twin.cookies = rater.client.cookies
                statuses = []

                def repeat(twin=twin, item=item, statuses=statuses):
                    try:
                        response = twin.post(f"/s/{slug}/rate/", {"item": item, "quality": "6"})
                        statuses.append(response.status_code)
                    finally:
                        connection.close()

                other = threading.Thread(target=repeat)
                other.start()
                statuses.append(rater.submit(item, quality=6).status_code)
                other.join()
                log.append((number, item, tuple(statuses)))
            else:
                log.append((number, item, (rater.submit(item, quality=6).status_code,)))
    except Exception as error:  # reported by the main thread
        log.append((number, "error", repr(error)))
    finally:
        connection.close()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_sixty_concurrent_raters_a_fifth_double_submitting_lose_and_duplicate_nothing(
    researcher,
):
    study = open_study(researcher, slug="crowd", per_group=15, samples_per_rater=ITEMS,
                       ratings_per_sample=4)  # fmt: skip
    assert study.samples.count() * 4 == PARTICIPANTS * ITEMS  # supply meets demand exactly
    barrier = threading.Barrier(PARTICIPANTS)
    log: list = []
    threads = [
        threading.Thread(target=run_participant, args=(study.slug, n, barrier, log, n % 5 == 0))
        for n in range(PARTICIPANTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    errors = [entry for entry in log if entry[1] == "error"]
    assert not errors, errors[:3]
    assert all(status in (200, 303) for _, _, statuses in log for status in statuses)

    ratings = Rating.objects.filter(assignment__participant__study=study)
    assert ratings.count() == PARTICIPANTS * ITEMS  # none lost, none duplicated
    assert len(log) == PARTICIPANTS * ITEMS
    submitted = {item for _, item, _ in log}
    assert submitted == set(ratings.values_list("assignment__token", flat=True))
    assert Assignment.objects.filter(participant__study=study, submitted_at=None).count() == 0

    per_sample = Counter(ratings.values_list("assignment__sample_id", flat=True))
    assert max(per_sample.values()) == 4 and len(per_sample) == study.samples.count()
    # The slot counts kept under the sample locks match the ratings exactly.
    assert dict(study.samples.values_list("pk", "load")) == dict(per_sample)
    for participant in Participant.objects.filter(study=study):
        groups = Counter(participant.assignments.values_list("sample__group__key", flat=True))
        assert sorted(groups.values()) == [1, 1, 1], groups
        assert participant.status == "completed"
