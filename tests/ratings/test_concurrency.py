"""Hundreds of raters at once: no rating lost or duplicated, balance kept, no sample over
its target, no deadlock. Row locks are only real on PostgreSQL, so the raters run there
(CI does); the retry of a lost transaction is checked on both databases."""

import logging
import threading
import time
from collections import Counter

import psycopg.errors
import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test import Client

from ratings import services
from ratings.models import Assignment, Participant, Rating
from ratings.services import assignment as assignment_service
from ratings.services.retries import RETRIES, retried
from studies.models import Sample
from tests.conftest import needs_postgresql
from tests.ratings.raters import ITEM, Rater, open_study

PARTICIPANTS = 60
ITEMS = 3


def run_participant(
    slug: str, number: int, barrier: threading.Barrier, log: list, double: bool, values=None
):
    values = values or {"quality": "6"}
    try:
        rater = Rater(slug)  # a client and address of its own
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
                        response = twin.post(f"/s/{slug}/rate/", {"item": item, **values})
                        statuses.append(response.status_code)
                    finally:
                        connection.close()

                other = threading.Thread(target=repeat)
                other.start()
                statuses.append(rater.submit(item, **values).status_code)
                other.join()
                log.append((number, item, tuple(statuses)))
            else:
                log.append((number, item, (rater.submit(item, **values).status_code,)))
    except Exception as error:  # reported by the main thread
        log.append((number, "error", repr(error)))
    finally:
        connection.close()


def run_crowd(slug: str, raters: int, values: dict | None = None) -> list:
    """`raters` participants at once, each on a thread and connection of its own, a fifth
    of them sending every POST twice (the posted `values`: a score of 6 unless given);
    their log: (number, item, statuses) per item."""
    barrier = threading.Barrier(raters)
    log: list = []
    threads = [
        threading.Thread(target=run_participant, args=(slug, n, barrier, log, n % 5 == 0, values))
        for n in range(raters)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    return log


def assert_slots_and_groups_kept(study, per_sample: Counter) -> None:
    """The slot counts kept under the sample locks match the ratings exactly, and every
    participant completed with one item of each group."""
    assert dict(study.samples.values_list("pk", "load")) == dict(per_sample)
    for participant in Participant.objects.filter(study=study):
        groups = Counter(participant.assignments.values_list("sample__group__key", flat=True))
        assert sorted(groups.values()) == [1, 1, 1], groups
        assert participant.status == "completed"


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_sixty_concurrent_raters_a_fifth_double_submitting_lose_and_duplicate_nothing(
    researcher,
):
    study = open_study(
        researcher, slug="crowd", per_group=15, samples_per_rater=ITEMS, ratings_per_sample=4
    )
    assert study.samples.count() * 4 == PARTICIPANTS * ITEMS  # supply meets demand exactly
    log = run_crowd(study.slug, PARTICIPANTS)
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
    assert_slots_and_groups_kept(study, per_sample)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_raters_waiting_for_samples_others_hold_never_deadlock(researcher, monkeypatch, caplog):
    """Forty raters, a fifth of them sending every POST twice, at a pool of two samples per
    group with exactly the room they need: at almost every claim, each free sample of the
    group is held by another transaction, so the claim has to wait for one, and samples
    fill up while others wait for them."""
    raters = 40
    study = open_study(
        researcher,
        slug="tight",
        per_group=2,
        samples_per_rater=ITEMS,
        ratings_per_sample=raters // 2,
    )
    claim, held = assignment_service._claim, []

    def counted(step, *args):
        sample = claim(step, *args)
        if sample is None and step.kind is not assignment_service.rule.Kind.DONE:
            held.append(step.group)  # every free sample of the group was held by others
        return sample

    monkeypatch.setattr(assignment_service, "_claim", counted)
    caplog.set_level(logging.WARNING)
    log = run_crowd(study.slug, raters)

    errors = [entry for entry in log if entry[1] == "error"]
    assert not errors, errors[:3]
    assert all(status in (200, 303) for _, _, statuses in log for status in statuses)
    assert held, "no claim ever found every free sample held: the test did not test waiting"
    assert "deadlock detected" not in caplog.text
    assert "running it again" not in caplog.text  # nothing even needed a retry
    ratings = Rating.objects.filter(assignment__participant__study=study)
    assert ratings.count() == raters * ITEMS
    per_sample = Counter(ratings.values_list("assignment__sample_id", flat=True))
    assert_slots_and_groups_kept(study, per_sample)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_claim_waits_for_a_held_sample_without_waiting_for_its_lock(researcher):
    """While another transaction holds every sample of the participant's next group, the
    claim holds back without queueing for a row lock (the queue is where deadlocks form:
    see ratings.services.assignment), and gets a sample of that group once they are free."""
    study = open_study(
        researcher, slug="held", per_group=2, samples_per_rater=3, attention_check_rate=0
    )
    participant = services.participant_consent(study=study)
    group = study.groups.get(key="ai")
    others = list(study.groups.exclude(pk=group.pk).values_list("pk", flat=True))
    Participant.objects.filter(pk=participant.pk).update(group_order=[group.pk, *others])
    locked, release, found = threading.Event(), threading.Event(), {}

    def hold():
        try:
            with transaction.atomic():
                list(Sample.objects.select_for_update().filter(group=group))
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def claim():
        try:
            connection.ensure_connection()
            found["pid"] = connection.connection.info.backend_pid
            found["assignment"] = services.assignment_next(participant=participant)
        finally:
            connection.close()

    holder, claimer = threading.Thread(target=hold), threading.Thread(target=claim)
    holder.start()
    assert locked.wait(timeout=30)
    claimer.start()
    waits = []
    for _ in range(40):
        time.sleep(0.01)
        if "pid" in found:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [found["pid"]]
                )
                waits.extend(row[0] for row in cursor.fetchall())
    assert "assignment" not in found, "the claim went past a group that had room"
    release.set()
    holder.join(timeout=30)
    claimer.join(timeout=30)
    assert found["assignment"].sample.group_id == group.pk
    assert waits, "the claim's connection was never seen"
    assert "Lock" not in waits


def lost(cause: Exception) -> OperationalError:
    """What Django raises when PostgreSQL ends a transaction to settle a conflict: its own
    OperationalError, psycopg's error as the cause."""
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.SerializationFailure("could not serialize access"),
    ],
)
def test_a_transaction_that_lost_a_conflict_runs_again_and_succeeds(cause, monkeypatch):
    monkeypatch.setattr("ratings.services.retries.time.sleep", lambda seconds: None)
    calls = []

    @retried
    def step():
        calls.append(1)
        if len(calls) < 3:
            raise lost(cause)
        return "stored"

    assert step() == "stored"
    assert len(calls) == 3


def test_a_transaction_that_keeps_losing_or_fails_otherwise_is_not_hidden(monkeypatch):
    monkeypatch.setattr("ratings.services.retries.time.sleep", lambda seconds: None)
    calls = []

    @retried
    def always_lost():
        calls.append(1)
        raise lost(psycopg.errors.DeadlockDetected("deadlock detected"))

    with pytest.raises(OperationalError):
        always_lost()
    assert len(calls) == RETRIES + 1

    @retried
    def broken():
        calls.append(1)
        raise IntegrityError("duplicate key")

    calls.clear()
    with pytest.raises(IntegrityError):
        broken()
    assert len(calls) == 1


@pytest.mark.django_db
def test_inside_an_outer_transaction_a_lost_conflict_is_not_retried(monkeypatch):
    """The outer transaction is lost with it: only its owner can run it again."""
    calls = []

    @retried
    def step():
        calls.append(1)
        raise lost(psycopg.errors.SerializationFailure("could not serialize access"))

    with pytest.raises(OperationalError), transaction.atomic():
        step()
    assert len(calls) == 1
