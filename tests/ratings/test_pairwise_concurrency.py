"""Sixty raters comparing pairs at once on PostgreSQL, a fifth of them sending every POST
twice: no comparison lost or duplicated, no pair twice to anyone, every participant's
group pairs in balance, and the slot counts exact (the crowd of test_concurrency)."""

from collections import Counter

import pytest

from ratings.models import Assignment, Comparison, Participant
from tests.conftest import needs_postgresql
from tests.ratings.raters import open_study
from tests.ratings.test_concurrency import PARTICIPANTS, run_crowd

ITEMS = 3  # one comparison of each of the three group pairs


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_sixty_concurrent_raters_comparing_pairs_lose_and_duplicate_nothing(researcher):
    study = open_study(
        researcher,
        slug="pair-crowd",
        per_group=15,
        samples_per_rater=ITEMS,
        ratings_per_sample=10,
        protocol="pairwise",
    )
    log = run_crowd(study.slug, PARTICIPANTS, values={"choice": "a"})
    errors = [entry for entry in log if entry[1] == "error"]
    assert not errors, errors[:3]
    assert all(status in (200, 303) for _, _, statuses in log for status in statuses)

    comparisons = Comparison.objects.filter(assignment__participant__study=study)
    assert comparisons.count() == len(log) == PARTICIPANTS * ITEMS  # none lost or duplicated
    assert {item for _, item, _ in log} == set(
        comparisons.values_list("assignment__token", flat=True)
    )
    assignments = Assignment.objects.filter(participant__study=study)
    assert not assignments.filter(submitted_at=None).exists()
    shown = Counter()
    for first, second in assignments.values_list("sample_id", "sample_b_id"):
        shown.update([first, second])
    assert max(shown.values()) <= 10
    # The slot counts kept under the sample locks match the pairs shown exactly.
    assert {pk: load for pk, load in study.samples.values_list("pk", "load") if load} == dict(shown)
    for participant in Participant.objects.filter(study=study):
        pairs = list(
            participant.assignments.values_list("sample__group__key", "sample_b__group__key")
        )
        assert sorted(tuple(sorted(pair)) for pair in pairs) == [
            ("ai", "collaboration"),
            ("ai", "human"),
            ("collaboration", "human"),
        ]
        assert participant.status == "completed"
    sides = Counter(assignments.values_list("sample__group__key", flat=True))
    assert all(40 <= count <= 80 for count in sides.values()), sides  # 60 expected, sd 5.5
