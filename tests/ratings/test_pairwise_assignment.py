"""Pairwise assignment (DESIGN §3 for pairs), driven through the same services as ratings:
balanced group pairs and sides, fewest comparisons first, never the same pair twice."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from ratings import services
from ratings.models import Assignment, Comparison, Participant
from ratings.services import rule
from studies import services as studies_services
from studies.importing import samples_import
from studies.models import Sample
from tests.conftest import SEED_GROUPS
from tests.ratings.raters import first_item, join, open_study

PAIRWISE = {"protocol": "pairwise"}


def choose(participant, assignment, choice="a", **extra):
    return services.rating_submit(
        participant=participant, item=assignment.token, values={"choice": choice, **extra}
    )


def drive(study, participant, choice="a"):
    """Every pair the participant gets, choosing `choice`: (A group, B group, A, B) each."""
    shown = []
    while (assignment := services.assignment_next(participant=participant)) is not None:
        shown.append(
            (
                assignment.sample.group.key,
                assignment.sample_b.group.key,
                assignment.sample_id,
                assignment.sample_b_id,
            )
        )
        choose(participant, assignment, choice)
    return shown


def pair_key(a: str, b: str) -> tuple[str, str]:
    return tuple(sorted((a, b)))


def test_each_participant_gets_the_group_pairs_and_sides_in_balance(researcher):
    study = open_study(
        researcher,
        slug="pw-balance",
        per_group=8,
        samples_per_rater=12,
        ratings_per_sample=40,
        **PAIRWISE,
    )
    orders, sides = [], Counter()
    for _ in range(8):
        participant = join(study)
        shown = drive(study, participant)
        assert len(shown) == 12
        pairs = Counter(pair_key(a, b) for a, b, *_ in shown)
        assert pairs == {
            ("ai", "human"): 4,
            ("collaboration", "human"): 4,
            ("ai", "collaboration"): 4,
        }
        assert all(a != b for a, b, *_ in shown), "a same-group pair in a study without them"
        # A/B: within each group pair, each group's sample is A as often as B.
        mine = Counter((pair_key(a, b), a) for a, b, *_ in shown)
        for (pair, first), count in mine.items():
            assert count == 2, (pair, first, count)
        sides.update(a for a, *_ in shown)
        orders.append(tuple(pair_key(a, b) for a, b, *_ in shown))
        # Never the same two samples twice.
        assert len({frozenset((x, y)) for *_, x, y in shown}) == len(shown)
        # Both samples of a pair answer the same brief.
        for *_, x, y in shown:
            assert Sample.objects.get(pk=x).brief_id == Sample.objects.get(pk=y).brief_id
    assert len(set(orders)) > 1, "every participant saw the group pairs in the same order"
    assert len({order[0] for order in orders}) > 1
    assert sides == {"human": 32, "ai": 32, "collaboration": 32}


def test_sides_are_balanced_per_group_pair_with_an_odd_count(researcher):
    """Five comparisons of one pair of groups: the sides split 3-2 for every participant,
    and over many participants the first group is on A about half of the time."""
    study = open_study(
        researcher,
        slug="pw-odd",
        per_group=6,
        samples_per_rater=5,
        ratings_per_sample=1000,
        **PAIRWISE,
    )
    study.groups.filter(key="collaboration").update(key="collab")
    Sample.objects.filter(study=study, group__key="collab").delete()
    study.groups.filter(key="collab").delete()
    first_on_a = 0
    for _ in range(40):
        shown = drive(study, join(study))
        assert len(shown) == 5
        count = sum(1 for a, *_ in shown if a == "human")
        assert count in (2, 3)
        first_on_a += count
    assert 80 <= first_on_a <= 120  # 100 of 200 expected; 3-2 splits drawn at random


def test_fewest_comparisons_first_and_no_sample_beyond_its_slots(researcher):
    study = open_study(
        researcher,
        slug="pw-slots",
        per_group=4,
        samples_per_rater=6,
        ratings_per_sample=3,
        **PAIRWISE,
    )
    while services.study_has_room(study=study):
        participant = join(study)
        before = dict(Sample.objects.filter(study=study).values_list("pk", "load"))
        assignment = services.assignment_next(participant=participant)
        if assignment is None:
            break
        free = {pk: load for pk, load in before.items() if load < 3}
        same_group = Sample.objects.filter(
            study=study, group=assignment.sample.group, brief=assignment.sample_b.brief
        )
        assert assignment.sample_id in free
        choose(participant, assignment)
        drive(study, participant)
        del same_group
    loads = Counter()
    for a, b in Assignment.objects.filter(participant__study=study).values_list(
        "sample_id", "sample_b_id"
    ):
        loads.update([a, b])
    assert max(loads.values()) <= 3
    assert (
        sum(loads.values())
        == 2 * Comparison.objects.filter(assignment__participant__study=study).count()
    )
    for sample in Sample.objects.filter(study=study):
        assert sample.load == loads[sample.pk]


def test_a_pair_once_per_participant_is_a_database_constraint(researcher):
    study = open_study(researcher, slug="pw-unique", per_group=2, **PAIRWISE)
    participant = join(study)
    first = services.assignment_next(participant=participant)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            participant=participant,
            sample=first.sample_b,
            sample_b=first.sample,
            position=9,
            served_at=first.served_at,
            lease_expires_at=first.lease_expires_at,
        )
    choose(participant, first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Comparison.objects.create(assignment=first, criterion="quality", choice="b", seconds=1)


def test_same_group_pairs_when_the_study_allows_them(researcher):
    study = studies_services.study_create(
        owner=researcher,
        slug="pw-same",
        title="Pairs",
        groups=SEED_GROUPS,
        samples_per_rater=12,
        ratings_per_sample=40,
        allow_same_group_pairs=True,
        **PAIRWISE,
    )
    lines = ["group,text,brief"] + [
        f"{group},Piece {group} {brief} {n}.,brief-{brief}"
        for group in ("human", "ai", "collaboration")
        for brief in range(3)
        for n in range(2)
    ]
    samples_import(study=study, file_name="samples.csv", data="\n".join(lines).encode())
    study = studies_services.study_open(study=study)
    shown = drive(study, join(study))
    pairs = Counter(pair_key(a, b) for a, b, *_ in shown)
    assert pairs == {
        ("ai", "ai"): 2,
        ("human", "human"): 2,
        ("collaboration", "collaboration"): 2,
        ("ai", "human"): 2,
        ("collaboration", "human"): 2,
        ("ai", "collaboration"): 2,
    }


def test_attention_pairs_fail_on_the_broken_sample_and_screen_out(researcher):
    study = open_study(
        researcher,
        slug="pw-checks",
        per_group=6,
        checks=3,
        samples_per_rater=10,
        attention_check_rate=0.3,
        attention_fail_limit=2,
        ratings_per_sample=40,
        **PAIRWISE,
    )
    attentive = join(study)
    while (assignment := services.assignment_next(participant=attentive)) is not None:
        if assignment.sample.is_attention_check:
            choose(attentive, assignment, "b")
        elif assignment.sample_b.is_attention_check:
            choose(attentive, assignment, "a")
        else:
            choose(attentive, assignment, "a")
    attentive.refresh_from_db()
    assert attentive.status == Participant.Status.COMPLETED
    assert attentive.flags["attention_failures"] == 0
    checks = Assignment.objects.filter(participant=attentive, holds_slot=False)
    assert checks.count() == 3
    assert {c.sample.is_attention_check for c in checks} == {True, False}, (
        "broken always on one side"
    )
    careless = join(study)
    chose = []
    while (assignment := services.assignment_next(participant=careless)) is not None:
        broken = "a" if assignment.sample.is_attention_check else "b"
        check = assignment.sample.is_attention_check or assignment.sample_b.is_attention_check
        chose.append(check)
        choose(careless, assignment, broken if check else "a")
    careless.refresh_from_db()
    assert careless.status == Participant.Status.SCREENED_OUT
    assert sum(chose) == 2


def test_the_rule_draws_sides_in_balanced_blocks():
    for seed in range(50):
        flags = [rule.first_on_a(seed, (1, 2), index) for index in range(9)]
        for end in range(1, 10):
            assert abs(2 * sum(flags[:end]) - end) <= 1
    assert len({tuple(rule.first_on_a(s, (1, 2), i) for i in range(6)) for s in range(50)}) > 1


def test_the_rule_lists_group_pairs_and_pairs_with_room():
    assert rule.group_pairs([3, 1, 2], same_group=False) == [(1, 2), (1, 3), (2, 3)]
    assert rule.group_pairs([2, 1], same_group=True) == [(1, 1), (1, 2), (2, 2)]
    room = {(1, 10): 1, (2, 10): 1, (3, 11): 2, (1, 11): 1}
    assert rule.pairs_with_room([(1, 2), (1, 3), (2, 3), (3, 3), (1, 1)], room) == {
        (1, 2),
        (1, 3),
        (3, 3),
    }
    assert rule.check_failed("a", broken_on_a=True)
    assert rule.check_failed("tie", broken_on_a=True)
    assert not rule.check_failed("b", broken_on_a=True)


def loads(study) -> dict[int, int]:
    return dict(Sample.objects.filter(study=study).values_list("pk", "load"))


def test_an_expired_pair_gives_both_slots_back_and_a_late_choice_takes_them_again(researcher):
    study = open_study(
        researcher,
        slug="pw-lease",
        per_group=1,
        samples_per_rater=3,
        ratings_per_sample=1,
        lease_minutes=5,
        **PAIRWISE,
    )
    alice, held, now = first_item(study)
    pair = {held.sample_id, held.sample_b_id}
    assert {pk for pk, load in loads(study).items() if load} == pair
    assert not services.study_has_room(study=study, now=now)  # one brief of three samples
    later = now + timedelta(minutes=6)
    assert services.leases_release(now=later) == 1
    assert set(loads(study).values()) == {0}
    services.sample_loads_recount(study=study)
    assert set(loads(study).values()) == {0}
    # Alice's late choice is kept and takes the two slots again.
    result = choose(alice, held, "b")
    assert not result.repeated
    assert {pk for pk, load in loads(study).items() if load == 1} == pair
    services.sample_loads_recount(study=study)
    assert {pk for pk, load in loads(study).items() if load == 1} == pair


def test_a_lapsed_pair_is_leased_again_to_its_participant_when_its_slots_are_free(researcher):
    study = open_study(
        researcher,
        slug="pw-relet",
        per_group=2,
        samples_per_rater=2,
        ratings_per_sample=1,
        lease_minutes=5,
        **PAIRWISE,
    )
    alice, held, now = first_item(study)
    services.leases_release(now=now + timedelta(minutes=6))
    again = services.assignment_next(participant=alice, now=now + timedelta(minutes=7))
    assert again.pk == held.pk
    assert again.lease_expires_at == now + timedelta(minutes=12)
    assert loads(study)[held.sample_id] == loads(study)[held.sample_b_id] == 1
