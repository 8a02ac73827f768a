"""Assignment: the participant's next item, as `rule.next_step` names it, claimed.

A step reads the participant's items and which groups still have room, asks the rule, and
claims what it says. Every POST runs the same statements whatever comes next: a regular
sample of any group, an attention check, or the end (whose statements match no row), so
its cost tells nothing about the next item (DESIGN §3).

Locks (PostgreSQL; on SQLite write transactions run one at a time instead). The order is
participant, then sample, then assignment. A deadlock needs a cycle of transactions, each
waiting for a lock while holding one that the next waits for. Here:
- the participant's lock is the first lock of every rating transaction, so whoever waits
  for it holds nothing anyone could wait for;
- a claim never waits for a sample: it takes one no other transaction holds (SKIP LOCKED)
  and, when every free sample of the group is held at that instant, pauses and looks
  again (`_claim_next`);
- the only waits for a sample's lock are a late rating taking its slot back and a new
  lease on an expired item (`_relet`); each is its transaction's first sample lock, taken
  before any claim;
- sweeps of expired leases skip whatever is locked (`slots.leases_release`).
So no transaction waits for a sample while holding another one, and no cycle can form.
The old claim waited for a sample's lock after SKIP LOCKED found nothing, and could hold
another sample's lock while doing so (SELECT ... FOR UPDATE keeps the lock of a row that
fails its re-check): two such claims deadlocked. `retries.retried` takes what is left (a
serialization failure, say) and runs the transaction again.
"""

import time
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.utils import timezone

from ratings.models import Assignment, Comparison, Participant, Rating
from ratings.services import pairs, rule
from ratings.services.participants import participant_lock
from ratings.services.retries import retried
from ratings.services.slots import leases_release
from studies.models import Sample, Study

# A claim that finds every free sample of its group held by other transactions looks
# again after CLAIM_PAUSE; after CLAIM_PATIENCE looks it passes that group over for now.
CLAIM_PAUSE = 0.01
CLAIM_PATIENCE = 200


def participant_items(participant: Participant) -> list:
    """The participant's items so far, in order, with what the rule needs of each: the
    sample's group (and the B sample's, for a pair), whether it is an attention check
    (`check`), and whether it was failed: a score outside the check's expected range, or
    a pair's choice other than the rule's (`rule.check_failed`). One query."""
    failed = Rating.objects.filter(assignment=OuterRef("pk")).filter(
        Q(score__lt=F("assignment__sample__expected_min"))
        | Q(score__gt=F("assignment__sample__expected_max"))
    )
    choice = Comparison.objects.filter(assignment=OuterRef("pk")).values("choice")[:1]
    check = Q(sample__is_attention_check=True) | Q(sample_b__is_attention_check=True)
    items = list(
        Assignment.objects.filter(participant=participant)
        .annotate(
            failed=Exists(failed),
            choice=Subquery(choice),
            check=ExpressionWrapper(check, output_field=BooleanField()),
        )
        .order_by("position")
        .values_list(
            "pk",
            "position",
            "sample_id",
            "sample__group_id",
            "sample__is_attention_check",
            "sample_b_id",
            "sample_b__group_id",
            "check",
            "choice",
            "served_at",
            "submitted_at",
            "lease_expires_at",
            "failed",
            named=True,
        )
    )
    return [_pair_failed(item) if item.choice else item for item in items]


def _pair_failed(item):
    broken_on_a = item.sample__is_attention_check
    return item._replace(
        failed=bool(item.check) and rule.check_failed(item.choice, broken_on_a=broken_on_a)
    )


def failed_checks(items: list) -> int:
    return sum(1 for item in items if item.check and item.failed)


def _room(study: Study, had: list[int]) -> tuple[set[int], bool]:
    """The groups with a sample that has a free slot and that the participant has not
    had, and whether an attention check they have not had is left. One query."""
    found = (
        Sample.objects.filter(study=study)
        .filter(Q(is_attention_check=True) | Q(load__lt=study.ratings_per_sample))
        .exclude(pk__in=had)
        .order_by()
        .values_list("group_id", "is_attention_check")
        .distinct()
    )
    with_room, check_left = set(), False
    for group, is_check in found:
        if is_check:
            check_left = True
        else:
            with_room.add(group)
    return with_room, check_left


def _claim(step: rule.Step, participant: Participant, study: Study, had: list[int]):
    """The sample `step` names, with its brief, or None. A regular sample is locked, and
    one that another transaction holds is passed over (SKIP LOCKED), never waited for.
    Attention checks have no slots and every participant may see each of them, so they
    are not locked. The done step runs the same statement, matching no sample."""
    samples = Sample.objects.select_related("brief").filter(study=study).exclude(pk__in=had)
    if step.kind is rule.Kind.REGULAR:
        samples = (
            samples.select_for_update(skip_locked=True, of=("self",))
            .filter(group_id=step.group, is_attention_check=False)
            .filter(load__lt=study.ratings_per_sample)
            .order_by(*rule.sample_order(participant.seed))
        )
    elif step.kind is rule.Kind.CHECK:
        samples = samples.filter(is_attention_check=True).order_by(
            *rule.check_order(participant.seed)
        )
    else:
        samples = samples.filter(pk=None)
    return samples.first()


def _claim_step(step: rule.Step, participant: Participant, study: Study, items: list):
    """The samples of the step, as (sample, B sample or None), or None; and whether the
    step's group (pair) has nothing left for this participant."""
    if pairs.is_pairwise(study):
        return pairs.pair_claim(step, participant, study, items)
    sample = _claim(step, participant, study, [item.sample_id for item in items])
    return (sample, None) if sample is not None else None, False


def _claim_next(participant: Participant, study: Study, items: list, now: datetime):
    """The samples of the rule's next step, as (sample, B sample or None); None for the
    done step."""
    pairwise = pairs.is_pairwise(study)
    had = [pk for item in items for pk in (item.sample_id, item.sample_b_id) if pk]
    regular = [item for item in items if not item.check]
    served = [pairs.pair_of(item) if pairwise else item.sample__group_id for item in regular]
    sequence = pairs.sequence(participant) if pairwise else participant.group_order
    failures = failed_checks(items)
    swept, busy, looks = False, set(), 0
    while True:
        with_room, check_left = (pairs.pair_room if pairwise else _room)(study, had)
        step = rule.next_step(
            study=study,
            participant=participant,
            served=served,
            items_done=len(items),
            failures=failures,
            with_room=with_room - busy,
            check_left=check_left,
            sequence=sequence,
        )
        sample, gone = _claim_step(step, participant, study, items)
        if gone:
            busy.add(step.group)
            continue
        if (
            step.kind is rule.Kind.DONE
            and not swept
            and not rule.finished(study, items_done=len(items), failures=failures)
        ):
            # Nothing left at first sight: expired leases give their slots back at once.
            swept = True
            if leases_release(now=now):
                continue
        if sample is not None or step.kind is rule.Kind.DONE:
            return sample
        # Every free sample of the group is being claimed by another transaction at this
        # instant, or was just taken: look again in a moment, waiting for no lock.
        looks += 1
        if looks >= CLAIM_PATIENCE:
            busy.add(step.group)
            looks = 0
        time.sleep(CLAIM_PAUSE)


def _draw_group_order(participant: Participant, study: Study) -> None:
    """The participant's sequence of groups (group pairs, for a pairwise study), drawn
    from their seed at their first item."""
    checks = Sample.objects.filter(study=study, is_attention_check=True).count()
    length = rule.regular_count(study, checks)
    if pairs.is_pairwise(study):
        participant.group_order = pairs.pair_order_draw(participant, study, length)
    else:
        groups = list(study.groups.values_list("pk", flat=True))
        participant.group_order = rule.group_sequence(
            seed=participant.seed, groups=groups, length=length
        )
    participant.save(update_fields=["group_order"])


def _serve_next(participant: Participant, study: Study, items: list, now: datetime):
    """A new item for a participant who holds none unrated, or None when they are done
    (they are then finished) or nothing is left."""
    if not participant.group_order:
        _draw_group_order(participant, study)
    if address_busy(participant, study, now) and not rule.finished(
        study, items_done=len(items), failures=failed_checks(items)
    ):
        return None  # they may come back once an item of their address is rated or lapses
    sample, sample_b = _claim_next(participant, study, items, now) or (None, None)
    check = sample is not None and (
        sample.is_attention_check or (sample_b is not None and sample_b.is_attention_check)
    )
    # The claimed samples' slots, under the row locks the claim holds. Attention checks
    # (and the regular sample shown with one) have no slots and the done step claimed
    # nothing: for them the statement matches no row.
    claimed = [] if check else [found.pk for found in (sample, sample_b) if found]
    # `pk=None` when nothing is claimed: an empty `pk__in` would send no statement at all.
    targets = Q(pk__in=claimed) if claimed else Q(pk=None)
    Sample.objects.filter(targets).update(load=F("load") + 1)
    if sample is None:
        if items:
            participant_finish(participant, study, now, items=items)
        return None
    assignment = Assignment.objects.create(
        participant=participant,
        sample=sample,
        sample_b=sample_b,
        position=len(items) + 1,
        served_at=now,
        lease_expires_at=now + timedelta(minutes=rule.lease_minutes(study, len(items) + 1)),
        holds_slot=not check,
    )
    return assignment


def address_busy(participant: Participant, study: Study, now: datetime | None = None) -> bool:
    """Whether the participants of this one's client address hold the study's limit of
    unrated items at once (`leases_per_address`; 0: no limit). One person opening many
    sessions to hold slots is stopped here; a shared address only waits for a while."""
    limit = study.leases_per_address
    if not (limit and participant.client_hash):
        return False
    held = Assignment.objects.filter(
        participant__study=study,
        participant__client_hash=participant.client_hash,
        submitted_at__isnull=True,
        lease_expires_at__gt=now or timezone.now(),
    )
    return held.count() >= limit


def _relet(current, study: Study, now: datetime) -> bool:
    """A new lease on the participant's unrated item after the old one ran out, when the
    sample (each sample of a pair) still has a slot for it; False when a slot went to
    someone else. Waits for the samples' locks, in id order: the first sample locks of its
    transaction (see the module's notes)."""
    lease = now + timedelta(minutes=rule.lease_minutes(study, current.position))
    if current.check:
        Assignment.objects.filter(pk=current.pk).update(lease_expires_at=lease)
        return True
    shown = sorted(pk for pk in (current.sample_id, current.sample_b_id) if pk)
    loads = list(
        Sample.objects.select_for_update()
        .filter(pk__in=shown)
        .order_by("pk")
        .values_list("load", flat=True)
    )
    holds = Assignment.objects.filter(pk=current.pk).values_list("holds_slot", flat=True).get()
    if not holds:
        if max(loads) >= study.ratings_per_sample:
            return False
        Sample.objects.filter(pk__in=shown).update(load=F("load") + 1)
    Assignment.objects.filter(pk=current.pk).update(lease_expires_at=lease, holds_slot=True)
    return True


@retried
@transaction.atomic
def assignment_next(
    *, participant: Participant, study: Study | None = None, now: datetime | None = None
):
    """The item to show: the one already leased, or a newly claimed one; None when the
    participant is finished (they are then marked completed or screened out) or nothing is
    left."""
    now = now or timezone.now()
    participant = participant_lock(participant)
    return assignment_next_locked(participant, study, now)


def assignment_next_locked(participant: Participant, study: Study | None, now: datetime):
    """`assignment_next` for a participant whose row lock this transaction holds."""
    study = study or Study.objects.defer("frozen_design").get(pk=participant.study_id)
    if participant.status != Participant.Status.ACTIVE or study.status != Study.Status.OPEN:
        return None
    items = participant_items(participant)
    current = next((item for item in items if item.submitted_at is None), None)
    if current is not None:
        if current.lease_expires_at > now or _relet(current, study, now):
            return Assignment.objects.select_related("sample__brief", "sample_b__brief").get(
                pk=current.pk
            )
        # The lease ran out and the slot went to someone else; this item was never rated.
        Assignment.objects.filter(pk=current.pk).delete()
        items.remove(current)
    return _serve_next(participant, study, items, now)


def participant_finish(participant: Participant, study: Study, now: datetime, *, items) -> None:
    """End the participant's work as the rule's `outcome` says: completed, stopped early
    (nothing was left for them), or screened out; a speeder is flagged either way."""
    rated = [item for item in items if item.submitted_at is not None]
    seconds = [max(0.0, (item.submitted_at - item.served_at).total_seconds()) for item in rated]
    failures = failed_checks(items)
    outcome = rule.outcome(study, rated=len(rated), failures=failures, seconds=seconds)
    participant.flags = {**participant.flags, "attention_failures": failures}
    if outcome.speeder:
        participant.flags["speeder"] = True
    participant.status = outcome.end.value
    participant.finished_at = now
    participant.save(update_fields=["flags", "status", "finished_at"])
