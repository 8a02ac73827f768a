"""The assignment rule (DESIGN §3), driven through the services."""

import hashlib
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from ratings import services
from ratings.models import Assignment, Participant, Rating
from ratings.services import rule
from studies.models import Sample
from tests.ratings.raters import first_item, join, open_study


def rate(participant, assignment, score=6, now=None):
    return services.rating_submit(
        participant=participant, item=assignment.token, values={"quality": str(score)}, now=now
    )


@pytest.fixture
def study(researcher):
    return open_study(researcher, per_group=4, samples_per_rater=9, ratings_per_sample=2)


def test_each_participant_sees_the_groups_in_balance_in_a_random_order(researcher):
    study = open_study(
        researcher, slug="balance", per_group=4, samples_per_rater=9, ratings_per_sample=10
    )
    orders = []
    for _ in range(6):
        participant = join(study)
        groups = []
        while (assignment := services.assignment_next(participant=participant)) is not None:
            groups.append(assignment.sample.group.key)
            rate(participant, assignment)
        assert Counter(groups) == {"human": 3, "ai": 3, "collaboration": 3}
        orders.append(tuple(groups))
    assert len({order[0] for order in orders}) > 1, "every participant started with the same group"
    assert len(set(orders)) > 1, "every participant saw the groups in the same order"


def test_the_least_rated_samples_are_served_first_and_none_beyond_its_target(study):
    loads = Counter()
    for _ in range(6):
        participant = join(study)
        seen = set()
        while (assignment := services.assignment_next(participant=participant)) is not None:
            same_group = study.samples.filter(group=assignment.sample.group)
            others = [s.pk for s in same_group if s.pk not in seen and loads[s.pk] < 2]
            assert loads[assignment.sample_id] == min(loads[pk] for pk in others)
            loads[assignment.sample_id] += 1
            seen.add(assignment.sample_id)
            rate(participant, assignment)
    per_sample = Counter(
        Rating.objects.filter(assignment__participant__study=study).values_list(
            "assignment__sample", flat=True
        )
    )
    assert set(per_sample.values()) == {2}  # 12 samples x target 2 = 24 ratings, evenly
    assert sum(per_sample.values()) == 24


def test_a_participants_order_is_a_seeded_shuffle(study):
    """The order of groups is drawn from the participant's seed: the same seed gives the
    same order, and seeds differ in their orders (no shuffle at all would give one)."""

    def order_of(seed: int) -> tuple:
        participant = join(study)
        Participant.objects.filter(pk=participant.pk).update(seed=seed)
        first = services.assignment_next(participant=participant)
        order = tuple(Participant.objects.get(pk=participant.pk).group_order)
        first.delete()
        Participant.objects.filter(pk=participant.pk).delete()
        services.sample_loads_recount(study=study)  # rows deleted by hand: slots back
        return order

    assert order_of(7) == order_of(7)
    orders = {order_of(seed) for seed in range(1, 9)}
    assert len(orders) > 1, "every seed gave the same order: no shuffle"
    groups = set(study.groups.values_list("pk", flat=True))
    assert all(set(order) == groups for order in orders)


def test_an_expired_lease_returns_its_sample_to_the_pool(researcher):
    study = open_study(
        researcher,
        slug="one",
        per_group=1,
        samples_per_rater=3,
        ratings_per_sample=1,
        lease_minutes=5,
    )
    now = timezone.now()
    alice = join(study)
    held = services.assignment_next(participant=alice, now=now)
    bob = join(study)
    bobs = []
    while (a := services.assignment_next(participant=bob, now=now)) is not None:
        bobs.append(a.sample_id)
        rate(bob, a, now=now)
    assert held.sample_id not in bobs and len(bobs) == 2
    later = now + timedelta(minutes=6)
    carol = join(study)
    taken = services.assignment_next(participant=carol, now=later)
    assert taken is not None and taken.sample_id == held.sample_id


def take_slot(study, sample, now) -> Participant:
    """Another participant is given `sample` and rates it: its one slot is gone. (The
    expired lease gives its slot back first, as the assignment service's sweep does.)"""
    services.leases_release(now=now)
    carol = join(study)
    assignment = Assignment.objects.create(
        participant=carol,
        sample=sample,
        position=1,
        served_at=now,
        lease_expires_at=now + timedelta(minutes=study.lease_minutes),
    )
    services.sample_loads_recount(study=study)
    rate(carol, assignment, score=4, now=now)
    return carol


def slot_taken_after_lapse(study):
    """Alice is given an item, lets its five-minute lease lapse, and another participant
    takes its one slot ten minutes later: (alice, her lapsed assignment, that moment)."""
    alice, held, now = first_item(study)
    later = now + timedelta(minutes=10)
    take_slot(study, held.sample, later)
    return alice, held, later


def test_a_late_submission_is_kept(researcher):
    study = open_study(
        researcher,
        slug="late",
        per_group=1,
        samples_per_rater=3,
        ratings_per_sample=1,
        lease_minutes=5,
    )
    alice, held, later = slot_taken_after_lapse(study)
    result = rate(alice, held, score=8, now=later + timedelta(minutes=1))
    assert not result.repeated
    scores = sorted(
        Rating.objects.filter(assignment__sample=held.sample).values_list("score", flat=True)
    )
    assert scores == [4, 8]  # above target by one, because the late rating is kept


def test_a_participant_back_after_their_lease_lapsed_and_the_slot_went_gets_another_item(
    researcher,
):
    study = open_study(
        researcher,
        slug="lapse",
        per_group=4,
        samples_per_rater=3,
        ratings_per_sample=1,
        lease_minutes=5,
    )
    alice, held, later = slot_taken_after_lapse(study)
    back = services.assignment_next(participant=alice, now=later)
    assert back is not None and back.sample_id != held.sample_id
    assert back.position == 1
    assert not Assignment.objects.filter(pk=held.pk).exists()


def test_a_participant_gets_at_most_the_studys_number_of_items(researcher):
    study = open_study(
        researcher, slug="cap", per_group=5, samples_per_rater=4, ratings_per_sample=10
    )
    participant = join(study)
    count = 0
    while (a := services.assignment_next(participant=participant)) is not None:
        rate(participant, a)
        count += 1
    assert count == 4
    assert Participant.objects.get(pk=participant.pk).status == "completed"


def test_each_sample_counts_its_held_slots_and_a_sweep_gives_expired_ones_back(researcher):
    study = open_study(
        researcher,
        slug="slots",
        per_group=1,
        samples_per_rater=3,
        ratings_per_sample=2,
        lease_minutes=5,
    )
    now = timezone.now()
    alice = join(study)
    held = services.assignment_next(participant=alice, now=now)
    sample = held.sample
    sample.refresh_from_db(fields=["load"])
    assert sample.load == 1
    assert services.leases_release(now=now + timedelta(minutes=4)) == 0  # not expired yet
    assert services.leases_release(now=now + timedelta(minutes=6)) == 1
    sample.refresh_from_db(fields=["load"])
    assert sample.load == 0
    assert not Assignment.objects.get(pk=held.pk).holds_slot
    # The late rating is kept and takes its slot back.
    rate(alice, held, now=now + timedelta(minutes=7))
    sample.refresh_from_db(fields=["load"])
    assignment = Assignment.objects.get(pk=held.pk)
    assert sample.load == 1 and assignment.holds_slot and assignment.submitted_at is not None
    assert services.leases_release(now=now + timedelta(days=1)) == 0  # rated: held for good


def test_the_count_of_slots_can_be_rebuilt_from_the_assignments(study):
    participant = join(study)
    first = services.assignment_next(participant=participant)
    rate(participant, first)
    services.assignment_next(participant=participant)
    study.samples.update(load=7)
    services.sample_loads_recount(study=study)
    loads = dict(study.samples.values_list("pk", "load"))
    held = Counter(Assignment.objects.filter(holds_slot=True).values_list("sample_id", flat=True))
    assert loads == {pk: held.get(pk, 0) for pk in loads}
    assert sum(loads.values()) == 2


def test_a_participants_groups_are_drawn_from_their_seed_at_their_first_item(researcher):
    study = open_study(
        researcher,
        slug="drawn",
        per_group=4,
        checks=2,
        samples_per_rater=8,
        ratings_per_sample=10,
        attention_check_rate=0.25,
    )
    participant = join(study)
    Participant.objects.filter(pk=participant.pk).update(seed=4242)  # as the simulation does
    assert participant.group_order == []
    served = []
    while (assignment := services.assignment_next(participant=participant)) is not None:
        if not assignment.sample.is_attention_check:
            served.append(assignment.sample.group_id)
        rate(participant, assignment, score=1)
    groups = list(study.groups.values_list("pk", flat=True))
    drawn = rule.group_sequence(seed=4242, groups=groups, length=6)  # 8 items, 2 checks
    assert Participant.objects.get(pk=participant.pk).group_order == drawn
    assert served == drawn  # every group had room: the sequence itself, in its order


def test_the_claim_follows_the_rule_in_every_state(researcher):
    """Random loads, random histories and random sequences; the sample claimed is always
    the first by the rule, computed here from the rule's own parts and an MD5 in Python."""
    study = open_study(
        researcher,
        slug="rule",
        per_group=12,
        checks=2,
        samples_per_rater=12,
        ratings_per_sample=20,
        attention_check_rate=0,
    )
    rng = random.Random(11)
    samples = list(Sample.objects.filter(study=study, is_attention_check=False))
    group_of = {s.pk: s.group_id for s in samples}
    groups = sorted(set(group_of.values()))
    now = timezone.now()
    for round_ in range(40):
        for sample in samples:
            load = 20 if rng.random() < 0.15 else rng.randint(0, 9)
            Sample.objects.filter(pk=sample.pk).update(load=load)
        if round_ % 4 == 0:  # now and then a group with no room at all
            Sample.objects.filter(group_id=rng.choice(groups)).update(load=20)
        participant = join(study)
        order = rule.group_sequence(seed=rng.randrange(2**62), groups=groups, length=11)
        Participant.objects.filter(pk=participant.pk).update(group_order=order)
        had = rng.sample(samples, rng.randint(0, 5))
        for position, sample in enumerate(had, start=1):
            Assignment.objects.create(
                participant=participant,
                sample=sample,
                position=position,
                served_at=now,
                lease_expires_at=now,
                submitted_at=now,
                holds_slot=False,
            )
        participant.refresh_from_db()
        loads = dict(Sample.objects.filter(study=study).values_list("pk", "load"))
        open_ = [s.pk for s in samples if s not in had and loads[s.pk] < 20]
        group = rule.next_group(
            order, [group_of[s.pk] for s in had], {group_of[pk] for pk in open_}
        )
        digest = {pk: hashlib.md5(f"{participant.seed}:{pk}".encode()).hexdigest() for pk in open_}
        expected = min(
            (pk for pk in open_ if group_of[pk] == group),
            key=lambda pk: (loads[pk], digest[pk], pk),
            default=None,
        )
        claimed = services.assignment_next(participant=participant, now=now)
        assert (claimed.sample_id if claimed else None) == expected, f"round {round_}"
        if claimed is not None:
            assert Sample.objects.get(pk=expected).load == loads[expected] + 1
            assert claimed.position == len(had) + 1


def test_an_attention_fail_limit_of_zero_screens_no_one_out(researcher):
    study = open_study(
        researcher,
        slug="nolimit",
        per_group=4,
        checks=3,
        samples_per_rater=8,
        attention_check_rate=0.25,
        attention_fail_limit=0,
    )
    for _ in range(3):
        participant = join(study)
        while (assignment := services.assignment_next(participant=participant)) is not None:
            rate(participant, assignment, score=10)  # fails every check (expected 1-2)
        participant.refresh_from_db()
        assert participant.status == "completed"
        assert participant.flags["attention_failures"] == 2
        assert participant.assignments.count() == 8
