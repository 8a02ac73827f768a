"""The database itself holds the invariants that concurrent raters must never break."""

import itertools
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ratings.models import Assignment, Participant, Rating
from studies import design, services
from studies.models import Sample, Study
from tests.conftest import add_text_samples


@pytest.fixture
def assignment(draft_study):
    add_text_samples(draft_study)
    study = services.study_open(study=draft_study)
    participant = Participant.objects.create(study=study, seed=1)
    now = timezone.now()
    return Assignment.objects.create(
        participant=participant,
        sample=study.samples.first(),
        position=1,
        served_at=now,
        lease_expires_at=now + timedelta(minutes=30),
    )


def test_a_participant_never_gets_the_same_sample_twice(assignment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            participant=assignment.participant,
            sample=assignment.sample,
            position=2,
            served_at=timezone.now(),
            lease_expires_at=timezone.now(),
        )


def test_one_rating_per_assignment_and_criterion(assignment):
    Rating.objects.create(assignment=assignment, criterion="quality", score=7, seconds=12.5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(assignment=assignment, criterion="quality", score=3, seconds=1)
    Rating.objects.create(assignment=assignment, criterion="originality", score=3, seconds=1)
    assert Rating.objects.filter(assignment=assignment).count() == 2


def test_one_external_id_per_study(draft_study):
    Participant.objects.create(study=draft_study, seed=1, external_id="PID1")
    Participant.objects.create(study=draft_study, seed=2)
    Participant.objects.create(study=draft_study, seed=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(study=draft_study, seed=4, external_id="PID1")


def test_sample_content_must_match_its_kind(draft_study):
    group = draft_study.groups.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Sample.objects.create(
            study=draft_study, group=group, kind="text", text="", content_sha256="x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Sample.objects.create(study=draft_study, group=group, kind="image", content_sha256="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Sample.objects.create(
            study=draft_study,
            group=group,
            text="Check",
            content_sha256="x",
            is_attention_check=True,
        )


def test_a_study_scale_must_run_upwards(researcher):
    with pytest.raises(IntegrityError), transaction.atomic():
        Study.objects.create(owner=researcher, slug="x", title="x", scale_min=5, scale_max=5)


def test_tokens_are_random_opaque_and_unique(assignment):
    study = assignment.participant.study
    tokens = [*study.samples.values_list("token", flat=True), assignment.token]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert len(token) >= 22 and not token.isdigit()
    numbers = [int.from_bytes(t.encode(), "big") for t in sorted(tokens)]
    assert len({b - a for a, b in itertools.pairwise(numbers)}) > 1


@pytest.mark.parametrize(
    ("score", "problem"),
    [
        (0, "must be between 1 and 10"),
        (11, "must be between 1 and 10"),
        (7.5, "must be on the scale's steps of 1 from 1"),
        (float("nan"), "must be a number"),
        (7, None),
        (1, None),
        (10, None),
    ],
)
def test_scores_are_checked_against_the_studys_scale(draft_study, score, problem):
    assert design.score_problem(draft_study, score) == problem


def test_a_half_point_scale_accepts_half_points(researcher):
    study = services.study_create(
        owner=researcher,
        slug="half",
        title="Half",
        scale_min=0,
        scale_max=5,
        scale_step=0.5,
        scale_anchors={"0": "None", "5": "Full"},
    )
    assert design.score_problem(study, 2.5) is None
    assert design.score_problem(study, 2.25) == "must be on the scale's steps of 0.5 from 0"
