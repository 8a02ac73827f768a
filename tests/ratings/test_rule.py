"""The assignment rule on its own (ratings.services.rule): no database, no clock.

The order of groups must give nothing away (DESIGN §3): a rater who knows the groups of
their earlier items (say they can tell some apart) and the rule, guessing the group of the
next item, must do little better than with a random balanced order.
"""

import hashlib
import random
from collections import Counter
from types import SimpleNamespace

import pytest

from ratings.services import rule

GROUPS = [11, 12, 13]
PARTICIPANTS = 2000
ITEMS = 18


def study_of(items: int = ITEMS, rate: float = 0.0, limit: int = 0):
    return SimpleNamespace(
        samples_per_rater=items, attention_check_rate=rate, attention_fail_limit=limit
    )


def participant_of(seed: int, length: int = ITEMS, groups=GROUPS):
    return SimpleNamespace(
        seed=seed, group_order=rule.group_sequence(seed=seed, groups=groups, length=length)
    )


def served_by_the_rule(participant, study) -> list[int]:
    """The groups a participant is served with every group always having room."""
    served: list[int] = []
    while True:
        step = rule.next_step(
            study=study,
            participant=participant,
            served=served,
            items_done=len(served),
            failures=0,
            with_room=set(GROUPS),
            check_left=False,
        )
        if step.kind is rule.Kind.DONE:
            return served
        served.append(step.group)


def served_in_blocks(seed: int) -> list[int]:
    """The rule this one replaced: the group seen least next, ties in a seeded order, so
    every run of three items holds one of each group."""
    rng = random.Random(seed)
    served: list[int] = []
    for _ in range(ITEMS):
        least = min(served.count(group) for group in GROUPS)
        served.append(rng.choice([g for g in GROUPS if served.count(g) == least]))
    return served


def best_guesser_hits(orders: list[list[int]]) -> float:
    """The share of items whose group the best guesser names: knowing the groups of the
    earlier items and that each group comes equally often, they name the group with the
    most items left in the participant's quota (ties: the first such group)."""
    hits = total = 0
    for order in orders:
        quota = Counter(order)  # equal counts here: what the guesser knows of the rule
        left = dict(quota)
        for group in order:
            guess = max(GROUPS, key=lambda g: (left.get(g, 0), -g))
            hits += guess == group
            total += 1
            left[group] -= 1
    return hits / total


def test_the_best_guesser_of_the_next_group_is_right_at_most_half_the_time():
    study = study_of()
    seeds = random.Random(2026).sample(range(2**62), PARTICIPANTS)
    orders = [served_by_the_rule(participant_of(seed), study) for seed in seeds]
    for order in orders:
        counts = Counter(order)
        assert len(order) == ITEMS and set(counts) == set(GROUPS)
        assert max(counts.values()) - min(counts.values()) <= 1
    assert best_guesser_hits(orders) <= 0.50
    # Not the same order for everyone, nor a few orders: each participant has their own.
    assert len({tuple(order) for order in orders}) > PARTICIPANTS * 0.99


def test_the_guesser_sees_through_blocks_of_one_of_each_group():
    """The measure above can fail: with the rule it replaced, the guesser is right far more
    often (the third of each block is certain, the second a coin toss)."""
    orders = [served_in_blocks(seed) for seed in range(PARTICIPANTS)]
    assert best_guesser_hits(orders) > 0.58


def test_a_sequence_holds_each_group_equally_often_the_remainder_at_random():
    extra = Counter()
    for seed in range(300):
        sequence = rule.group_sequence(seed=seed, groups=GROUPS, length=16)
        counts = Counter(sequence)
        assert len(sequence) == 16 and sorted(counts.values()) == [5, 5, 6]
        extra[counts.most_common(1)[0][0]] += 1
    assert set(extra) == set(GROUPS) and min(extra.values()) > 60  # each takes the remainder


def test_a_sequence_comes_from_the_seed_alone():
    assert rule.group_sequence(seed=7, groups=GROUPS, length=9) == rule.group_sequence(
        seed=7, groups=list(reversed(GROUPS)), length=9
    )
    orders = {tuple(rule.group_sequence(seed=seed, groups=GROUPS, length=9)) for seed in range(50)}
    assert len(orders) > 40


def test_the_next_group_skips_a_group_without_room_and_comes_back_to_it():
    sequence = [11, 12, 11, 13, 12, 13]
    assert rule.next_group(sequence, [], {12, 13}) == 12
    # 11 is still owed, first in line, as soon as it has room again.
    assert rule.next_group(sequence, [12], {11, 12, 13}) == 11
    assert rule.next_group(sequence, [12, 11], {12, 13}) == 13
    # The sequence used up (a check that was missing became a regular item): the group
    # seen least among those with room.
    assert rule.next_group(sequence, sequence, {12, 13}) in {12, 13}
    assert rule.next_group(sequence, [*sequence, 12], {12, 13}) == 13
    assert rule.next_group(sequence, [], set()) is None


def test_the_rest_of_the_sequence_is_served_in_order_when_groups_have_room():
    participant = participant_of(seed=99, length=ITEMS)
    assert served_by_the_rule(participant, study_of()) == participant.group_order


def test_attention_checks_come_at_seeded_positions_never_first():
    study = study_of(items=10, rate=0.3)
    digests = {p: hashlib.md5(f"42:{p}".encode()).hexdigest() for p in range(2, 11)}
    assert rule.attention_positions(SimpleNamespace(seed=42), study) == set(
        sorted(digests, key=digests.get)[:3]
    )
    placements = set()
    for seed in range(200):
        positions = rule.attention_positions(SimpleNamespace(seed=seed), study)
        assert len(positions) == 3 and min(positions) >= 2
        placements.add(frozenset(positions))
    assert len(placements) > 20


def test_a_check_is_served_at_its_position_and_a_regular_item_when_none_is_left():
    study = study_of(items=10, rate=0.3)
    participant = participant_of(seed=5, length=7)
    position = min(rule.attention_positions(participant, study))

    def step(check_left: bool) -> rule.Step:
        return rule.next_step(
            study=study,
            participant=participant,
            served=participant.group_order[: position - 1],
            items_done=position - 1,
            failures=0,
            with_room=set(GROUPS),
            check_left=check_left,
        )

    assert step(check_left=True) == rule.CHECK
    assert step(check_left=False).kind is rule.Kind.REGULAR


@pytest.mark.parametrize(
    ("limit", "failures", "out"), [(0, 0, False), (0, 5, False), (2, 1, False), (2, 2, True)]
)
def test_the_screen_out_rule_and_a_limit_of_zero_screens_no_one_out(limit, failures, out):
    study = study_of(items=10, limit=limit)
    assert rule.screened_out(study, failures) is out
    step = rule.next_step(
        study=study,
        participant=participant_of(seed=1, length=10),
        served=[11],
        items_done=1,
        failures=failures,
        with_room=set(GROUPS),
        check_left=True,
    )
    assert (step == rule.DONE) is out


def test_the_last_item_ends_the_participants_work():
    study = study_of(items=4)
    participant = participant_of(seed=3, length=4)

    def step(served: list[int]) -> rule.Step:
        return rule.next_step(
            study=study,
            participant=participant,
            served=served,
            items_done=len(served),
            failures=0,
            with_room=set(GROUPS),
            check_left=False,
        )

    assert step([11, 12, 13]).kind is rule.Kind.REGULAR
    assert step([11, 12, 13, 11]) == rule.DONE


def test_regular_items_are_the_items_that_are_not_checks():
    study = study_of(items=10, rate=0.3)
    assert rule.regular_count(study, checks_in_study=5) == 7
    assert rule.regular_count(study, checks_in_study=1) == 9  # one check to show, once
