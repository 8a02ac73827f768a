"""Reads with a rule for the analysis: which runs a user sees, and what an analysis reads.

`analysis_ratings_frame` is the one place that decides which ratings an analysis uses:
every stored rating of the chosen criterion on a submitted assignment of the study,
attention checks included with their expected range (the engine uses them for rater
quality and keeps them out of the group statistics), in the order of the rating ids.
"""

from itertools import chain

import numpy as np
from django.db.models import Count, QuerySet

from analysis.models import AnalysisRun, PlanJob
from ratings.export import fetch_chunks
from ratings.models import Participant, Rating
from studies.models import Claim, Sample, Study
from studies.selectors import study_list_visible

CHUNK_SIZE = 50_000


def analysis_run_list_visible(*, user) -> QuerySet[AnalysisRun]:
    """Runs of the studies the user may see (their own; all for a superuser)."""
    return AnalysisRun.objects.filter(study__in=study_list_visible(user=user))


def analysis_plan_job_list_visible(*, user) -> QuerySet[PlanJob]:
    """Plan jobs of the studies the user may see (their own; all for a superuser)."""
    return PlanJob.objects.filter(study__in=study_list_visible(user=user))


def analysis_claims(*, study: Study) -> list:
    """The study's claims as the engine's `ClaimSpec`s, in the order they were made."""
    from analysis.engine import ClaimSpec

    claims = []
    for claim in study.claims.select_related("group", "other_group").order_by("id"):
        groups = (claim.group.key,)
        if claim.kind == Claim.Kind.DIFFERENCE:
            groups = (claim.group.key, claim.other_group.key)
        claims.append(
            ClaimSpec(kind=claim.kind, groups=groups, value=claim.value, source=claim.source)
        )
    return claims


def analysis_group_order(*, study: Study) -> list[str]:
    return list(study.groups.order_by("id").values_list("key", flat=True))


def analysis_group_labels(*, study: Study) -> dict[str, str]:
    return dict(study.groups.order_by("id").values_list("key", "label"))


def _lookup(strings: list[str]) -> np.ndarray:
    # An empty list would make a float array; keep the string dtype for fancy indexing.
    return np.array(strings, dtype=str) if strings else np.array([""], dtype=str)


def analysis_ratings_frame(*, study: Study, criterion: str) -> tuple:
    """The ratings of `criterion` as the engine's frame, and their rating ids (same order).

    Ratings join only their assignment; pseudonyms, tokens, groups and expected ranges come
    from one query each over the study's participants and samples and are spread with NumPy;
    rows are read raw, a chunk at a time, into NumPy arrays.
    """
    from analysis.engine import RatingsFrame

    participants = list(
        Participant.objects.filter(study=study).order_by("id").values_list("id", "pseudonym")
    )
    samples = list(
        Sample.objects.filter(study=study)
        .order_by("id")
        .values_list(
            "id", "token", "group__key", "is_attention_check", "expected_min", "expected_max"
        )
    )
    participant_ids = np.array([p[0] for p in participants], dtype=np.int64)
    pseudonyms = _lookup([p[1] for p in participants])
    sample_ids = np.array([s[0] for s in samples], dtype=np.int64)
    tokens = _lookup([s[1] for s in samples])
    group_keys = _lookup([s[2] for s in samples])
    nan = float("nan")
    low = np.array([s[4] if s[3] else nan for s in samples] or [nan], dtype=float)
    high = np.array([s[5] if s[3] else nan for s in samples] or [nan], dtype=float)

    ratings = Rating.objects.filter(
        assignment__participant__study=study,
        assignment__submitted_at__isnull=False,
        criterion=criterion,
    ).order_by("id")
    # Numbers only in the big query, read straight into a float array chunk by chunk;
    # guesses (usually none) come from a second query of the ratings that have one.
    numeric = ratings.values_list(
        "id", "assignment__participant_id", "assignment__sample_id", "score", "seconds"
    )
    parts = [
        np.fromiter(chain.from_iterable(rows), dtype=float, count=5 * len(rows)).reshape(-1, 5)
        for rows in fetch_chunks(numeric, CHUNK_SIZE)
    ]
    table = np.concatenate(parts) if parts else np.empty((0, 5))
    ids = table[:, 0].astype(np.int64)
    p = table[:, 1].astype(np.int64)
    s = table[:, 2].astype(np.int64)
    score = np.ascontiguousarray(table[:, 3])
    seconds = np.ascontiguousarray(table[:, 4])
    del table, parts
    guess_labels = [""]
    guess = np.zeros(ids.size, dtype=np.int32)
    for rows in fetch_chunks(ratings.exclude(guess="").values_list("id", "guess"), CHUNK_SIZE):
        positions = np.searchsorted(ids, np.array([row[0] for row in rows], dtype=np.int64))
        for position, (_, label) in zip(positions.tolist(), rows, strict=True):
            if label not in guess_labels:
                guess_labels.append(label)
            guess[position] = guess_labels.index(label)
    p_index = np.searchsorted(participant_ids, p)
    s_index = np.searchsorted(sample_ids, s)
    frame = RatingsFrame(
        participant=pseudonyms[p_index],
        sample=tokens[s_index],
        group=group_keys[s_index],
        score=score,
        seconds=seconds,
        guess=_lookup(guess_labels)[guess],
        attention_low=low[s_index],
        attention_high=high[s_index],
    )
    return frame, ids


PLAN_NEEDS_SAMPLES = (
    "every group needs samples to plan from the study's own design; import them or give "
    "samples_per_group"
)


def analysis_plan_inputs(*, study: Study, samples_per_group: int | None = None) -> dict:
    """A study's design as the planner takes it: its groups and claims, its analysis plan
    and scale, the regular samples a rater gets (the assignment rule's count, without
    attention checks) and the samples per group (the smallest group's, unless given)."""
    from analysis.planning import Design, Scale
    from ratings.services import rule
    from studies.design import equivalence_margin

    groups = analysis_group_order(study=study)
    counts = dict(
        Sample.objects.filter(study=study, is_attention_check=False)
        .values_list("group__key")
        .annotate(n=Count("id"))
        .values_list("group__key", "n")
    )
    notes = []
    if samples_per_group is None:
        sizes = [counts.get(key, 0) for key in groups]
        if not sizes or min(sizes) == 0:
            raise ValueError(PLAN_NEEDS_SAMPLES)
        samples_per_group = min(sizes)
        if max(sizes) != min(sizes):
            notes.append(
                f"groups have {min(sizes)} to {max(sizes)} samples: planned with the "
                f"smallest, {min(sizes)}"
            )
    checks = Sample.objects.filter(study=study, is_attention_check=True).count()
    per_rater = rule.regular_count(study, checks)
    if per_rater > len(groups) * samples_per_group:
        # A rater is done when no sample is left that they have not rated.
        notes.append(
            f"a rater can rate only the study's {len(groups) * samples_per_group} samples, "
            f"not {per_rater}"
        )
        per_rater = len(groups) * samples_per_group
    design = Design(
        groups=tuple(groups),
        samples_per_group=samples_per_group,
        ratings_per_sample=study.ratings_per_sample,
        samples_per_rater=per_rater,
    )
    return {
        "design": design,
        "claims": analysis_claims(study=study),
        "alpha": study.alpha,
        "margin": equivalence_margin(study),
        "scale": Scale(study.scale_min, study.scale_max, study.scale_step),
        "notes": notes,
    }


PILOT_NOT_FOUND = "no study {slug!r} of yours has a finished analysis to take variances from"


def analysis_pilot_variance(*, user, slug: str):
    """The variance components of the latest finished analysis of another study (a pilot)
    that `user` may see (any, for None: the command line), and where they come from."""
    from analysis.planning import Variance

    studies = Study.objects.all() if user is None else study_list_visible(user=user)
    run = (
        AnalysisRun.objects.filter(
            study__in=studies, study__slug=slug, status=AnalysisRun.Status.SUCCEEDED
        )
        .order_by("-finished_at", "-id")
        .first()
    )
    variance = (((run.results or {}).get("model") or {}).get("variance") or {}) if run else {}
    values = [variance.get(key) for key in ("participant", "sample", "residual")]
    if run is None or any(not isinstance(v, int | float) for v in values):
        raise ValueError(PILOT_NOT_FOUND.format(slug=slug))
    return Variance(*map(float, values)), f"pilot: analysis #{run.pk} of study {slug}"


def analysis_comparison_rows(*, study: Study, criterion: str):
    """A pairwise study's comparisons exactly as the comparisons export writes them: (header,
    rows of strings), read by the same reader as `analyze_csv`, so that the job and the
    downloaded file give the same document. Attention pairs are left out (as in the export)."""
    from ratings.comparisons_export import COMPARISONS_HEADER, comparisons_export_rows

    rows = ([str(value) for value in row] for row in comparisons_export_rows(study=study))
    return list(COMPARISONS_HEADER), rows


def analysis_diversity_samples(*, study: Study) -> tuple:
    """The study's samples for the diversity section (attention checks left out), in id
    order, and the content SHA-256 of each (the embedding cache's key)."""
    from analysis.engine.diversity import DiversitySamples

    rows = list(
        Sample.objects.filter(study=study, is_attention_check=False)
        .order_by("id")
        .values_list("group__key", "brief__key", "kind", "text", "content_sha256")
    )
    samples = DiversitySamples(
        group=[row[0] for row in rows],
        brief=[row[1] or "" for row in rows],
        kind=[row[2] for row in rows],
        text=[row[3] if row[2] == Sample.Kind.TEXT else "" for row in rows],
    )
    return samples, [row[4] for row in rows]
