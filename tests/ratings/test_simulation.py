"""Simulated raters (ratings.simulation) go through the same services as live raters: the
rule that serves them, the slots and the screen-out are the real ones."""

from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count

from ratings.models import Assignment, Participant, Rating
from ratings.simulation import RaterModel, study_simulate_raters
from ratings.views import COOKIE
from studies import services
from studies.importing import samples_import
from studies.models import Sample
from tests.conftest import SEED_GROUPS
from tests.ratings.raters import ITEM, Rater, open_study

TRUTH = RaterModel(group_means={"human": 6.7, "ai": 5.6, "collaboration": 7.0})


class _Undo(Exception):
    """Raised to roll a block back, so the same study can be rated again from scratch."""


def rows(study) -> list[tuple]:
    """What raters left, participant by participant in the order they came: their seed,
    status, and each item's position, sample, scores, guess and time taken."""
    found = []
    for participant in Participant.objects.filter(study=study).order_by("consented_at", "pk"):
        items = []
        for assignment in participant.assignments.order_by("position"):
            ratings = assignment.ratings.order_by("criterion")
            items.append(
                (
                    assignment.position,
                    assignment.sample_id,
                    tuple((r.criterion, r.score, r.guess) for r in ratings),
                    assignment.submitted_at is not None,
                )
            )
        found.append((participant.seed, participant.status, items))
    return found


def simulated_rows(study, *, seed: int, model=TRUTH, raters: int = 6) -> list[tuple]:
    """The rows `raters` simulated raters leave on `study`, then rolled back."""
    try:
        with transaction.atomic():
            study_simulate_raters(study=study, raters=raters, seed=seed, model=model)
            simulated = rows(study)
            assert Participant.objects.filter(study=study, is_simulated=False).count() == 0
            raise _Undo
    except _Undo:
        pass
    assert not Participant.objects.filter(study=study).exists()
    assert not Sample.objects.filter(study=study, load__gt=0).exists()
    return simulated


def seconds_taken(study) -> list[float]:
    return list(
        Rating.objects.filter(assignment__participant__study=study)
        .order_by("assignment__participant__consented_at", "assignment__position")
        .values_list("seconds", flat=True)
    )


@pytest.fixture
def study(researcher):
    # 12 regular samples with 3 slots each (36) for 6 raters of 5 regular items (30), two
    # attention checks each.
    return open_study(
        researcher,
        slug="twin",
        per_group=4,
        checks=3,
        samples_per_rater=7,
        ratings_per_sample=3,
        attention_check_rate=0.3,
    )


def test_live_raters_with_the_simulated_seeds_and_scores_leave_the_same_rows(study):
    """The demo's plumbing: the same seeds and scores through the rating pages give the
    items, positions, ratings and screen-outs the simulation wrote."""
    careless = RaterModel(group_means=TRUTH.group_means, careless_share=0.4)
    simulated = simulated_rows(study, seed=17, model=careless)
    assert {status for _, status, _ in simulated} == {"completed", "screened_out"}

    for seed, _, items in simulated:
        rater = Rater(study.slug)
        rater.enter()
        rater.consent()
        live = Participant.objects.get(study=study, session_key=rater.client.cookies[COOKIE].value)
        Participant.objects.filter(pk=live.pk).update(seed=seed)  # before the first item
        item, page = rater.item()
        for _, _, ratings, _ in items:
            assert item is not None, "the simulated rater had more items"
            scores = {criterion: f"{score:g}" for criterion, score, _ in ratings}
            page = rater.submit(item, **scores)
            assert page.status_code in (200, 303)
            found = ITEM.search(page.content.decode()) if page.status_code == 200 else None
            item = found.group(1) if found else None
        assert item is None, "the live rater had more items"
    assert rows(study) == simulated
    assert not Participant.objects.filter(study=study, is_simulated=True).exists()


def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows(study):
    first = simulated_rows(study, seed=3)
    assert simulated_rows(study, seed=3) == first
    assert simulated_rows(study, seed=4) != first
    assert len({sample for _, _, items in first for _, sample, _, _ in items}) > 7


def test_the_same_seed_gives_the_same_reading_times(study):
    times = []
    for _ in range(2):
        try:
            with transaction.atomic():
                study_simulate_raters(study=study, raters=3, seed=8, model=TRUTH)
                times.append(seconds_taken(study))
                raise _Undo
        except _Undo:
            pass
    assert times[0] == pytest.approx(times[1], abs=1e-5)
    assert len(set(times[0])) == len(times[0]) > 10


def test_simulated_participants_are_marked_and_carry_their_traits(study):
    study_simulate_raters(study=study, raters=5, seed=1, model=TRUTH)
    participants = Participant.objects.filter(study=study)
    assert participants.count() == 5
    for participant in participants:
        assert participant.is_simulated and participant.session_key
        assert set(participant.flags["simulated"]) == {"careless", "speeder"}
        assert "attention_failures" in participant.flags  # written by the real finish
        first = participant.assignments.order_by("served_at").first()
        assert participant.consented_at < first.served_at


def attentive_and_careless(study) -> tuple[dict, dict]:
    """participant -> attention checks failed, for attentive and careless raters."""
    failed = Counter(
        Rating.objects.filter(
            assignment__participant__study=study, assignment__sample__is_attention_check=True
        )
        .exclude(score__gte=1, score__lte=2)
        .values_list("assignment__participant", flat=True)
    )
    attentive, careless = {}, {}
    for participant in Participant.objects.filter(study=study):
        group = careless if participant.flags["simulated"]["careless"] else attentive
        group[participant] = failed[participant.pk]
    return attentive, careless


def test_with_a_fail_limit_of_0_no_one_is_screened_out(researcher):
    study = open_study(
        researcher,
        per_group=4,
        checks=4,
        samples_per_rater=8,
        attention_check_rate=0.5,
        attention_fail_limit=0,
        ratings_per_sample=10,
    )
    model = RaterModel(group_means=TRUTH.group_means, careless_share=0.5)
    study_simulate_raters(study=study, raters=10, seed=2, model=model)
    attentive, careless = attentive_and_careless(study)
    assert careless and max(careless.values()) >= 2, "careless raters failed checks"
    for participant in [*attentive, *careless]:
        assert participant.status == Participant.Status.COMPLETED
        assert participant.assignments.filter(submitted_at__isnull=False).count() == 8


def test_with_the_default_fail_limit_careless_raters_are_screened_out(researcher):
    study = open_study(
        researcher,
        per_group=4,
        checks=4,
        samples_per_rater=8,
        attention_check_rate=0.5,
        ratings_per_sample=10,
    )
    limit = study.attention_fail_limit
    assert limit == 2
    model = RaterModel(group_means=TRUTH.group_means, careless_share=0.5)
    study_simulate_raters(study=study, raters=10, seed=2, model=model)
    attentive, careless = attentive_and_careless(study)
    assert attentive and all(failed == 0 for failed in attentive.values())
    assert all(p.status == Participant.Status.COMPLETED for p in attentive)
    screened = [p for p in careless if p.status == Participant.Status.SCREENED_OUT]
    assert screened
    for participant, failed in careless.items():
        assert (participant.status == Participant.Status.SCREENED_OUT) == (failed >= limit)
    for participant in screened:
        # Screened out at the check that reached the limit: nothing served after it.
        last = participant.assignments.order_by("position").last()
        assert last.sample.is_attention_check and last.submitted_at is not None


def uneven_study(owner, **settings):
    """Three groups of 2, 4 and 6 samples: the small group runs out of slots first."""
    study = services.study_create(
        owner=owner,
        slug="uneven",
        title="Uneven",
        groups=SEED_GROUPS,
        attention_check_rate=0,
        **settings,
    )
    lines = ["group,text,brief"]
    for group, count in (("human", 2), ("ai", 4), ("collaboration", 6)):
        lines += [f"{group},Piece {index} of {group}.,b{index}" for index in range(count)]
    samples_import(study=study, file_name="s.csv", data="\n".join(lines).encode())
    return services.study_open(study=study)


def ratings_per_sample(study) -> dict[int, int]:
    return dict(
        Assignment.objects.filter(sample__study=study, submitted_at__isnull=False)
        .values_list("sample")
        .annotate(n=Count("id"))
        .values_list("sample", "n")
    )


@pytest.mark.parametrize("raters", [4, 7])
def test_no_sample_is_rated_more_often_than_the_study_asks(researcher, raters):
    """12 samples with 2 slots each: 4 raters of 6 items fill them, 7 would overfill them.
    Balance per rater would give each of the 2 human samples 4 ratings or more."""
    study = uneven_study(researcher, ratings_per_sample=2, samples_per_rater=6)
    study_simulate_raters(study=study, raters=raters, seed=9, model=TRUTH)
    counts = ratings_per_sample(study)
    assert max(counts.values()) == 2
    human = Sample.objects.filter(study=study, group__key="human").values_list("pk", flat=True)
    assert [counts.get(pk) for pk in human] == [2, 2]
    assert Participant.objects.filter(study=study).count() <= raters
    assert sum(counts.values()) <= 24 and sum(counts.values()) >= 20
    loads = dict(Sample.objects.filter(study=study).values_list("pk", "load"))
    assert all(loads[pk] == n for pk, n in counts.items())
