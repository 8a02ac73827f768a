"""The rater's way through a study: entry, consent, assignment, submission, completion.

Concurrency: every request of one participant takes that participant's row lock first, so
a participant's own requests (reloads, double submits, two tabs) run one at a time; a new
assignment then takes the chosen sample's row lock (`skip_locked`, so participants never
queue behind each other) and counts the sample's load again under it before claiming a
slot. Locks are always taken in this order, participant then sample, so they cannot
deadlock. The unique constraints on assignments and ratings are the last line of defence.
On SQLite, `select_for_update` does nothing and write transactions are serialised instead
(BEGIN IMMEDIATE, see config.environment).
"""

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import MD5, Cast, Concat
from django.utils import timezone

from ratings.models import Assignment, Participant, Rating
from studies import design
from studies.models import Sample, Study

NOT_YOUR_ITEM = "This item is not one of yours. Please continue with the item shown."
STUDY_NOT_OPEN = "This study is not open, so your rating was not stored."
MISSING_SCORE = "Please choose a score."
MISSING_GUESS = "Please say who you think made it."
UNKNOWN_GUESS = "Please choose one of the options."
LOCK_TRIES = 25


class RatingRefused(Exception):
    """The submission cannot be taken at all; nothing was stored."""


@dataclass
class RatingInvalid(Exception):
    """Fields at fault -> message; nothing was stored, the item is shown again."""

    problems: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Submitted:
    assignment: Assignment
    repeated: bool


def _tie_expression(seed: int):
    """The participant's seeded shuffle: a stable pseudo-random rank per sample."""
    return MD5(Concat(Value(f"{seed}:"), Cast("id", output_field=CharField())))


def _live(now: datetime) -> Q:
    """Assignments that hold a slot: rated, or leased and not yet expired."""
    return Q(submitted_at__isnull=False) | Q(lease_expires_at__gt=now)


def items_for(study: Study) -> int:
    return study.samples_per_rater


def attention_positions(participant: Participant, study: Study) -> set[int]:
    """Where this participant's attention checks fall: seeded, never first."""
    total = items_for(study)
    wanted = round(total * study.attention_check_rate)
    if wanted == 0 or total < 2:
        return set()
    chooser = random.Random(participant.seed)
    return set(chooser.sample(range(2, total + 1), min(wanted, total - 1)))


def study_has_room(*, study: Study, now: datetime | None = None) -> bool:
    """Whether any regular sample is still short of its target, counting live leases."""
    now = now or timezone.now()
    return (
        Sample.objects.filter(study=study, is_attention_check=False)
        .annotate(load=Count("assignments", filter=_live_assignments_filter(now)))
        .filter(load__lt=study.ratings_per_sample)
        .exists()
    )


def _live_assignments_filter(now: datetime) -> Q:
    return Q(assignments__submitted_at__isnull=False) | Q(assignments__lease_expires_at__gt=now)


def participant_find(
    *, study: Study, external_id: str = "", participant_id: int | None = None
) -> Participant | None:
    """A returning participant: by external id (e.g. PROLIFIC_PID), else by session."""
    if external_id:
        found = Participant.objects.filter(study=study, external_id=external_id).first()
        if found is not None:
            return found
    if participant_id is not None:
        return Participant.objects.filter(study=study, pk=participant_id).first()
    return None


def participant_consent(
    *,
    study: Study,
    external_id: str = "",
    external_study_id: str = "",
    external_session_id: str = "",
    session_key: str = "",
) -> Participant:
    """Record consent, once: a second consent of the same external id returns the first."""
    if external_id:
        existing = Participant.objects.filter(study=study, external_id=external_id).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return Participant.objects.create(
                study=study,
                external_id=external_id,
                external_study_id=external_study_id,
                external_session_id=external_session_id,
                session_key=session_key,
                seed=secrets.randbits(62),
                consented_at=timezone.now(),
            )
    except IntegrityError:
        # The same external id consented at the same moment in another request.
        return Participant.objects.get(study=study, external_id=external_id)


def _sample_load(sample_id: int, now: datetime, exclude: int | None = None) -> int:
    assignments = Assignment.objects.filter(Q(sample_id=sample_id) & _live(now))
    if exclude is not None:
        assignments = assignments.exclude(pk=exclude)
    return assignments.count()


def _lock_with_room(sample_id: int, target: int, now: datetime, *, wait: bool, exclude=None):
    """Lock the sample row. Returns the sample when, under the lock, it still has a free
    slot; False when it is full; None when another participant holds it right now."""
    sample = (
        Sample.objects.select_for_update(skip_locked=not wait, of=("self",))
        .select_related("brief")
        .filter(pk=sample_id)
        .first()
    )
    if sample is None:
        return None
    return sample if _sample_load(sample_id, now, exclude) < target else False


def _claim_regular(
    participant: Participant, study: Study, now: datetime, mine: list[Assignment]
) -> Sample | None:
    """The DESIGN §3 rule: the group this participant has seen least, then the sample with
    the fewest ratings (counting live leases), ties by the participant's seeded shuffle."""
    seen: dict[int, int] = {}
    for assignment in mine:
        if not assignment.sample.is_attention_check:
            seen[assignment.sample.group_id] = seen.get(assignment.sample.group_id, 0) + 1
    # The whole rule runs in the database; only the best few candidates come back.
    pool = (
        Sample.objects.filter(study=study, is_attention_check=False)
        .exclude(pk__in=[a.sample_id for a in mine])
        .annotate(load=Count("assignments", filter=_live_assignments_filter(now)))
        .filter(load__lt=study.ratings_per_sample)
        .annotate(tie=_tie_expression(participant.seed))
    )
    order = ["load", "tie"]
    if seen:
        pool = pool.annotate(
            seen=Case(
                *[When(group_id=group, then=Value(count)) for group, count in seen.items()],
                default=Value(0),
            )
        )
        order.insert(0, "seen")
    candidates = list(pool.order_by(*order).values_list("id", flat=True)[:LOCK_TRIES])
    if not candidates:
        return None
    skipped = []
    for sample_id in candidates:
        sample = _lock_with_room(sample_id, study.ratings_per_sample, now, wait=False)
        if sample is None:
            skipped.append(sample_id)
        elif sample:
            return sample
    # Every good candidate was locked by someone else: wait for the best of them.
    for sample_id in skipped[:3]:
        sample = _lock_with_room(sample_id, study.ratings_per_sample, now, wait=True)
        if sample:
            return sample
    return None


def _claim_attention_check(
    participant: Participant, study: Study, mine: list[Assignment]
) -> Sample | None:
    return (
        Sample.objects.filter(study=study, is_attention_check=True)
        .exclude(pk__in=[a.sample_id for a in mine])
        .select_related("brief")
        .annotate(tie=_tie_expression(participant.seed))
        .order_by("tie")
        .first()
    )


@transaction.atomic
def assignment_next(
    *, participant: Participant, study: Study | None = None, now: datetime | None = None
):
    """The item to show: the one already leased, or a newly claimed one; None when the
    participant is finished (they are then marked completed) or nothing is left."""
    now = now or timezone.now()
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    study = study or Study.objects.defer("frozen_design").get(pk=participant.study_id)
    if participant.status != Participant.Status.ACTIVE or study.status != Study.Status.OPEN:
        return None
    lease = timedelta(minutes=study.lease_minutes)
    # All of this participant's items in one query: a handful, never more than the cap.
    mine = list(
        participant.assignments.select_related("sample", "sample__brief").order_by("position")
    )
    current = next((a for a in mine if a.submitted_at is None), None)
    if current is not None:
        if current.lease_expires_at > now:
            return current
        if current.sample.is_attention_check or _lock_with_room(
            current.sample_id, study.ratings_per_sample, now, wait=True, exclude=current.pk
        ):
            current.lease_expires_at = now + lease
            current.save(update_fields=["lease_expires_at"])
            return current
        # The lease ran out and the slot went to someone else; this item was never rated.
        current.delete()
        mine.remove(current)
    done = len(mine)
    if done >= items_for(study):
        _finish(participant, study, now)
        return None
    position = done + 1
    sample = None
    if position in attention_positions(participant, study):
        sample = _claim_attention_check(participant, study, mine)
    if sample is None:
        sample = _claim_regular(participant, study, now, mine)
    if sample is None:
        if done:
            _finish(participant, study, now)
        return None
    return Assignment.objects.create(
        participant=participant,
        sample=sample,
        position=position,
        served_at=now,
        lease_expires_at=now + lease,
    )


def _attention_failures(participant: Participant) -> int:
    return (
        Rating.objects.filter(
            assignment__participant=participant, assignment__sample__is_attention_check=True
        )
        .filter(
            Q(score__lt=F("assignment__sample__expected_min"))
            | Q(score__gt=F("assignment__sample__expected_max"))
        )
        .values("assignment")
        .distinct()
        .count()
    )


def _finish(participant: Participant, study: Study, now: datetime) -> None:
    failures = _attention_failures(participant)
    participant.flags = {**participant.flags, "attention_failures": failures}
    if study.attention_fail_limit and failures >= study.attention_fail_limit:
        participant.status = Participant.Status.SCREENED_OUT
    else:
        participant.status = Participant.Status.COMPLETED
    participant.finished_at = now
    participant.save(update_fields=["flags", "status", "finished_at"])


def _parse_scores(study: Study, values: dict[str, str]) -> tuple[dict[str, float], dict]:
    scores, problems = {}, {}
    for criterion in study.criteria:
        key = criterion["key"]
        raw = (values.get(key) or "").strip()
        if not raw:
            problems[key] = MISSING_SCORE
            continue
        try:
            score = float(raw)
        except ValueError:
            problems[key] = f"'{raw}' is not a score; please choose one."
            continue
        problem = design.score_problem(study, score)
        if problem:
            problems[key] = f"The score {problem}."
        else:
            scores[key] = score
    return scores, problems


@transaction.atomic
def rating_submit(
    *,
    participant: Participant,
    item: str,
    values: dict[str, str],
    guess: str = "",
    study: Study | None = None,
    now: datetime | None = None,
) -> Submitted:
    """Store the scores of one item, once. Repeating it changes nothing; a late one (its
    lease expired) is kept. Finishes the participant after their last item, or screens
    them out when they fail the study's attention-check rule."""
    now = now or timezone.now()
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    study = study or Study.objects.defer("frozen_design").get(pk=participant.study_id)
    assignment = (
        Assignment.objects.select_related("sample")
        .filter(participant=participant, token=item)
        .first()
    )
    if assignment is None:
        raise RatingRefused(NOT_YOUR_ITEM)
    if assignment.submitted_at is not None:
        return Submitted(assignment=assignment, repeated=True)
    if study.status != Study.Status.OPEN:
        raise RatingRefused(STUDY_NOT_OPEN)
    scores, problems = _parse_scores(study, values)
    guess = (guess or "").strip()
    if study.ask_source_guess:
        if not guess:
            problems["guess"] = MISSING_GUESS
        elif guess not in (study.guess_labels or {}):
            problems["guess"] = UNKNOWN_GUESS
    else:
        guess = ""
    if problems:
        raise RatingInvalid(problems)
    seconds = max(0.0, (now - assignment.served_at).total_seconds())
    Rating.objects.bulk_create(
        [
            Rating(assignment=assignment, criterion=key, score=score, guess=guess, seconds=seconds)
            for key, score in scores.items()
        ]
    )
    assignment.submitted_at = now
    assignment.save(update_fields=["submitted_at"])
    screen_out = (
        assignment.sample.is_attention_check
        and study.attention_fail_limit
        and _attention_failures(participant) >= study.attention_fail_limit
    )
    # Items are served one at a time in order, so the last position is the last item.
    if screen_out or assignment.position >= items_for(study):
        _finish(participant, study, now)
    return Submitted(assignment=assignment, repeated=False)
