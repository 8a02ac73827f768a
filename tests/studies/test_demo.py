"""`manage.py demo` builds the seed-claim studies once, through the real services."""

from collections import Counter

import pytest
from django.core.management import call_command

from ratings.models import Assignment, Comparison, Participant, Rating
from studies import services
from studies.models import Brief, Claim, Sample, Study


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Study, Claim, Brief, Sample, Participant, Assignment, Rating)
    )


@pytest.mark.django_db
def test_demo_makes_the_open_study_and_its_closed_simulated_twin(capsys):
    call_command("demo", raters=30, seed=7)
    out = capsys.readouterr().out
    assert "seed-claim: created and opened for rating" in out
    seed = Study.objects.get(slug="seed-claim")
    twin = Study.objects.get(slug="seed-claim-simulated")
    assert (seed.status, twin.status) == ("open", "closed")
    for study in (seed, twin):
        assert services.study_verify_preregistration(study=study)
        claims = {
            (c.kind, c.group.key, c.other_group.key if c.other_group else None, c.value)
            for c in study.claims.select_related("group", "other_group")
        }
        assert claims == {
            ("mean", "collaboration", None, 8.5),
            ("mean", "human", None, 6.5),
            ("mean", "ai", None, 4.5),
            ("difference", "collaboration", "human", 2.0),
            ("difference", "human", "ai", 2.0),
        }
        assert study.briefs.count() >= 12
        for brief in study.briefs.all():
            keys = set(
                brief.samples.filter(is_attention_check=False).values_list("group__key", flat=True)
            )
            assert keys == {"human", "ai", "collaboration"}, brief.key
        assert not study.samples.exclude(source_warnings=[]).exists()
    assert seed.owner.username == "researcher" and seed.owner.is_staff
    draft = Study.objects.get(slug="my-study")
    assert (draft.status, draft.owner) == ("draft", seed.owner)
    assert not draft.samples.exists()
    assert set(draft.groups.values_list("key", flat=True)) == {"human", "ai", "collaboration"}
    assert not Participant.objects.filter(study=seed).exists()


@pytest.mark.django_db
def test_simulated_raters_give_integer_scores_from_1_to_10_with_rater_and_sample_effects():
    call_command("demo", raters=40, seed=11)
    ratings = Rating.objects.filter(assignment__participant__study__slug="seed-claim-simulated")
    scores = list(ratings.values_list("score", flat=True))
    # Every rater who completed rated 18 items; a rater screened out stopped at the
    # attention check that reached the limit.
    rated = Counter(ratings.values_list("assignment__participant", flat=True))
    twin = Participant.objects.filter(study__slug="seed-claim-simulated")
    assert twin.count() == 40 and len(scores) == sum(rated.values())
    assert twin.filter(status="completed").count() > 30
    for participant in twin:
        if participant.status == "completed":
            assert rated[participant.pk] == 18
        else:
            assert participant.status == "screened_out" and rated[participant.pk] <= 18
            last = participant.assignments.order_by("position").last()
            assert last.sample.is_attention_check
            assert (
                not last.sample.expected_min <= last.ratings.get().score <= last.sample.expected_max
            )
    assert all(score == int(score) and 1 <= score <= 10 for score in scores)
    assert len(set(scores)) >= 6
    # Leniency: raters' own means spread more than noise alone would give them.
    by_rater: dict[int, list[float]] = {}
    for participant, score in ratings.filter(
        assignment__sample__is_attention_check=False
    ).values_list("assignment__participant", "score"):
        by_rater.setdefault(participant, []).append(score)
    means = sorted(sum(v) / len(v) for v in by_rater.values())
    assert means[-1] - means[0] > 1.5
    # No sample rated more often than the study asks; every rater who completed saw the
    # three groups in balance.
    target = Study.objects.get(slug="seed-claim-simulated").ratings_per_sample
    regular = ratings.filter(assignment__sample__is_attention_check=False)
    per_sample = Counter(regular.values_list("assignment__sample", flat=True))
    assert max(per_sample.values()) <= target
    for participant in twin:
        first = participant.assignments.order_by("position").first()
        assert not first.sample.is_attention_check
        if participant.status == "completed":
            groups = list(
                participant.assignments.filter(sample__is_attention_check=False).values_list(
                    "sample__group__key", flat=True
                )
            )
            per_group = [groups.count(key) for key in ("human", "ai", "collaboration")]
            assert max(per_group) - min(per_group) <= 1


@pytest.mark.django_db
def test_running_demo_twice_creates_nothing_twice(capsys):
    call_command("demo", raters=10, seed=3)
    first = counts()
    call_command("demo", raters=10, seed=3)
    assert counts() == first
    assert "seed-claim-simulated: exists, left as it is" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_has_a_pairwise_twin_with_simulated_comparisons(capsys):
    call_command("demo", raters=24, seed=5)
    assert "seed-claim-pairwise: created with 24 simulated raters" in capsys.readouterr().out
    study = Study.objects.get(slug="seed-claim-pairwise")
    assert (study.status, study.protocol, study.allow_ties) == ("closed", "pairwise", True)
    assert services.study_verify_preregistration(study=study)
    comparisons = Comparison.objects.filter(assignment__participant__study=study)
    regular = comparisons.filter(
        assignment__sample__is_attention_check=False,
        assignment__sample_b__is_attention_check=False,
    )
    assert regular.count() > 300
    assert set(comparisons.values_list("choice", flat=True)) == {"a", "b", "tie"}
    for comparison in regular.select_related("assignment__sample", "assignment__sample_b"):
        a, b = comparison.assignment.sample, comparison.assignment.sample_b
        assert a.brief_id == b.brief_id and a.group_id != b.group_id
    # The simulated truth orders the groups: collaboration > human > ai, and the wins say so.
    wins = Counter()
    for choice, group_a, group_b in regular.values_list(
        "choice", "assignment__sample__group__key", "assignment__sample_b__group__key"
    ):
        if choice != "tie":
            wins[group_a if choice == "a" else group_b] += 1
    assert wins["collaboration"] > wins["ai"] and wins["human"] > wins["ai"]
    completed = Participant.objects.filter(study=study, status="completed")
    assert completed.count() > 15
    for participant in completed:
        assert participant.assignments.count() == 18
