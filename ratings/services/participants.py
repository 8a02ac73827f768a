"""Participants: found by external id or by their cookie's key, consent, row locks."""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from ratings.models import Participant
from studies.models import Study

# What the rating services read of a participant under its row lock.
LOCKED_FIELDS = ["study", "status", "seed", "group_order", "flags", "finished_at"]


def participant_find(
    *, study: Study, external_id: str = "", session_key: str = ""
) -> Participant | None:
    """A returning participant: by external id (e.g. PROLIFIC_PID), else by the key in
    their browser's cookie."""
    if external_id:
        found = Participant.objects.filter(study=study, external_id=external_id).first()
        if found is not None:
            return found
    if session_key:
        return Participant.objects.filter(study=study, session_key=session_key).first()
    return None


def participant_consent(
    *,
    study: Study,
    external_id: str = "",
    external_study_id: str = "",
    external_session_id: str = "",
    is_simulated: bool = False,
) -> Participant:
    """Record consent, once: a second consent of the same external id returns the first.
    The participant gets a new random `session_key` for their browser's cookie.
    `is_simulated` marks the raters of ratings.simulation, who take this same way in."""
    if external_id:
        existing = Participant.objects.filter(study=study, external_id=external_id).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return Participant.objects.create(
                study=study,
                external_id=external_id,
                external_study_id=external_study_id,
                external_session_id=external_session_id,
                session_key=secrets.token_urlsafe(24),
                seed=secrets.randbits(62),
                consented_at=timezone.now(),
                is_simulated=is_simulated,
            )
    except IntegrityError:
        # The same external id consented at the same moment in another request.
        return Participant.objects.get(study=study, external_id=external_id)


def participant_key_ensure(*, participant: Participant) -> Participant:
    """A cookie key for a participant who has none (found by external id after their key
    was cleared, say); the same key for everyone who asks at once."""
    if not participant.session_key:
        Participant.objects.filter(pk=participant.pk, session_key="").update(
            session_key=secrets.token_urlsafe(24)
        )
        participant.refresh_from_db(fields=["session_key"])
    return participant


def participant_lock(participant: Participant) -> Participant:
    """The participant's row lock, always the first lock a rating transaction takes (see
    `ratings.services`: lock order), with their current state read into `participant`
    itself, so the caller sees what the services changed (a finish, say)."""
    participant.refresh_from_db(
        from_queryset=Participant.objects.select_for_update(), fields=LOCKED_FIELDS
    )
    return participant
