"""Rating slots: `Sample.load` counts the slots taken; expired leases give theirs back."""

from collections import Counter
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from ratings.models import Assignment
from ratings.services.pairs import pair_room
from studies.models import Sample, Study


def leases_release(*, now: datetime | None = None) -> int:
    """Give back the slots of leases that ran out unrated, and return how many: on a
    schedule (`ratings.tasks`, every MAINTENANCE_SECONDS), and at once when a participant
    or a new rater finds no sample with room (`_claim_next`, `study_has_room`). Samples
    and assignments another transaction holds right now are left for the next sweep
    (SKIP LOCKED on both), so a sweep never waits for a lock and can never be part of a
    deadlock; it locks samples, then assignments, like everyone else."""
    now = now or timezone.now()
    expired = Assignment.objects.filter(
        submitted_at__isnull=True, holds_slot=True, lease_expires_at__lte=now
    )
    shown = list(expired.order_by().values_list("sample_id", "sample_b_id").distinct()[:500])
    sample_ids = {pk for pair in shown for pk in pair if pk}
    if not sample_ids:
        return 0
    with transaction.atomic():
        samples = Sample.objects.select_for_update(skip_locked=True).filter(pk__in=sample_ids)
        locked = list(samples.values_list("pk", flat=True))
        found = list(
            expired.select_for_update(skip_locked=True)
            .filter(sample_id__in=locked)
            .filter(Q(sample_b__isnull=True) | Q(sample_b_id__in=locked))
            .values_list("pk", "sample_id", "sample_b_id")
        )
        Assignment.objects.filter(pk__in=[pk for pk, *_ in found]).update(holds_slot=False)
        given = Counter(pk for _, *pair in found for pk in pair if pk)
        for sample_id, count in given.items():
            Sample.objects.filter(pk=sample_id).update(load=F("load") - count)
    return len(found)


def sample_loads_recount(*, study: Study | None = None) -> None:
    """Rebuild `Sample.load` from the assignments (after rows were written by hand)."""
    samples = Sample.objects.all() if study is None else Sample.objects.filter(study=study)
    with transaction.atomic():
        loads = dict(samples.select_for_update().values_list("pk", "load"))
        held = Counter()
        for side in ("sample_id", "sample_b_id"):
            held.update(
                dict(
                    Assignment.objects.filter(**{f"{side}__in": list(loads)}, holds_slot=True)
                    .values_list(side)
                    .annotate(n=Count("id"))
                    .values_list(side, "n")
                )
            )
        for pk, load in loads.items():
            if load != held.get(pk, 0):
                Sample.objects.filter(pk=pk).update(load=held.get(pk, 0))


def regular_with_room(study: Study):
    return Sample.objects.filter(
        study=study, is_attention_check=False, load__lt=study.ratings_per_sample
    )


def study_has_room(*, study: Study, now: datetime | None = None) -> bool:
    """Whether any regular sample (any pair of samples, in a pairwise study) still has a
    free slot (expired leases given back)."""
    if _room_left(study):
        return True
    return leases_release(now=now) > 0 and _room_left(study)


def _room_left(study: Study) -> bool:
    if study.protocol == Study.Protocol.PAIRWISE:
        return bool(pair_room(study, [])[0])
    return regular_with_room(study).exists()
