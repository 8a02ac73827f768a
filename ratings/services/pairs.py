"""Pairwise items: the database side of the rule's group pairs (`rule.group_pairs`).

`assignment` asks here instead of its own sample queries when a study is pairwise; the
rest (the participant's lock, the rule's next step, leases, slots, the finish) is the same
path. Locks as for samples (see `assignment`): a claim takes the pair's two samples with
SKIP LOCKED, never waiting for one, so the lock order argument holds unchanged.
"""

from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce

from ratings.models import Assignment, Participant
from ratings.services import rule
from studies.models import Sample, Study


def is_pairwise(study: Study) -> bool:
    return study.protocol == Study.Protocol.PAIRWISE


def pair_of(item) -> tuple[int, int]:
    """The group pair of a participant's pairwise item (a row of `participant_items`)."""
    first, second = item.sample__group_id, item.sample_b__group_id
    return (first, second) if first <= second else (second, first)


def sequence(participant: Participant) -> list[tuple[int, int]]:
    """The participant's drawn order of group pairs (stored as JSON lists)."""
    return [tuple(pair) for pair in participant.group_order]


def pair_order_draw(participant: Participant, study: Study, length: int) -> list[list[int]]:
    """The participant's sequence of group pairs, drawn from their seed (`group_sequence`
    over `group_pairs`), as JSON lists."""
    groups = list(study.groups.values_list("pk", flat=True))
    pairs = rule.group_pairs(groups, same_group=study.allow_same_group_pairs)
    drawn = rule.group_sequence(seed=participant.seed, groups=pairs, length=length)
    return [list(pair) for pair in drawn]


def _free(study: Study):
    return Sample.objects.filter(
        study=study, is_attention_check=False, load__lt=study.ratings_per_sample
    )


def pair_room(study: Study, had: list[int]) -> tuple[set[tuple[int, int]], bool]:
    """The group pairs that can still make a pair, and whether an attention check the
    participant has not had (`had`: the samples they were shown) is left. Two queries."""
    counts = _free(study).order_by().values_list("group_id", "brief_id").annotate(n=Count("id"))
    room = {(group, brief): count for group, brief, count in counts}
    pairs = rule.group_pairs({group for group, _ in room}, same_group=study.allow_same_group_pairs)
    checks = Sample.objects.filter(study=study, is_attention_check=True).exclude(pk__in=had)
    return rule.pairs_with_room(pairs, room), checks.exists()


def _with_brief_key(queryset):
    """`queryset` with each sample's `brief_key`: its brief's id, or 0 for no brief."""
    return queryset.annotate(brief_key=Coalesce("brief_id", Value(0)))


def _same_brief(queryset, brief):
    """The samples of `queryset` answering `brief` (an id, an OuterRef, or None: no brief)."""
    target = Coalesce(brief, Value(0)) if isinstance(brief, OuterRef) else Value(brief or 0)
    return _with_brief_key(queryset).filter(brief_key=target)


def _partners(study: Study, group: int, participant: Participant):
    """The free samples of `group` that could be shown with the outer sample: its brief,
    not itself, and never a pair this participant has had."""
    seen = Assignment.objects.filter(participant=participant).filter(
        Q(sample_id=OuterRef("pk"), sample_b_id=OuterRef(OuterRef("pk")))
        | Q(sample_b_id=OuterRef("pk"), sample_id=OuterRef(OuterRef("pk")))
    )
    partners = _free(study).filter(group_id=group).exclude(pk=OuterRef("pk"))
    return _same_brief(partners, OuterRef("brief_id")).exclude(Exists(seen))


def _sides(first: Sample, second: Sample, on_a: bool) -> tuple[Sample, Sample]:
    return (first, second) if on_a else (second, first)


def pair_claim(step: rule.Step, participant: Participant, study: Study, items: list):
    """The two samples of the rule's step, as (A, B), and whether the step's group pair
    has nothing left for this participant (so it is passed over at once, not waited for).
    None with False: every free pair is held by other transactions at this instant."""
    if step.kind is rule.Kind.CHECK:
        return check_pair_claim(participant, study, items), False
    if step.kind is not rule.Kind.REGULAR:
        # The two statements of a claim, matching nothing: the same whatever comes next.
        Sample.objects.filter(pk=None).first()
        Sample.objects.filter(pk=None).first()
        return None, False
    low, high = step.group
    order = rule.sample_order(participant.seed)
    firsts = _free(study).filter(group_id=low).filter(Exists(_partners(study, high, participant)))
    # With their briefs: the page shows the brief of whichever sample is A.
    locked = firsts.select_related("brief").select_for_update(skip_locked=True, of=("self",))
    first = locked.order_by(*order).first()
    if first is None:
        return None, not firsts.exists()
    seen = [
        item.sample_b_id if item.sample_id == first.pk else item.sample_id
        for item in items
        if first.pk in (item.sample_id, item.sample_b_id)
    ]
    seconds = _free(study).filter(group_id=high).exclude(pk__in=[first.pk, *seen])
    second = (
        _same_brief(seconds, first.brief_id)
        .select_related("brief")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by(*order)
        .first()
    )
    if second is None:
        return None, False
    index = sum(1 for item in items if item.sample_b_id and pair_of(item) == step.group)
    return _sides(first, second, rule.first_on_a(participant.seed, step.group, index)), False


def check_pair_claim(participant: Participant, study: Study, items: list):
    """An attention check the participant has not had, with a regular sample of its brief
    (of any brief when its own has none), as (A, B) on the side the rule draws. Checks
    hold no slots and are not locked; the regular sample takes no slot either."""
    had = [pk for item in items for pk in (item.sample_id, item.sample_b_id) if pk]
    check = (
        Sample.objects.select_related("brief")
        .filter(study=study, is_attention_check=True)
        .exclude(pk__in=had)
        .order_by(*rule.check_order(participant.seed))
        .first()
    )
    if check is None:
        return None
    # One statement whether or not the check's brief has a regular sample: what a POST
    # costs must not depend on what comes next (tests/ratings/test_cost.py).
    other_brief = Case(When(brief_key=Value(check.brief_id or 0), then=Value(0)), default=Value(1))
    regular = Sample.objects.select_related("brief").filter(study=study, is_attention_check=False)
    partner = (
        _with_brief_key(regular).order_by(other_brief, *rule.sample_order(participant.seed)).first()
    )
    if partner is None:
        return None
    index = sum(1 for item in items if item.check)
    return _sides(check, partner, rule.check_on_a(participant.seed, index))
