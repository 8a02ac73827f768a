"""Submission: the scores of one item, stored once, and the participant's finish."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ratings import sql
from ratings.models import Assignment, Participant
from ratings.services.assignment import (
    assignment_next_locked,
    attention_failures,
    items_for,
    participant_finish,
)
from ratings.services.participants import participant_lock
from studies import design
from studies.models import Study

NOT_YOUR_ITEM = "This item is not one of yours. Please continue with the item shown."
STUDY_NOT_OPEN = "This study is not open, so your rating was not stored."
MISSING_SCORE = "Please choose a score."
MISSING_GUESS = "Please say who you think made it."
UNKNOWN_GUESS = "Please choose one of the options."


class RatingRefused(Exception):
    """The submission cannot be taken at all; nothing was stored."""


@dataclass
class RatingInvalid(Exception):
    """Fields at fault -> message; nothing was stored, the item is shown again."""

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
            problems[key] = MISSING_SCORE
            continue
        try:
            score = float(raw)
        except ValueError:
            problems[key] = f"'{raw}' is not a score; please choose one."
            continue
        problem = design.score_problem(study, score)
        if problem:
            problems[key] = f"The score {problem}."
        else:
            scores[key] = score
    return scores, problems


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
    return _submit(participant_lock(participant), item, values, guess, study, now)


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
    the rating page's POST does, so the next item comes back in the same response."""
    now = now or timezone.now()
    participant = participant_lock(participant)
    submitted = _submit(participant, item, values, guess, study, now)
    return submitted, assignment_next_locked(participant, study, now)


def _submit(participant, item, values, guess, study, now) -> Submitted:
    study = study or Study.objects.defer("frozen_design").get(pk=participant.study_id)
    found = sql.first(
        "SELECT a.id, a.sample_id, a.position, a.served_at, a.submitted_at,"
        " s.is_attention_check FROM ratings_assignment a"
        " JOIN studies_sample s ON s.id = a.sample_id"
        " WHERE a.participant_id = %s AND a.token = %s",
        [participant.pk, item],
    )
    if found is None:
        raise RatingRefused(NOT_YOUR_ITEM)
    pk, sample_id, position, served_at, submitted_at, is_check = found
    assignment = sql.instance(
        Assignment, id=pk, participant_id=participant.pk, sample_id=sample_id, token=item,
        position=position, served_at=sql.as_datetime(served_at),
        submitted_at=sql.as_datetime(submitted_at),
    )  # fmt: skip
    if assignment.submitted_at is not None:
        return Submitted(assignment=assignment, repeated=True)
    if study.status != Study.Status.OPEN:
        raise RatingRefused(STUDY_NOT_OPEN)
    scores, problems = scores_parse(study, values)
    guess = (guess or "").strip()
    if study.ask_source_guess:
        if not guess:
            problems["guess"] = MISSING_GUESS
        elif guess not in (study.guess_labels or {}):
            problems["guess"] = UNKNOWN_GUESS
    else:
        guess = ""
    if problems:
        raise RatingInvalid(problems)
    seconds = max(0.0, (now - assignment.served_at).total_seconds())
    stamp = sql.when(now)
    sql.write(
        "INSERT INTO ratings_rating (assignment_id, criterion, score, guess, seconds, created_at)"
        " VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(scores)),
        [value for key, score in scores.items()
         for value in (pk, key, score, guess, seconds, stamp)],
    )  # fmt: skip
    regular = not is_check
    # A rated item holds its slot for good. The row is updated only while it still holds
    # one; after a sweep gave the slot back, the late rating takes a slot again (the sample
    # may go one over its target: late ratings are kept), under the sample's lock.
    if not sql.write(
        "UPDATE ratings_assignment SET submitted_at = %s WHERE id = %s AND holds_slot", [stamp, pk]
    ):
        if regular:
            sql.write("UPDATE studies_sample SET load = load + 1 WHERE id = %s", [sample_id])
        sql.write(
            "UPDATE ratings_assignment SET submitted_at = %s, holds_slot = %s WHERE id = %s",
            [stamp, regular, pk],
        )
    assignment.submitted_at = now
    screen_out = (
        not regular
        and study.attention_fail_limit
        and attention_failures(participant) >= study.attention_fail_limit
    )
    # Items are served one at a time in order, so the last position is the last item.
    if screen_out or position >= items_for(study):
        participant_finish(participant, study, now)
    return Submitted(assignment=assignment, repeated=False)
