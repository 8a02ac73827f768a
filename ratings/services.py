"""The rater's way through a study: entry, consent, assignment, submission, completion.

Slots. A sample has `ratings_per_sample` slots; an assignment holds one (`holds_slot`) from
the moment it is served until its lease runs out unrated, and for good once rated. Each
sample keeps the count of held slots (`Sample.load`), so choosing the next sample reads
one row per sample instead of counting every assignment of the study. Expired leases give
their slots back when `leases_release` sweeps them: every few seconds while raters are
served, and always before a study is said to be full. The count changes only under the
sample's row lock; `sample_loads_recount` rebuilds it from the assignments.

Concurrency. Every request of one participant takes that participant's row lock first, so
a participant's own requests (reloads, double submits, two tabs) run one at a time. A new
item is claimed with one statement: among samples with a free slot, ordered by the rule,
the first one not locked by another transaction (`FOR UPDATE SKIP LOCKED`) has its count
raised, with the free slot checked again on the locked row. Lock order is participant,
then sample, then assignment, everywhere, so nothing can deadlock; the sweep skips samples
another transaction holds. The unique constraints on assignments and ratings are the last
line of defence. On SQLite, row locks do nothing and write transactions are serialised
instead (BEGIN IMMEDIATE, see config.environment).
"""

import hashlib
import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from ratings import sql
from ratings.models import Assignment, Participant, Rating
from studies import design
from studies.models import Brief, Sample, Study, new_token

NOT_YOUR_ITEM = "This item is not one of yours. Please continue with the item shown."
STUDY_NOT_OPEN = "This study is not open, so your rating was not stored."
MISSING_SCORE = "Please choose a score."
MISSING_GUESS = "Please say who you think made it."
UNKNOWN_GUESS = "Please choose one of the options."
SWEEP_EVERY = timedelta(seconds=5)
# What the rating pages read of each row (see ratings.sql: plain SQL on the hot path).
PARTICIPANT_FIELDS = ("id", "study", "status", "seed", "session_key")
ASSIGNMENT_FIELDS = ("id", "participant", "sample", "token", "position", "served_at",
                     "lease_expires_at", "submitted_at", "holds_slot")  # fmt: skip


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


def items_for(study: Study) -> int:
    return study.samples_per_rater


def attention_count(study: Study) -> int:
    """How many of a participant's items are attention checks."""
    total = items_for(study)
    wanted = round(total * study.attention_check_rate)
    return 0 if wanted == 0 or total < 2 else min(wanted, total - 1)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def attention_positions(participant: Participant, study: Study) -> set[int]:
    """Where this participant's attention checks fall: seeded, never first. Positions 2..n
    ranked by the MD5 of "<seed>:<position>", the first few taken: the same ranking the
    fast path computes in SQL (ratings.fast)."""
    wanted = attention_count(study)
    if not wanted:
        return set()
    ranked = sorted(
        range(2, items_for(study) + 1),
        key=lambda position: (_md5(f"{participant.seed}:{position}"), position),
    )
    return set(ranked[:wanted])


class _Sweeps:
    """When this process last swept expired leases: a sweep is one indexed query, but not
    one worth making on every request."""

    lock = threading.Lock()
    last: datetime | None = None

    @classmethod
    def due(cls, now: datetime) -> bool:
        with cls.lock:
            if cls.last is not None and cls.last <= now < cls.last + SWEEP_EVERY:
                return False
            cls.last = now
            return True


def leases_release(*, now: datetime | None = None) -> int:
    """Give back the slots of leases that ran out unrated, and return how many. Samples
    another transaction holds right now are left for the next sweep, so this never waits
    and never deadlocks (it locks sample, then assignments, like everyone else)."""
    now = now or timezone.now()
    expired = Assignment.objects.filter(
        submitted_at__isnull=True, holds_slot=True, lease_expires_at__lte=now
    )
    sample_ids = list(expired.values_list("sample_id", flat=True).distinct()[:500])
    released = 0
    if not sample_ids:
        return 0
    with transaction.atomic():
        locked = Sample.objects.select_for_update(skip_locked=True).filter(pk__in=sample_ids)
        for sample_id in locked.values_list("pk", flat=True):
            count = expired.filter(sample_id=sample_id).update(holds_slot=False)
            if count:
                Sample.objects.filter(pk=sample_id).update(load=F("load") - count)
                released += count
    return released


def sample_loads_recount(*, study: Study | None = None) -> None:
    """Rebuild `Sample.load` from the assignments (after rows were written by hand)."""
    samples = Sample.objects.all() if study is None else Sample.objects.filter(study=study)
    with transaction.atomic():
        loads = dict(samples.select_for_update().values_list("pk", "load"))
        held = dict(
            Assignment.objects.filter(sample_id__in=list(loads), holds_slot=True)
            .values_list("sample_id")
            .annotate(n=Count("id"))
            .values_list("sample_id", "n")
        )
        for pk, load in loads.items():
            if load != held.get(pk, 0):
                Sample.objects.filter(pk=pk).update(load=held.get(pk, 0))


def _regular_with_room(study: Study):
    return Sample.objects.filter(
        study=study, is_attention_check=False, load__lt=study.ratings_per_sample
    )


def study_has_room(*, study: Study, now: datetime | None = None) -> bool:
    """Whether any regular sample still has a free slot (expired leases given back)."""
    if _regular_with_room(study).exists():
        return True
    return leases_release(now=now) > 0 and _regular_with_room(study).exists()


def participant_find(
    *, study: Study, external_id: str = "", session_key: str = ""
) -> Participant | None:
    """A returning participant: by external id (e.g. PROLIFIC_PID), else by the key in
    their browser's cookie."""
    if external_id:
        found = Participant.objects.filter(study=study, external_id=external_id).first()
        if found is not None:
            return found
    if session_key:
        return sql.load_one(
            Participant, PARTICIPANT_FIELDS, "study_id = %s AND session_key = %s",
            [study.pk, session_key],
        )  # fmt: skip
    return None


def participant_consent(
    *,
    study: Study,
    external_id: str = "",
    external_study_id: str = "",
    external_session_id: str = "",
) -> Participant:
    """Record consent, once: a second consent of the same external id returns the first.
    The participant gets a new random `session_key` for their browser's cookie."""
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
                session_key=secrets.token_urlsafe(24),
                seed=secrets.randbits(62),
                consented_at=timezone.now(),
            )
    except IntegrityError:
        # The same external id consented at the same moment in another request.
        return Participant.objects.get(study=study, external_id=external_id)


def participant_key_ensure(*, participant: Participant) -> Participant:
    """A cookie key for a participant who has none (found by external id after their key
    was cleared, say); the same key for everyone who asks at once."""
    if not participant.session_key:
        Participant.objects.filter(pk=participant.pk, session_key="").update(
            session_key=secrets.token_urlsafe(24)
        )
        participant.refresh_from_db(fields=["session_key"])
    return participant


def _lock(participant: Participant) -> Participant:
    """The participant's row lock, and their current status."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return sql.load_one(Participant, PARTICIPANT_FIELDS, f"id = %s{lock}", [participant.pk])


class _Held(NamedTuple):
    """What the rule needs of each of a participant's items."""

    pk: int
    sample_id: int
    is_attention_check: bool
    submitted_at: datetime | None
    lease_expires_at: datetime


def _claim_sql(vendor: str, *, skip_locked: bool) -> str:
    """The DESIGN §3 rule as one statement: among this study's regular samples with a free
    slot that the participant has not had, the group they have seen least, then the fewest
    slots taken, ties by the participant's seeded shuffle (a hash of the sample id seeded
    by theirs). The best few make a shortlist (a bounded sort); the first of them no other
    transaction holds takes one more slot, its free slot checked again on the locked row.

    Parameters by name: participant, seed, study, target (ratings per sample), shortlist.
    The same text every time, so PostgreSQL plans it once per connection."""
    if vendor == "postgresql":
        tie = "hashint8extended(s.id, %(seed)s)"
        lock = " FOR UPDATE OF t SKIP LOCKED" if skip_locked else " FOR UPDATE OF t"
    else:
        tie = "MD5(%(seed)s || ':' || s.id)"  # Django registers MD5 on SQLite connections
        lock = ""
    return (
        "WITH seen AS ("
        " SELECT (SELECT x.group_id FROM studies_sample x"
        "  WHERE x.id = a.sample_id AND NOT x.is_attention_check) AS group_id, COUNT(*) AS n"
        " FROM ratings_assignment a WHERE a.participant_id = %(participant)s GROUP BY 1"
        "), shortlist AS ("
        f" SELECT s.id, COALESCE(seen.n, 0) AS k1, s.load AS k2, {tie} AS k3"
        " FROM studies_sample s LEFT JOIN seen ON seen.group_id = s.group_id"
        " WHERE s.study_id = %(study)s AND NOT s.is_attention_check AND s.load < %(target)s"
        " AND s.id NOT IN"
        "  (SELECT sample_id FROM ratings_assignment WHERE participant_id = %(participant)s)"
        " ORDER BY k1, k2, k3 LIMIT %(shortlist)s"
        ") UPDATE studies_sample SET load = load + 1 WHERE id = ("
        " SELECT t.id FROM studies_sample t JOIN shortlist c ON c.id = t.id"
        f" WHERE t.load < %(target)s ORDER BY c.k1, c.k2, c.k3 LIMIT 1{lock}"
        ") RETURNING id"
    )


SHORTLIST = 8
EVERYTHING = 2**31 - 1


def _claim_regular(participant: Participant, study: Study) -> int | None:
    """The sample `_claim_sql` picks, with a slot taken; None when no sample has a free
    slot for this participant."""
    target = study.ratings_per_sample
    vendor, skip_locked = connection.vendor, connection.features.has_select_for_update_skip_locked

    def claim(shortlist: int, *, skip: bool):
        params = {"participant": participant.pk, "seed": participant.seed, "study": study.pk,
                  "target": target, "shortlist": shortlist}  # fmt: skip
        return sql.first(_claim_sql(vendor, skip_locked=skip), params)

    row = claim(SHORTLIST, skip=skip_locked)
    if row is None and skip_locked and _regular_with_room(study).exists():
        # The shortlist is held by other transactions at this instant: the whole list, then
        # (when every sample with room is held) wait for the best one rather than give up.
        row = claim(EVERYTHING, skip=True) or claim(EVERYTHING, skip=False)
    return row[0] if row else None


def _claim_attention_check(participant: Participant, study: Study, mine: list[_Held]):
    checks = Sample.objects.filter(study=study, is_attention_check=True).exclude(
        pk__in=[a.sample_id for a in mine]
    )
    # Attention checks have no target: any participant may see each of them.
    ranks = {
        pk: random.Random(f"{participant.seed}:{pk}").random()
        for pk in checks.values_list("pk", flat=True)
    }
    return min(ranks, key=ranks.get) if ranks else None


def _relet(current: _Held, study: Study, now: datetime) -> bool:
    """A new lease on the participant's unrated item after the old one ran out, when the
    sample still has a slot for it; False when the slot went to someone else."""
    lease = now + timedelta(minutes=study.lease_minutes)
    if current.is_attention_check:
        Assignment.objects.filter(pk=current.pk).update(lease_expires_at=lease)
        return True
    sample = Sample.objects.select_for_update().only("load").get(pk=current.sample_id)
    holds = Assignment.objects.filter(pk=current.pk).values_list("holds_slot", flat=True).get()
    if not holds:
        if sample.load >= study.ratings_per_sample:
            return False
        Sample.objects.filter(pk=sample.pk).update(load=F("load") + 1)
    Assignment.objects.filter(pk=current.pk).update(lease_expires_at=lease, holds_slot=True)
    return True


@transaction.atomic
def assignment_next(
    *, participant: Participant, study: Study | None = None, now: datetime | None = None
):
    """The item to show: the one already leased, or a newly claimed one; None when the
    participant is finished (they are then marked completed) or nothing is left."""
    now = now or timezone.now()
    participant = _lock(participant)
    return _next(participant, study, now)


def _shown(assignment: Assignment) -> Assignment:
    """The assignment with what its page shows: the sample's content and its brief, not
    the sample's researcher-only fields."""
    (
        pk, study_id, group_id, brief_id, kind, text, media, is_check,
        brief_title, brief_text, brief_shown,
    ) = sql.first(
        "SELECT s.id, s.study_id, s.group_id, s.brief_id, s.kind, s.text, s.media,"
        " s.is_attention_check, b.title, b.text, b.show_to_raters FROM studies_sample s"
        " LEFT JOIN studies_brief b ON b.id = s.brief_id WHERE s.id = %s",
        [assignment.sample_id],
    )  # fmt: skip
    sample = sql.instance(
        Sample, id=pk, study_id=study_id, group_id=group_id, brief_id=brief_id, kind=kind,
        text=text, media=media, is_attention_check=bool(is_check),
    )  # fmt: skip
    sample.brief = None
    if brief_id:
        sample.brief = sql.instance(
            Brief, id=brief_id, study_id=study_id, title=brief_title, text=brief_text,
            show_to_raters=bool(brief_shown),
        )  # fmt: skip
    assignment.sample = sample
    return assignment


def _next(participant: Participant, study: Study | None, now: datetime):
    study = study or Study.objects.defer("frozen_design").get(pk=participant.study_id)
    if participant.status != Participant.Status.ACTIVE or study.status != Study.Status.OPEN:
        return None
    # All of this participant's items in one query: a handful, never more than the cap.
    mine = [
        _Held(pk, sample_id, bool(check), sql.as_datetime(done), sql.as_datetime(lease))
        for pk, sample_id, check, done, lease in sql.rows(
            "SELECT a.id, a.sample_id, (SELECT s.is_attention_check FROM studies_sample s"
            " WHERE s.id = a.sample_id), a.submitted_at, a.lease_expires_at"
            " FROM ratings_assignment a WHERE a.participant_id = %s ORDER BY a.position",
            [participant.pk],
        )
    ]
    current = next((a for a in mine if a.submitted_at is None), None)
    if current is not None:
        if current.lease_expires_at > now or _relet(current, study, now):
            return _shown(sql.load_one(Assignment, ASSIGNMENT_FIELDS, "id = %s", [current.pk]))
        # The lease ran out and the slot went to someone else; this item was never rated.
        Assignment.objects.filter(pk=current.pk).delete()
        mine.remove(current)
    done = len(mine)
    if done >= items_for(study):
        _finish(participant, study, now)
        return None
    position = done + 1
    if _Sweeps.due(now):
        leases_release(now=now)
    sample_id = None
    is_check = position in attention_positions(participant, study)
    if is_check:
        sample_id = _claim_attention_check(participant, study, mine)
        is_check = sample_id is not None
    if sample_id is None:
        sample_id = _claim_regular(participant, study)
        if sample_id is None and leases_release(now=now):
            sample_id = _claim_regular(participant, study)
    if sample_id is None:
        if done:
            _finish(participant, study, now)
        return None
    values = {
        "participant_id": participant.pk,
        "sample_id": sample_id,
        "token": new_token(),
        "position": position,
        "served_at": now,
        "lease_expires_at": now + timedelta(minutes=study.lease_minutes),
        "holds_slot": not is_check,  # attention checks have no slots
    }
    columns = ", ".join(values)
    (pk,) = sql.first(
        f"INSERT INTO ratings_assignment ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " RETURNING id",
        [sql.when(v) if isinstance(v, datetime) else v for v in values.values()],
    )
    return _shown(sql.instance(Assignment, id=pk, submitted_at=None, **values))


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
    return _submit(_lock(participant), item, values, guess, study, now)


@transaction.atomic
def rating_submit_and_next(
    *,
    participant: Participant,
    item: str,
    values: dict[str, str],
    guess: str = "",
    study: Study,
    now: datetime | None = None,
):
    """`rating_submit`, then `assignment_next`, under one lock and in one transaction: what
    the rating page's POST does, so the next item comes back in the same response."""
    now = now or timezone.now()
    participant = _lock(participant)
    submitted = _submit(participant, item, values, guess, study, now)
    return submitted, _next(participant, study, now)


def _submit(participant, item, values, guess, study, now) -> Submitted:
    study = study or Study.objects.defer("frozen_design").get(pk=participant.study_id)
    found = sql.first(
        "SELECT a.id, a.sample_id, a.position, a.served_at, a.submitted_at,"
        " s.is_attention_check FROM ratings_assignment a"
        " JOIN studies_sample s ON s.id = a.sample_id"
        " WHERE a.participant_id = %s AND a.token = %s",
        [participant.pk, item],
    )
    if found is None:
        raise RatingRefused(NOT_YOUR_ITEM)
    pk, sample_id, position, served_at, submitted_at, is_check = found
    assignment = sql.instance(
        Assignment, id=pk, participant_id=participant.pk, sample_id=sample_id, token=item,
        position=position, served_at=sql.as_datetime(served_at),
        submitted_at=sql.as_datetime(submitted_at),
    )  # fmt: skip
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
    stamp = sql.when(now)
    sql.write(
        "INSERT INTO ratings_rating (assignment_id, criterion, score, guess, seconds, created_at)"
        " VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(scores)),
        [value for key, score in scores.items()
         for value in (pk, key, score, guess, seconds, stamp)],
    )  # fmt: skip
    regular = not is_check
    # A rated item holds its slot for good. The row is updated only while it still holds
    # one; after a sweep gave the slot back, the late rating takes a slot again (the sample
    # may go one over its target: late ratings are kept), under the sample's lock.
    if not sql.write(
        "UPDATE ratings_assignment SET submitted_at = %s WHERE id = %s AND holds_slot", [stamp, pk]
    ):
        if regular:
            sql.write("UPDATE studies_sample SET load = load + 1 WHERE id = %s", [sample_id])
        sql.write(
            "UPDATE ratings_assignment SET submitted_at = %s, holds_slot = %s WHERE id = %s",
            [stamp, regular, pk],
        )
    assignment.submitted_at = now
    screen_out = (
        not regular
        and study.attention_fail_limit
        and _attention_failures(participant) >= study.attention_fail_limit
    )
    # Items are served one at a time in order, so the last position is the last item.
    if screen_out or position >= items_for(study):
        _finish(participant, study, now)
    return Submitted(assignment=assignment, repeated=False)
