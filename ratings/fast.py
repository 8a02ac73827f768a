"""The rating page's fast path on PostgreSQL: a rater's usual step in one database call.

Most rating requests are the same few steps: find the participant by their cookie's key
and lock them, store the scores of the item they hold, and claim their next sample under
the DESIGN §3 rule. Through Python that is about ten round trips to the database, and on
a small server the round trips, not the work, cost the most. So on PostgreSQL those steps
run inside one function, `blindrate_rate_<hash>`, called once per request in autocommit
(its transaction is the call).

The function only takes the usual case. Anything else (no such participant, a study not
open, someone else's or an attention-check item, the last item, an expired lease, an
attention check due next, no sample with a free slot) makes it answer `slow` before it
writes anything of that step, and the request goes through the Python services in
`ratings.services`, which remain the whole specification (and the only path on SQLite).
A submission the function stored before answering `slow` is seen there as a repeat.

One rule, not two: the claim inside the function is the text of `assignment.claim_sql`,
with the function's variables for its parameters, and the attention-check positions are
`assignment.attention_positions`' MD5 ranking. The function's name carries a hash of its
body, so the code never calls a function of another version: it is created when missing
(after `migrate`, or on first use), and `tests/ratings/test_fast_path.py` runs the same
participants through both paths and compares every stored row.
"""

import copy
import hashlib
import logging
import threading
from contextlib import nullcontext
from datetime import datetime

import psycopg
from django.db import ProgrammingError, connection, transaction

from ratings import sql
from ratings.models import Assignment
from ratings.services.assignment import EVERYTHING, SHORTLIST, attention_count, claim_sql
from ratings.services.slots import leases_sweep_if_due
from ratings.services.submission import scores_parse
from studies.models import Brief, Sample, Study, new_token

logger = logging.getLogger(__name__)

SLOW = "slow"
ITEM = "item"
_CLAIM_PARAMS = {"participant": "v_pid", "seed": "v_seed", "study": "p_study",
                 "target": "v_target", "shortlist": "v_shortlist"}  # fmt: skip


def _claim(skip_locked: bool) -> str:
    """`claim_sql` for PostgreSQL, its parameters the function's variables."""
    text = claim_sql("postgresql", skip_locked=skip_locked)
    return text % _CLAIM_PARAMS + " INTO v_sample;"


_SLOW = (
    f"RETURN QUERY SELECT '{SLOW}'::text, NULL::text, NULL::text, NULL::int, NULL::bigint,"
    " NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::boolean;"
    " RETURN;"
)
_SHOW = f"""
    RETURN QUERY SELECT '{ITEM}'::text, v_title::text, a.token::text, a.position::int,
           s.id, s.kind::text, s.text::text, s.media::text, b.id, b.title::text, b.text::text,
           b.show_to_raters
      FROM ratings_assignment a JOIN studies_sample s ON s.id = a.sample_id
      LEFT JOIN studies_brief b ON b.id = s.brief_id
     WHERE a.id = v_aid;
    RETURN;"""

BODY = f"""
DECLARE
    v_pid bigint; v_pstatus text; v_seed bigint;
    v_status text; v_title text; v_total int; v_target int; v_lease int;
    v_aid bigint; v_sample bigint; v_position int; v_served timestamptz;
    v_submitted timestamptz; v_check boolean; v_expires timestamptz; v_done int;
    v_shortlist int;
BEGIN
    -- The participant's row lock first, as everywhere (services: lock order).
    SELECT id, status, seed INTO v_pid, v_pstatus, v_seed FROM ratings_participant
     WHERE study_id = p_study AND session_key = p_key AND session_key <> '' FOR UPDATE;
    IF NOT FOUND OR v_pstatus <> 'active' THEN {_SLOW} END IF;
    SELECT status, title, samples_per_rater, ratings_per_sample, lease_minutes
      INTO v_status, v_title, v_total, v_target, v_lease
      FROM studies_study WHERE id = p_study;
    IF NOT FOUND OR v_status <> 'open' THEN {_SLOW} END IF;

    IF p_token IS NOT NULL THEN
        -- submission._submit, for a regular item that is not the participant's last.
        SELECT a.id, a.sample_id, a.position, a.served_at, a.submitted_at, s.is_attention_check
          INTO v_aid, v_sample, v_position, v_served, v_submitted, v_check
          FROM ratings_assignment a JOIN studies_sample s ON s.id = a.sample_id
         WHERE a.participant_id = v_pid AND a.token = p_token;
        IF NOT FOUND OR v_check OR (v_submitted IS NULL AND v_position >= v_total) THEN
            {_SLOW}
        END IF;
        IF v_submitted IS NULL THEN
            INSERT INTO ratings_rating
                   (assignment_id, criterion, score, guess, seconds, created_at)
            SELECT v_aid, u.criterion, u.score, p_guess,
                   GREATEST(0, EXTRACT(EPOCH FROM p_now - v_served))::float8, p_now
              FROM unnest(p_criteria, p_scores) AS u(criterion, score);
            UPDATE ratings_assignment SET submitted_at = p_now WHERE id = v_aid AND holds_slot;
            IF NOT FOUND THEN
                -- A late rating: its lease was swept, so it takes a slot again.
                UPDATE studies_sample SET load = load + 1 WHERE id = v_sample;
                UPDATE ratings_assignment SET submitted_at = p_now, holds_slot = true
                 WHERE id = v_aid;
            END IF;
        END IF;
    END IF;

    -- assignment.assignment_next_locked: the item still held, or a new one.
    SELECT a.id, a.lease_expires_at INTO v_aid, v_expires FROM ratings_assignment a
     WHERE a.participant_id = v_pid AND a.submitted_at IS NULL ORDER BY a.position LIMIT 1;
    IF FOUND THEN
        IF v_expires <= p_now THEN {_SLOW} END IF;
        {_SHOW}
    END IF;
    SELECT count(*) INTO v_done FROM ratings_assignment WHERE participant_id = v_pid;
    v_position := v_done + 1;
    IF v_done >= v_total OR (p_checks > 0 AND v_position IN (
            SELECT g FROM generate_series(2, v_total) AS g
             ORDER BY md5(v_seed::text || ':' || g::text) COLLATE "C", g LIMIT p_checks)) THEN
        {_SLOW}
    END IF;
    v_shortlist := {SHORTLIST};
    {_claim(True)}
    IF v_sample IS NULL THEN
        -- assignment.claim_regular's fallbacks: the whole list, then wait for a lock.
        v_shortlist := {EVERYTHING};
        {_claim(True)}
        IF v_sample IS NULL THEN
            {_claim(False)}
        END IF;
        IF v_sample IS NULL THEN {_SLOW} END IF;
    END IF;
    INSERT INTO ratings_assignment
           (participant_id, sample_id, token, position, served_at, lease_expires_at, holds_slot)
    VALUES (v_pid, v_sample, p_new_token, v_position, p_now,
            p_now + make_interval(mins => v_lease), true)
    RETURNING id INTO v_aid;
    {_SHOW}
END
"""
SIGNATURE = (
    "p_study bigint, p_key text, p_token text, p_criteria text[], p_scores float8[],"
    " p_guess text, p_now timestamptz, p_checks int, p_new_token text"
)
NAME = "blindrate_rate_" + hashlib.sha256((SIGNATURE + BODY).encode()).hexdigest()[:12]
CREATE = (
    f"CREATE OR REPLACE FUNCTION {NAME}({SIGNATURE}) RETURNS TABLE ("
    " o_outcome text, o_title text, o_token text, o_position int, o_sample_id bigint,"
    " o_kind text, o_text text,"
    " o_media text, o_brief_id bigint, o_brief_title text, o_brief_text text,"
    " o_brief_shown boolean)"
    f" LANGUAGE plpgsql AS $blindrate${BODY}$blindrate$"
)
CALL = f"SELECT * FROM {NAME}(%s, %s, %s, %s, %s, %s, %s, %s, %s)"


def install(using=None) -> None:
    """Create this version's function (idempotent); run after every `migrate`."""
    from django.db import connections

    db = connections[using or "default"]
    if db.vendor != "postgresql":
        return
    with transaction.atomic(using=db.alias), db.cursor() as cursor:
        # The transaction's lock serialises processes creating it at the same moment.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [NAME])
        cursor.execute(CREATE)


def enabled() -> bool:
    return connection.vendor == "postgresql"


class _Studies:
    """Open studies by slug, with the fields the rating page uses. Everything the page
    needs of a study is frozen while it is open, except its title and status, which the
    function reads fresh on every call; a study that is not open is never taken from here."""

    lock = threading.Lock()
    by_slug: dict[str, Study] = {}

    @classmethod
    def get(cls, slug: str) -> Study | None:
        return cls.by_slug.get(slug)

    @classmethod
    def remember(cls, study: Study) -> None:
        with cls.lock:
            if study.status == Study.Status.OPEN:
                if len(cls.by_slug) >= 1000:
                    cls.by_slug.clear()
                cls.by_slug[study.slug] = study
            else:
                cls.by_slug.pop(study.slug, None)


remember_study = _Studies.remember
cached_study = _Studies.get


def step(
    *,
    study: Study,
    key: str,
    item: str | None = None,
    values: dict[str, str] | None = None,
    guess: str = "",
    now: datetime,
) -> tuple[Study, Assignment] | None:
    """The next item (after storing `values` for `item`, when given), with the study as
    the page shows it; None when the request needs the Python services instead."""
    if not key:
        return None
    criteria, scores = [], []
    if item is not None:
        parsed, problems = scores_parse(study, values or {})
        guess = (guess or "").strip()
        if study.ask_source_guess:
            if guess not in (study.guess_labels or {}):
                return None  # missing or unknown: the services say which
        else:
            guess = ""
        if problems:
            return None
        criteria, scores = list(parsed), list(parsed.values())
    leases_sweep_if_due(now)
    params = [study.pk, key, item, criteria, scores, guess, now,
              attention_count(study), new_token()]  # fmt: skip
    try:
        # Requests run in autocommit; inside a transaction (a test, a script) the call gets
        # a savepoint, so that a missing function does not abort the transaction.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            row = sql.first(CALL, params)
    except ProgrammingError as error:
        if not isinstance(error.__cause__, psycopg.errors.UndefinedFunction):
            raise
        # The first call after a deploy that skipped `migrate`: create it, then go on.
        logger.warning("creating %s (run `manage.py migrate` after deploying)", NAME)
        install()
        row = sql.first(CALL, params)
    (outcome, title, token, position, sample_id, kind, text, media, brief_id, brief_title,
     brief_text, brief_shown) = row  # fmt: skip
    if outcome != ITEM:
        return None
    if title != study.title:
        study = copy.copy(study)
        study.title = title
    sample = sql.instance(
        Sample,
        id=sample_id,
        study_id=study.pk,
        kind=kind,
        text=text,
        media=media,
        brief_id=brief_id,
    )
    sample.brief = None
    if brief_id is not None:
        sample.brief = sql.instance(
            Brief, id=brief_id, study_id=study.pk, title=brief_title, text=brief_text,
            show_to_raters=bool(brief_shown),
        )  # fmt: skip
    assignment = sql.instance(Assignment, sample_id=sample_id, token=token, position=position)
    assignment.sample = sample
    return study, assignment
