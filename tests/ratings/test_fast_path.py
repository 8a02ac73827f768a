"""The rating page's fast path (ratings.fast) against the Python services it stands in for.

The fast path is a PostgreSQL function that takes the usual rating request in one call
and hands everything else to the services. The differential test runs the same raters,
with the same seeds, scores and clock, once through the services alone and once with the
fast path, and compares every stored row.
"""

import hashlib
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from ratings import fast, services, sql
from ratings.models import Assignment, Participant, Rating
from ratings.services import assignment as assignment_rule
from ratings.services import slots
from ratings.views import COOKIE
from studies.models import Sample
from tests.conftest import needs_postgresql
from tests.ratings.raters import ITEM, open_study


class Clock:
    """The time both paths see: `timezone.now` moves only when the test moves it."""

    def __init__(self, monkeypatch):
        self.now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Calls:
    """How many requests the fast path answered itself."""

    def __init__(self, monkeypatch):
        self.answered = 0
        step = fast.step

        def counted(**kwargs):
            found = step(**kwargs)
            self.answered += found is not None
            return found

        monkeypatch.setattr(fast, "step", counted)


def _participants(study, count: int) -> list[Participant]:
    return [
        Participant.objects.create(
            study=study,
            session_key=f"key-{study.pk}-{n}",
            seed=1_000_003 * n + 17,
            consented_at=timezone.now(),
        )
        for n in range(count)
    ]


def _client(participant: Participant) -> Client:
    client = Client()
    client.cookies[COOKIE] = participant.session_key
    return client


def _scenario(study, clock: Clock) -> None:
    """Raters taking turns: scores, reloads, a repeated POST, an answer to an attention
    check outside its range, a rater who comes back after their lease ran out, and more
    raters than the study has slots for."""
    rng = random.Random(7)
    raters = [(p, _client(p)) for p in _participants(study, 7)]
    pages = {p.pk: c.get(f"/s/{study.slug}/rate/") for p, c in raters}
    for step in range(200):
        active = [(p, c) for p, c in raters if ITEM.search(pages[p.pk].content.decode())]
        if not active:
            return
        participant, client = active[step % len(active)]
        clock.tick(rng.uniform(0.5, 40))
        if step == 30:
            clock.tick(31 * 60)  # everyone's lease runs out
        item = ITEM.search(pages[participant.pk].content.decode()).group(1)
        if rng.random() < 0.1:
            pages[participant.pk] = client.get(f"/s/{study.slug}/rate/")  # a reload
            continue
        data = {"item": item, "quality": str(rng.choice([1, 2, 5, 9]))}
        response = client.post(f"/s/{study.slug}/rate/", data)
        if rng.random() < 0.15:
            response = client.post(f"/s/{study.slug}/rate/", data)  # sent twice
        if response.status_code == 303:
            response = client.get(response["Location"])
        pages[participant.pk] = response
    raise AssertionError("the scenario never ended")


def _stored(study) -> dict:
    assignments = Assignment.objects.filter(participant__study=study)
    return {
        "assignments": sorted(
            assignments.values_list(
                "participant__session_key",
                "position",
                "sample_id",
                "served_at",
                "lease_expires_at",
                "submitted_at",
                "holds_slot",
            )
        ),
        "ratings": sorted(
            Rating.objects.filter(assignment__participant__study=study).values_list(
                "assignment__participant__session_key",
                "assignment__position",
                "criterion",
                "score",
                "guess",
                "seconds",
                "created_at",
            )
        ),
        "loads": sorted(Sample.objects.filter(study=study).values_list("pk", "load")),
        "participants": sorted(
            Participant.objects.filter(study=study).values_list(
                "session_key", "status", "flags", "finished_at"
            )
        ),
    }


def _run(study, monkeypatch, *, fast_path: bool) -> tuple[dict, int]:
    with monkeypatch.context() as patch:
        clock, calls = Clock(patch), Calls(patch)
        patch.setattr(fast, "enabled", lambda: fast_path)
        patch.setattr(slots._Sweeps, "last", None)
        patch.setattr(fast._Studies, "by_slug", {})
        with transaction.atomic():
            _scenario(study, clock)
            stored = _stored(study)
            transaction.set_rollback(True)
    return stored, calls.answered


@needs_postgresql
@pytest.mark.django_db
def test_the_fast_path_stores_exactly_what_the_services_store(researcher, monkeypatch):
    study = open_study(
        researcher,
        slug="twins",
        per_group=4,
        checks=3,
        samples_per_rater=8,
        ratings_per_sample=3,
        attention_check_rate=0.25,
        attention_fail_limit=1,
        lease_minutes=30,
    )
    by_services, answered_there = _run(study, monkeypatch, fast_path=False)
    with_fast_path, answered_here = _run(study, monkeypatch, fast_path=True)
    assert answered_there == 0
    assert answered_here >= 20, "the fast path answered too few requests to compare"
    assert len(by_services["ratings"]) >= 30
    assert {status for _, status, _, _ in by_services["participants"]} >= {
        "completed",
        "screened_out",
    }, "the scenario should finish raters both ways"
    for part in ("assignments", "ratings", "loads", "participants"):
        assert with_fast_path[part] == by_services[part], part


@needs_postgresql
@pytest.mark.django_db
def test_attention_check_positions_in_sql_match_the_services(researcher):
    study = open_study(
        researcher, slug="checks", per_group=1, samples_per_rater=37, attention_check_rate=0.2
    )
    wanted = services.attention_count(study)
    assert wanted == 7
    for seed in [0, 1, 2**62 - 1, *random.Random(3).sample(range(2**62), 40)]:
        participant = Participant(study=study, seed=seed)
        in_sql = {
            row[0]
            for row in sql.rows(
                "SELECT g FROM generate_series(2, %s) AS g"
                " ORDER BY md5(%s::bigint::text || ':' || g::text) COLLATE \"C\", g LIMIT %s",
                [37, seed, wanted],
            )
        }
        positions = services.attention_positions(participant, study)
        assert in_sql == positions
        # DESIGN §3: the rate's share of items, and never the first one.
        assert len(positions) == wanted and min(positions) >= 2


def test_attention_check_positions_are_the_md5_ranking():
    """The ranking both paths use, written out independently: positions 2..n by the hex
    MD5 of "<seed>:<position>"."""

    class Study:
        samples_per_rater = 10
        attention_check_rate = 0.3

    participant = Participant(seed=42)
    digests = {p: hashlib.md5(f"42:{p}".encode()).hexdigest() for p in range(2, 11)}
    expected = set(sorted(digests, key=digests.get)[:3])
    assert services.attention_positions(participant, Study) == expected
    for seed in range(200):  # never first, whatever the seed
        assert min(services.attention_positions(Participant(seed=seed), Study)) >= 2


@pytest.mark.django_db
def test_the_claim_follows_the_rule_in_every_state(researcher):
    """Random loads and random histories; the claimed sample is always the first of the
    rule's order, computed here in Python from the database's tie-break hash."""
    study = open_study(
        researcher, slug="rule", per_group=12, checks=2, samples_per_rater=12, ratings_per_sample=20
    )
    rng = random.Random(11)
    samples = list(Sample.objects.filter(study=study, is_attention_check=False))
    groups = {s.pk: s.group_id for s in samples}
    tie = (
        "SELECT hashint8extended(%s::bigint, %s::bigint)"
        if connection.vendor == "postgresql"
        else "SELECT MD5(%s || ':' || %s)"  # seed, then sample
    )
    for round_ in range(40):
        # Groups at different levels, a spread within each, and a few samples full.
        offsets = dict(zip(set(groups.values()), rng.sample([0, 4, 8], 3), strict=True))
        for sample in samples:
            load = 20 if rng.random() < 0.1 else offsets[sample.group_id] + rng.randint(0, 9)
            Sample.objects.filter(pk=sample.pk).update(load=load)
        participant = Participant.objects.create(
            study=study, seed=rng.randrange(2**62), session_key=f"rule-{round_}"
        )
        had = rng.sample(samples, rng.randint(0, 5))
        for position, sample in enumerate(had, start=1):
            Assignment.objects.create(
                participant=participant,
                sample=sample,
                position=position,
                served_at=timezone.now(),
                lease_expires_at=timezone.now(),
                holds_slot=False,
            )
        loads = dict(Sample.objects.filter(study=study).values_list("pk", "load"))
        seen: dict[int, int] = {}
        for sample in had:
            seen[groups[sample.pk]] = seen.get(groups[sample.pk], 0) + 1
        open_ = [s.pk for s in samples if s not in had and loads[s.pk] < 20]
        order = sorted(
            open_,
            key=lambda pk: (
                seen.get(groups[pk], 0),
                loads[pk],
                sql.first(
                    tie,
                    [pk, participant.seed]
                    if connection.vendor == "postgresql"
                    else [str(participant.seed), str(pk)],
                )[0],
            ),
        )
        with transaction.atomic():
            claimed = assignment_rule.claim_regular(participant, study)
        assert claimed == (order[0] if order else None), f"round {round_}"
        if claimed is not None:
            assert Sample.objects.get(pk=claimed).load == loads[claimed] + 1


@needs_postgresql
@pytest.mark.django_db
def test_a_missing_function_is_created_on_first_use(researcher):
    study = open_study(researcher, slug="install", samples_per_rater=3)
    (participant,) = _participants(study, 1)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP FUNCTION {fast.NAME}")
    fast.remember_study(study)
    found = fast.step(study=study, key=participant.session_key, now=timezone.now())
    assert found is not None and found[1].position == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname = %s", [fast.NAME])
        assert cursor.fetchone()[0] == 1


@needs_postgresql
@pytest.mark.django_db
def test_the_page_shows_the_studys_current_title_and_a_closed_study_stops_it(researcher):
    study = open_study(researcher, slug="titled", samples_per_rater=4)
    (participant,) = _participants(study, 1)
    client = _client(participant)
    page = client.get("/s/titled/rate/")
    assert fast.cached_study("titled") is not None
    item = ITEM.search(page.content.decode()).group(1)
    study.title = "A new title"
    study.save(update_fields=["title"])
    page = client.post("/s/titled/rate/", {"item": item, "quality": "4"})
    assert page.status_code == 200 and "<title>A new title</title>" in page.content.decode()
    item = ITEM.search(page.content.decode()).group(1)
    from studies import services as study_services

    study_services.study_close(study=study)
    page = client.post("/s/titled/rate/", {"item": item, "quality": "4"})
    assert page.status_code == 409  # refused: the study is not open, nothing stored
    assert not Rating.objects.filter(assignment__token=item).exists()
    assert fast.cached_study("titled") is None


@needs_postgresql
@pytest.mark.django_db
def test_the_fast_path_refuses_what_it_cannot_store(researcher, monkeypatch):
    """A bad score, someone else's item, or no cookie go to the services, which say why."""
    study = open_study(researcher, slug="refuse", samples_per_rater=4)
    first, second = _participants(study, 2)
    calls = Calls(monkeypatch)
    one, two = _client(first), _client(second)
    item = ITEM.search(one.get("/s/refuse/rate/").content.decode()).group(1)
    two.get("/s/refuse/rate/")
    answered = calls.answered
    assert one.post("/s/refuse/rate/", {"item": item, "quality": "11"}).status_code == 400
    assert two.post("/s/refuse/rate/", {"item": item, "quality": "5"}).status_code == 409
    assert Client().post("/s/refuse/rate/", {"item": item, "quality": "5"}).status_code == 303
    assert calls.answered == answered
    assert not Rating.objects.filter(assignment__participant__study=study).exists()
