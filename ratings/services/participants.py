"""Participants: who a browser is, consent, the study's guards against being filled by
one person, and row locks.

Who a browser is. A participant is their cookie's key: a browser that holds it is that
participant, whatever id its link carries (so a screened-out browser cannot start again
under a new id). An external id alone never hands a participant over: ids such as a
Prolific PID are known to others. A browser without the cookie gets its participant back
only with the whole Prolific triple as stored (`PROLIFIC_PID`, `STUDY_ID` and
`SESSION_ID`, the last one per attempt and not public); otherwise a known id cannot
consent again (`ExternalIdTaken`), and nothing else is made for it.

Guards, each a study setting (0: off). A consent form is good for one participant
(`consent_form_new` signs a random nonce; a participant keeps it, unique). A client
address (kept only as a keyed hash, `client_hash`) starts at most
`starts_per_address_hour` participants an hour; a refused start is counted on the study.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from ratings.models import Participant
from studies.models import Study

# What the rating services read of a participant under its row lock.
LOCKED_FIELDS = ["study", "status", "seed", "group_order", "flags", "finished_at", "client_hash"]
CONSENT_SALT = "blindrate.consent-form"
# What raters read, in English; translated into the study's rater language when shown.
FORM_USED = gettext_noop("This form was sent already. Please open the study's link again.")
FORM_EXPIRED = gettext_noop(
    "This page was open too long or was sent already. Please tick the box again."
)
ALREADY_STARTED = gettext_noop(
    "You have already started this study in another browser. To continue, open the study's "
    "link in the browser you started in. If you cannot, contact the researcher."
)
STARTS_LIMITED = gettext_noop(
    "Many people have started this study from your connection in the last hour. "
    "Please try again later."
)
CONSENT_FORM_MAX_AGE = timedelta(hours=6)


class ConsentRefused(Exception):
    """A consent that makes no participant; the message is for the rater."""


class ConsentFormInvalid(ConsentRefused):
    """The form is forged, too old, or was sent already."""


class ExternalIdTaken(ConsentRefused):
    """The id of the link already took part, from another browser."""


class StartsLimited(ConsentRefused):
    """Too many participants started from this address in the last hour."""


def client_hash(address: str) -> str:
    """A keyed hash of a client address: the same address gives the same value here, and
    nobody without the secret key can tell which address it was."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"client-address:{address}".encode(), hashlib.sha256).hexdigest()[:32]


def consent_form_new() -> str:
    """The signed, one-use token of a consent form."""
    return signing.TimestampSigner(salt=CONSENT_SALT).sign(secrets.token_urlsafe(16))


def consent_form_nonce(token: str) -> str:
    """The nonce of a consent form's token, or ConsentFormInvalid."""
    try:
        return signing.TimestampSigner(salt=CONSENT_SALT).unsign(
            token, max_age=CONSENT_FORM_MAX_AGE
        )
    except signing.BadSignature as error:
        raise ConsentFormInvalid(gettext_lazy(FORM_EXPIRED)) from error


def participant_find(
    *,
    study: Study,
    session_key: str = "",
    external_id: str = "",
    external_study_id: str = "",
    external_session_id: str = "",
) -> Participant | None:
    """The participant this browser is: by its cookie's key, else by the whole external
    triple as stored (a Prolific study's PID, study id and per-attempt session id)."""
    if session_key:
        found = Participant.objects.filter(study=study, session_key=session_key).first()
        if found is not None:
            return found
    if external_id and external_study_id and external_session_id:
        return Participant.objects.filter(
            study=study,
            external_id=external_id,
            external_study_id=external_study_id,
            external_session_id=external_session_id,
        ).first()
    return None


def _starts_limited(study: Study, client: str, now) -> bool:
    limit = study.starts_per_address_hour
    if not (limit and client):
        return False
    recent = Participant.objects.filter(
        study=study, client_hash=client, created_at__gte=now - timedelta(hours=1)
    )
    return recent.count() >= limit


def participant_consent(
    *,
    study: Study,
    external_id: str = "",
    external_study_id: str = "",
    external_session_id: str = "",
    consent_form: str = "",
    client: str = "",
    is_simulated: bool = False,
    now=None,
) -> Participant:
    """Record consent and make the participant, with a new random `session_key` for their
    browser's cookie. The rater's page passes the form's nonce (`consent_form`) and the
    client's hash (`client`); refused consents raise a `ConsentRefused`. `is_simulated`
    marks the raters of ratings.simulation, who take this same way in."""
    now = now or timezone.now()
    if consent_form and Participant.objects.filter(consent_form=consent_form).exists():
        raise ConsentFormInvalid(gettext_lazy(FORM_USED))
    if external_id and Participant.objects.filter(study=study, external_id=external_id).exists():
        raise ExternalIdTaken(gettext_lazy(ALREADY_STARTED))
    if _starts_limited(study, client, now):
        Study.objects.filter(pk=study.pk).update(starts_refused=F("starts_refused") + 1)
        raise StartsLimited(gettext_lazy(STARTS_LIMITED))
    try:
        with transaction.atomic():
            return Participant.objects.create(
                study=study,
                external_id=external_id,
                external_study_id=external_study_id,
                external_session_id=external_session_id,
                consent_form=consent_form,
                client_hash=client,
                session_key=secrets.token_urlsafe(24),
                seed=secrets.randbits(62),
                consented_at=now,
                is_simulated=is_simulated,
            )
    except IntegrityError as error:
        # The same form, or the same external id, consented at the same moment elsewhere.
        if consent_form and Participant.objects.filter(consent_form=consent_form).exists():
            raise ConsentFormInvalid(gettext_lazy(FORM_USED)) from error
        raise ExternalIdTaken(gettext_lazy(ALREADY_STARTED)) from error


def participant_key_ensure(*, participant: Participant) -> Participant:
    """A cookie key for a participant who has none (found by their external triple after
    their key was cleared, say); the same key for everyone who asks at once."""
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
