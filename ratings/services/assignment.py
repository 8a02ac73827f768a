"""Assignment: which item a participant gets next, by the DESIGN §3 rule."""

import hashlib
import random
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ratings import sql
from ratings.models import Assignment, Participant, Rating
from ratings.services.participants import participant_lock
from ratings.services.slots import leases_release, leases_sweep_if_due, regular_with_room
from studies.models import Brief, Sample, Study, new_token

# What the rating pages read of an assignment (see ratings.sql: plain SQL on the hot path).
ASSIGNMENT_FIELDS = ("id", "participant", "sample", "token", "position", "served_at",
                     "lease_expires_at", "submitted_at", "holds_slot")  # fmt: skip


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


class _Held(NamedTuple):
    """What the rule needs of each of a participant's items."""

    pk: int
    sample_id: int
    is_attention_check: bool
    submitted_at: datetime | None
    lease_expires_at: datetime


def claim_sql(vendor: str, *, skip_locked: bool) -> str:
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


def claim_regular(participant: Participant, study: Study) -> int | None:
    """The sample `claim_sql` picks, with a slot taken; None when no sample has a free
    slot for this participant."""
    target = study.ratings_per_sample
    vendor, skip_locked = connection.vendor, connection.features.has_select_for_update_skip_locked

    def claim(shortlist: int, *, skip: bool):
        params = {"participant": participant.pk, "seed": participant.seed, "study": study.pk,
                  "target": target, "shortlist": shortlist}  # fmt: skip
        return sql.first(claim_sql(vendor, skip_locked=skip), params)

    row = claim(SHORTLIST, skip=skip_locked)
    if row is None and skip_locked and regular_with_room(study).exists():
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
    participant = participant_lock(participant)
    return assignment_next_locked(participant, study, now)


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


def assignment_next_locked(participant: Participant, study: Study | None, now: datetime):
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
        participant_finish(participant, study, now)
        return None
    position = done + 1
    leases_sweep_if_due(now)
    sample_id = None
    is_check = position in attention_positions(participant, study)
    if is_check:
        sample_id = _claim_attention_check(participant, study, mine)
        is_check = sample_id is not None
    if sample_id is None:
        sample_id = claim_regular(participant, study)
        if sample_id is None and leases_release(now=now):
            sample_id = claim_regular(participant, study)
    if sample_id is None:
        if done:
            participant_finish(participant, study, now)
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


def attention_failures(participant: Participant) -> int:
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


def participant_finish(participant: Participant, study: Study, now: datetime) -> None:
    failures = attention_failures(participant)
    participant.flags = {**participant.flags, "attention_failures": failures}
    if study.attention_fail_limit and failures >= study.attention_fail_limit:
        participant.status = Participant.Status.SCREENED_OUT
    else:
        participant.status = Participant.Status.COMPLETED
    participant.finished_at = now
    participant.save(update_fields=["flags", "status", "finished_at"])
