"""The rater's way through a study: entry, consent, assignment, submission, completion.

The rule of DESIGN §3 (which group next, which sample of it, where the attention checks
fall, screen-out, the last item) is `rule`, pure functions and nothing else. The other
modules do what it says with the database: `participants`, `slots`, `assignment` and
`submission`; `retries` runs a transaction that lost a race again. This package
re-exports what views, the API, commands and the simulation use; there is no other
implementation of the rule.

Slots. A sample has `ratings_per_sample` slots; an assignment holds one (`holds_slot`) from
the moment it is served until its lease runs out unrated, and for good once rated. Each
sample keeps the count of held slots (`Sample.load`), so choosing the next sample reads
one row per sample instead of counting every assignment of the study. Expired leases give
their slots back when `leases_release` sweeps them: on a schedule (Celery beat, every
MAINTENANCE_SECONDS), and always before a participant or a study is said to have nothing
left. The count changes only under the
sample's row lock; `sample_loads_recount` rebuilds it from the assignments.

Concurrency. Every request of one participant takes that participant's row lock first, so
a participant's own requests (reloads, double submits, two tabs) run one at a time. A new
item is claimed with SELECT ... FOR UPDATE SKIP LOCKED among the group's samples with a
free slot, and its count raised under that lock. Lock order is participant, then sample,
then assignment, and no transaction waits for a sample's lock while holding another's, so
nothing can deadlock (the argument is in `assignment`). The unique constraints on
assignments and ratings are the last line of defence. On SQLite, row locks do nothing and
write transactions are serialised instead (BEGIN IMMEDIATE, see config.environment).
"""

from ratings.services.assignment import address_busy, assignment_next
from ratings.services.participants import (
    ConsentFormInvalid,
    ConsentRefused,
    ExternalIdTaken,
    StartsLimited,
    client_hash,
    consent_form_new,
    consent_form_nonce,
    participant_consent,
    participant_find,
    participant_key_ensure,
)
from ratings.services.rule import attention_count, attention_positions, items_for
from ratings.services.slots import leases_release, sample_loads_recount, study_has_room
from ratings.services.submission import (
    MISSING_GUESS,
    MISSING_SCORE,
    NOT_YOUR_ITEM,
    STUDY_NOT_OPEN,
    UNKNOWN_GUESS,
    RatingInvalid,
    RatingRefused,
    Submitted,
    rating_submit,
    rating_submit_and_next,
)

__all__ = [
    "MISSING_GUESS",
    "MISSING_SCORE",
    "NOT_YOUR_ITEM",
    "STUDY_NOT_OPEN",
    "UNKNOWN_GUESS",
    "ConsentFormInvalid",
    "ConsentRefused",
    "ExternalIdTaken",
    "RatingInvalid",
    "RatingRefused",
    "StartsLimited",
    "Submitted",
    "address_busy",
    "assignment_next",
    "attention_count",
    "attention_positions",
    "client_hash",
    "consent_form_new",
    "consent_form_nonce",
    "items_for",
    "leases_release",
    "participant_consent",
    "participant_find",
    "participant_key_ensure",
    "rating_submit",
    "rating_submit_and_next",
    "sample_loads_recount",
    "study_has_room",
]
