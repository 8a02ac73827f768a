"""Simulated participants for the demo and for tests whose truth is known.

Each simulated rater has a leniency (some score everything higher), each sample a quality
of its own, and every score adds noise and is rounded to the scale: the structure the
analysis's mixed model expects from real raters. Samples are handed out as the real
assignment does: balanced across groups per rater, fewest ratings first, ties broken by
the rater's seeded shuffle, attention checks never first.
"""

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from ratings.models import Assignment, Participant, Rating
from ratings.services import sample_loads_recount
from studies import design
from studies.models import Sample, Study


@dataclass(frozen=True)
class RaterModel:
    """True group means and the spread of each effect, in scale points."""

    group_means: dict[str, float]
    leniency_sd: float = 0.8
    quality_sd: float = 0.7
    noise_sd: float = 1.1
    careless_share: float = 0.08
    speeder_share: float = 0.05


def _plan(rng, pool: dict[str, list[Sample]], counts: dict[int, int], per_rater: int):
    """One rater's samples by the assignment rule: the group this rater has seen least,
    then the sample with the fewest ratings, ties broken by the rater's seeded shuffle."""
    candidates = [sample for samples in pool.values() for sample in samples]
    ties = dict(zip((s.id for s in candidates), rng.permutation(len(candidates)), strict=True))
    seen = dict.fromkeys(pool, 0)
    chosen: list[Sample] = []
    while len(chosen) < per_rater and candidates:
        sample = min(candidates, key=lambda s: (seen[s.group.key], counts[s.id], ties[s.id]))
        candidates.remove(sample)
        seen[sample.group.key] += 1
        counts[sample.id] += 1
        chosen.append(sample)
    return chosen


@transaction.atomic
def study_simulate_raters(*, study: Study, raters: int, seed: int, model: RaterModel) -> int:
    """Add `raters` simulated participants with their ratings; return the ratings made."""
    if study.status != Study.Status.OPEN:
        raise ValueError(f"study {study.slug} must be open to take ratings")
    rng = np.random.default_rng(seed)
    samples = list(study.samples.select_related("group").order_by("id"))
    regular = [s for s in samples if not s.is_attention_check]
    checks = [s for s in samples if s.is_attention_check]
    pool: dict[str, list[Sample]] = {}
    for sample in regular:
        pool.setdefault(sample.group.key, []).append(sample)
    quality = {s.id: rng.normal(0, model.quality_sd) for s in regular}
    counts = {s.id: 0 for s in regular}
    criterion = study.criteria[0]["key"]
    n_checks = round(study.samples_per_rater * study.attention_check_rate) if checks else 0
    per_rater = max(1, study.samples_per_rater - n_checks)
    start = timezone.now() - timedelta(days=3)

    participants, plans = [], []
    for index in range(raters):
        plan = _plan(rng, pool, counts, per_rater)
        picked = [checks[i] for i in rng.permutation(len(checks))[:n_checks]]
        for check in picked:
            plan.insert(int(rng.integers(1, len(plan) + 1)), check)
        careless = rng.random() < model.careless_share
        participants.append(
            Participant(
                study=study,
                seed=int(rng.integers(0, 2**62)),
                consented_at=start + timedelta(minutes=7 * index),
                is_simulated=True,
            )
        )
        plans.append((plan, careless, rng.normal(0, model.leniency_sd)))
    Participant.objects.bulk_create(participants)

    assignments, scores = [], []
    for participant, (plan, careless, leniency) in zip(participants, plans, strict=True):
        clock = participant.consented_at + timedelta(seconds=60)
        speeder = rng.random() < model.speeder_share
        failed = 0
        for position, sample in enumerate(plan, start=1):
            seconds = float(rng.uniform(1.5, 4) if speeder else rng.lognormal(np.log(22), 0.5))
            if sample.is_attention_check:
                if careless:
                    score = float(rng.integers(int(study.scale_min), int(study.scale_max) + 1))
                else:
                    score = float(sample.expected_min)
                failed += not (sample.expected_min <= score <= sample.expected_max)
            else:
                true = model.group_means.get(sample.group.key, 6.0)
                raw = true + leniency + quality[sample.id] + rng.normal(0, model.noise_sd)
                if careless:
                    raw = rng.uniform(study.scale_min, study.scale_max)
                steps = round((raw - study.scale_min) / study.scale_step)
                score = study.scale_min + steps * study.scale_step
                score = float(min(study.scale_max, max(study.scale_min, score)))
            problem = design.score_problem(study, score)
            if problem:
                raise ValueError(f"simulated score {score} {problem}")
            assignments.append(
                Assignment(
                    participant=participant,
                    sample=sample,
                    position=position,
                    served_at=clock,
                    lease_expires_at=clock + timedelta(minutes=study.lease_minutes),
                    submitted_at=clock + timedelta(seconds=seconds),
                    holds_slot=not sample.is_attention_check,
                )
            )
            scores.append((score, seconds))
            clock += timedelta(seconds=seconds + 2)
        failed_out = n_checks and failed >= study.attention_fail_limit
        participant.status = (
            Participant.Status.SCREENED_OUT if failed_out else Participant.Status.COMPLETED
        )
        participant.finished_at = clock
        participant.flags = {"simulated": {"careless": bool(careless), "speeder": bool(speeder)}}
    Participant.objects.bulk_update(participants, ["status", "finished_at", "flags"])
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    ratings = [
        Rating(assignment=a, criterion=criterion, score=score, seconds=seconds)
        for a, (score, seconds) in zip(assignments, scores, strict=True)
    ]
    Rating.objects.bulk_create(ratings, batch_size=2000)
    sample_loads_recount(study=study)
    return len(ratings)
