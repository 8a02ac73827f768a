"""Submission: the scores of one item (or the choice between a pair's two samples),
stored once, and the participant's finish."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, gettext_noop

from ratings.models import Assignment, Comparison, Participant, Rating
from ratings.services import rule
from ratings.services.assignment import (
    assignment_next_locked,
    failed_checks,
    participant_finish,
    participant_items,
)
from ratings.services.participants import participant_lock
from ratings.services.retries import retried
from studies import design
from studies.models import Sample, Study

# What raters read, in English; each reaches the page translated into the study's rater
# language (gettext_lazy: the language is the one active when the page is rendered).
NOT_YOUR_ITEM = gettext_noop("This item is not one of yours. Please continue with the item shown.")
STUDY_NOT_OPEN = gettext_noop("This study is not open, so your rating was not stored.")
MISSING_SCORE = gettext_noop("Please choose a score.")
MISSING_GUESS = gettext_noop("Please say who you think made it.")
UNKNOWN_GUESS = gettext_noop("Please choose one of the options.")
NOT_A_SCORE = gettext_noop("'{raw}' is not a score; please choose one.")
MISSING_CHOICE = gettext_noop("Please choose A or B.")
MISSING_CHOICE_OR_TIE = gettext_noop("Please choose A, B or about the same.")
MISSING_STRENGTH = gettext_noop("Please say how much better it is.")
# The rest of the sentence is `design.score_problem`'s: "must be between 1 and 10".
SCORE_PROBLEM = gettext_noop("The score {problem}.")


class RatingRefused(Exception):
    """The submission cannot be taken at all; nothing was stored."""


@dataclass
class RatingInvalid(Exception):
    """Fields at fault -> message (translated when shown); nothing was stored, the item is
    shown again."""

    problems: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Submitted:
    assignment: Assignment
    repeated: bool


def scores_parse(study: Study, values: dict[str, str]) -> tuple[dict[str, float], dict]:
    scores, problems = {}, {}
    for criterion in study.criteria:
        key = criterion["key"]
        raw = (values.get(key) or "").strip()
        if not raw:
            problems[key] = gettext_lazy(MISSING_SCORE)
            continue
        try:
            score = float(raw)
        except ValueError:
            problems[key] = format_lazy(gettext_lazy(NOT_A_SCORE), raw=raw)
            continue
        problem = design.score_problem(study, score)
        if problem:
            problems[key] = format_lazy(gettext_lazy(SCORE_PROBLEM), problem=problem)
        else:
            scores[key] = score
    return scores, problems


def choice_parse(study: Study, values: dict[str, str]) -> tuple[dict[str, str], dict]:
    """A pairwise item's answer: `choice` (a, b, or tie when the study allows ties) and,
    when the study asks, `strength` (slightly, clearly, much; none for a tie)."""
    problems = {}
    choice = (values.get("choice") or "").strip().lower()
    strength = (values.get("strength") or "").strip().lower()
    allowed = ["a", "b", "tie"] if study.allow_ties else ["a", "b"]
    if not choice:
        problems["choice"] = gettext_lazy(
            MISSING_CHOICE_OR_TIE if study.allow_ties else MISSING_CHOICE
        )
    elif choice not in allowed:
        problems["choice"] = gettext_lazy(UNKNOWN_GUESS)
    if not study.ask_strength or choice == "tie":
        strength = ""
    elif not strength:
        problems["strength"] = gettext_lazy(MISSING_STRENGTH)
    elif strength not in Comparison.Strength.values:
        problems["strength"] = gettext_lazy(UNKNOWN_GUESS)
    return {"choice": choice, "strength": strength}, problems


def _store_comparison(assignment, study, values, now, seconds) -> None:
    answer, problems = choice_parse(study, values)
    if problems:
        raise RatingInvalid(problems)
    criterion = study.criteria[0]["key"]
    Comparison.objects.create(
        assignment=assignment, criterion=criterion, seconds=seconds, created_at=now, **answer
    )


def _store_ratings(assignment, study, values, guess, now, seconds) -> None:
    scores, problems = scores_parse(study, values)
    guess = (guess or "").strip()
    if study.ask_source_guess:
        if not guess:
            problems["guess"] = gettext_lazy(MISSING_GUESS)
        elif guess not in (study.guess_labels or {}):
            problems["guess"] = gettext_lazy(UNKNOWN_GUESS)
    else:
        guess = ""
    if problems:
        raise RatingInvalid(problems)
    Rating.objects.bulk_create(
        Rating(
            assignment=assignment,
            criterion=key,
            score=score,
            guess=guess,
            seconds=seconds,
            created_at=now,
        )
        for key, score in scores.items()
    )


@retried
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
    participant = participant_lock(participant)
    study = study or Study.objects.defer("frozen_design").get(pk=participant.study_id)
    submitted = _submit(participant, item, values, guess, study, now)
    if not submitted.repeated:
        items = participant_items(participant)
        failures = failed_checks(items)
        if rule.finished(study, items_done=len(items), failures=failures):
            participant_finish(participant, study, now, items=items)
    return submitted


@retried
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
    the rating page's POST does, so the next item comes back in the same response. The
    next step (the end included) is the rule's, in `assignment_next_locked`."""
    now = now or timezone.now()
    participant = participant_lock(participant)
    submitted = _submit(participant, item, values, guess, study, now)
    return submitted, assignment_next_locked(participant, study, now)


def _submit(participant, item, values, guess, study, now) -> Submitted:
    """Store the scores of the participant's item `item` (a pairwise study: the choice,
    `values["choice"]` and `values["strength"]`), once. Deciding what comes next (the end,
    a screen-out) is left to the caller."""
    assignment = (
        Assignment.objects.select_related("sample", "sample_b")
        .filter(participant=participant, token=item)
        .first()
    )
    if assignment is None:
        raise RatingRefused(gettext_lazy(NOT_YOUR_ITEM))
    if assignment.submitted_at is not None:
        return Submitted(assignment=assignment, repeated=True)
    if study.status != Study.Status.OPEN:
        raise RatingRefused(gettext_lazy(STUDY_NOT_OPEN))
    seconds = max(0.0, (now - assignment.served_at).total_seconds())
    if assignment.sample_b_id:
        _store_comparison(assignment, study, values, now, seconds)
    else:
        _store_ratings(assignment, study, values, guess, now, seconds)
    shown = sorted(pk for pk in (assignment.sample_id, assignment.sample_b_id) if pk)
    regular = not (
        assignment.sample.is_attention_check
        or (assignment.sample_b is not None and assignment.sample_b.is_attention_check)
    )
    # A rated item holds its slot (a pair: both samples') for good (attention checks have
    # none). The row is updated only while it still holds what it should; after a sweep
    # gave the slot back, the late rating takes a slot again (the sample may go one over
    # its target: late ratings are kept), under the samples' locks, in id order: the first
    # sample locks of the transaction (see `assignment`: lock order).
    mine = Assignment.objects.filter(pk=assignment.pk)
    if not mine.filter(holds_slot=regular).update(submitted_at=now):
        list(Sample.objects.select_for_update().filter(pk__in=shown).order_by("pk").values("pk"))
        Sample.objects.filter(pk__in=shown).update(load=F("load") + 1)
        mine.update(submitted_at=now, holds_slot=True)
        assignment.holds_slot = True
    assignment.submitted_at = now
    return Submitted(assignment=assignment, repeated=False)
