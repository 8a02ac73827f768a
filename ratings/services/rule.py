"""The assignment rule of DESIGN §3, in one place: what a participant gets next.

Everything here is a pure function of the participant's seed, their items so far and what
the pool still has; the services in `assignment` read those from the database, ask
`next_step`, and claim what it names. Nothing here touches the database or the clock, so
the simulation, the tests and the live pages all follow this one rule.

- Items: a participant rates `samples_per_rater` items, some of them attention checks.
- Attention checks: the study's rate of the items, at positions drawn from the seed, never
  the first (`attention_positions`). Checks have no target: anyone may see each of them.
- Groups: at their first item a participant draws the groups of all their regular items
  (`group_sequence`): each group equally often, the remainder groups at random, in a
  seeded shuffle of the whole sequence. Not in blocks of one of each: a rater who could
  tell two items of a block apart would know the third. The next regular item comes from
  the first group of the rest of that sequence that has a sample with a free slot for them
  (`next_group`), so counts end within one of each other whenever the pool allows.
- Samples: within the group, the fewest slots taken (`Sample.load`), ties in the
  participant's own seeded order (`sample_order`); never more than `ratings_per_sample`
  slots, never the same sample twice to one participant.
- Screen-out: `attention_fail_limit` failed checks end the participant's work; 0 means no
  screen-out. The last item (or nothing left to rate) ends it too.
- Leases: the first item's lease is the study's short `first_lease_minutes`, so that a
  participant who never rates gives the slot back within minutes; later items have
  `lease_minutes`.
- Pairwise studies: an item is a pair of samples answering the same brief. The groups
  above become group pairs (`group_pairs`: two different groups, or also one group twice
  when the study allows it), drawn into the same kind of sequence (`group_sequence`) and
  taken by the same `next_group`: each pair equally often, in a seeded order. A pair has
  room when a brief has a sample with a free slot in each of its groups (`pairs_with_room`).
  Within it, the fewest comparisons first, as for samples: the sample of the first group
  with the fewest slots taken, then its partner of the other group the same way; each
  shown sample takes a slot. Which one is shown as A (`first_on_a`) is drawn per
  participant and group pair in blocks of two, one each way: balanced within one for every
  participant and pair, and overall. A participant never gets the same two samples twice.
  An attention check is a pair of a broken sample and a regular one of its brief, on a
  side drawn the same way (`check_on_a`); the expected choice is the regular sample, and
  any other choice fails it.
- The end (`outcome`): screened out by the checks, or as a speeder when the study asks
  for it (median seconds per item below `min_median_seconds`, flagged either way);
  completed with the rated items that earn the code (`min_items_for_code`, 0: all);
  otherwise stopped early because nothing was left, which earns the partial code.
"""

import hashlib
import random
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import Enum

from django.db.models import CharField, Value
from django.db.models.functions import MD5, Cast, Concat


class Kind(Enum):
    REGULAR = "regular"
    CHECK = "check"
    DONE = "done"


@dataclass(frozen=True)
class Step:
    """What comes next: a regular sample of `group`, an attention check, or the end."""

    kind: Kind
    group: int | None = None


class End(Enum):
    COMPLETED = "completed"
    SCREENED_OUT = "screened_out"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Outcome:
    end: End
    speeder: bool


DONE = Step(Kind.DONE)
CHECK = Step(Kind.CHECK)


def items_for(study) -> int:
    return study.samples_per_rater


def attention_count(study) -> int:
    """How many of a participant's items are attention checks: the rate's share, and never
    all of them (the first item is always a regular one)."""
    total = items_for(study)
    wanted = round(total * study.attention_check_rate)
    return 0 if wanted == 0 or total < 2 else min(wanted, total - 1)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def attention_positions(participant, study) -> set[int]:
    """Where this participant's attention checks fall: seeded, never first. Positions 2..n
    ranked by the MD5 of "<seed>:<position>", the first few taken."""
    wanted = attention_count(study)
    if not wanted:
        return set()
    ranked = sorted(
        range(2, items_for(study) + 1),
        key=lambda position: (_md5(f"{participant.seed}:{position}"), position),
    )
    return set(ranked[:wanted])


def regular_count(study, checks_in_study: int) -> int:
    """How many regular items a participant gets: every item that is not a check (a study
    with fewer checks than positions for them fills the rest with regular items)."""
    return items_for(study) - min(attention_count(study), checks_in_study)


def group_sequence(*, seed: int, groups: Sequence[int], length: int) -> list[int]:
    """The groups of a participant's regular items, in order: each group `length //
    len(groups)` times, the remainder groups drawn at random, the whole list shuffled by
    the participant's seed. Recomputed from the seed, it is always the same."""
    groups = sorted(groups)
    if not groups or length <= 0:
        return []
    rng = random.Random(f"group-order:{seed}")
    full, remainder = divmod(length, len(groups))
    sequence = [group for group in groups for _ in range(full)] + rng.sample(groups, remainder)
    rng.shuffle(sequence)
    return sequence


def next_group(
    sequence: Sequence[int], served: Sequence[int], with_room: Collection[int]
) -> int | None:
    """The group of the next regular item. `served` holds the groups of the participant's
    regular items so far; the rest of the sequence is what they have not used yet of
    their quota, in their order, and the first of it with room wins. When none of it has
    room (or the sequence is used up), the group they have seen least among those with
    room, ties in the order of the sequence: balance as close as the pool allows."""
    rest = list(sequence)
    for group in served:
        if group in rest:
            rest.remove(group)
    for group in rest:
        if group in with_room:
            return group
    if not with_room:
        return None
    order = {group: index for index, group in reversed(list(enumerate(sequence)))}
    return min(
        with_room, key=lambda group: (served.count(group), order.get(group, len(order)), group)
    )


def group_pairs(groups: Sequence[int], *, same_group: bool) -> list[tuple[int, int]]:
    """A pairwise study's group pairs, each as (lower id, higher id): every two different
    groups, and each group with itself when same-group pairs are allowed."""
    groups = sorted(set(groups))
    return [
        (first, second)
        for index, first in enumerate(groups)
        for second in groups[index if same_group else index + 1 :]
    ]


def pairs_with_room(
    pairs: Collection[tuple[int, int]], room: dict[tuple[int, int | None], int]
) -> set[tuple[int, int]]:
    """The group pairs that can still make a pair: a brief with a sample with a free slot
    in each group (two in the group, for a same-group pair). `room` counts the samples
    with a free slot by (group, brief)."""
    found = set()
    for first, second in pairs:
        for (group, brief), count in room.items():
            if group != first or count < 1:
                continue
            if room.get((second, brief), 0) >= (2 if first == second else 1):
                found.add((first, second))
                break
    return found


def _coin(text: str) -> bool:
    return int(_md5(text)[0], 16) % 2 == 0


def first_on_a(seed: int, pair: tuple[int, int], index: int) -> bool:
    """Whether the participant's `index`-th item (from 0) of the group pair shows the first
    group's sample as A. Blocks of two items, one each way, in a seeded order: every
    prefix is balanced within one."""
    block, place = divmod(index, 2)
    first = _coin(f"{seed}:{pair[0]}-{pair[1]}:{block}")
    return first if place == 0 else not first


def check_on_a(seed: int, index: int) -> bool:
    """Whether the broken sample of the participant's `index`-th attention pair (from 0) is
    shown as A: drawn as `first_on_a` draws sides, so a participant's checks are balanced
    within one between A and B."""
    return first_on_a(seed, (0, 0), index)


def check_failed(choice: str, *, broken_on_a: bool) -> bool:
    """An attention pair is failed by any choice but the regular sample."""
    return choice != ("b" if broken_on_a else "a")


def screened_out(study, failures: int) -> bool:
    """Whether `failures` failed attention checks end the participant's work. A limit of 0
    means no screen-out."""
    return bool(study.attention_fail_limit) and failures >= study.attention_fail_limit


def finished(study, *, items_done: int, failures: int) -> bool:
    """Whether the participant is done after `items_done` items: the last one, or screened
    out."""
    return items_done >= items_for(study) or screened_out(study, failures)


def lease_minutes(study, position: int) -> int:
    """The lease of a participant's item at `position` (1 is their first)."""
    if position == 1:
        return min(study.first_lease_minutes, study.lease_minutes)
    return study.lease_minutes


def speeder(study, seconds: Sequence[float]) -> bool:
    """Whether the median seconds per rated item is below the study's minimum (0: off)."""
    return bool(study.min_median_seconds and seconds) and (
        statistics.median(seconds) < study.min_median_seconds
    )


def outcome(study, *, rated: int, failures: int, seconds: Sequence[float]) -> Outcome:
    """How a participant's work ends, given their rated items, failed checks and seconds
    per rated item."""
    fast = speeder(study, seconds)
    if screened_out(study, failures) or (fast and study.screen_out_speeders):
        return Outcome(End.SCREENED_OUT, fast)
    required = min(study.min_items_for_code or items_for(study), items_for(study))
    return Outcome(End.COMPLETED if rated >= required else End.STOPPED, fast)


def next_step(
    *,
    study,
    participant,
    served: Sequence[int],
    items_done: int,
    failures: int,
    with_room: Collection[int],
    check_left: bool,
    sequence: Sequence | None = None,
) -> Step:
    """What the participant gets next, given their regular items' groups so far (`served`),
    how many items they have had, how many checks they failed, which groups still have a
    sample with a free slot for them and whether a check they have not seen is left.
    `sequence` is the participant's drawn order (`group_order`, its pairs as tuples for a
    pairwise study)."""
    if finished(study, items_done=items_done, failures=failures):
        return DONE
    if check_left and items_done + 1 in attention_positions(participant, study):
        return CHECK
    order = participant.group_order if sequence is None else sequence
    group = next_group(order, served, with_room)
    return DONE if group is None else Step(Kind.REGULAR, group)


def sample_order(seed: int) -> tuple:
    """The order of the samples of one group for this participant, as `order_by`
    arguments: the fewest slots taken first, ties by the MD5 of "<seed>:<sample id>" (the
    participant's own shuffle, the same on every database)."""
    tie = MD5(Concat(Value(f"{seed}:"), Cast("pk", output_field=CharField())))
    return ("load", tie, "pk")


def check_order(seed: int) -> tuple:
    """The order in which a participant gets the attention checks (they have no slots to
    count): their own shuffle, as for samples."""
    return tuple(key for key in sample_order(seed) if key != "load")
