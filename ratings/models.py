"""Who rates what: participants, the samples (or pairs) assigned to them, their ratings
and their comparisons.

The database holds the invariants that concurrent raters must never break: one assignment
per participant and sample, one position per participant, one rating per assignment and
criterion. Services lock rows to avoid conflicts; these constraints are the last line.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from studies.models import Sample, Study, new_token


class Participant(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        SCREENED_OUT = "screened_out", "Screened out"
        RETURNED = "returned", "Returned"
        STOPPED = "stopped", "Stopped early (the study filled)"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="participants")
    pseudonym = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    # External ids are private: never exported, never shown to other raters.
    external_id = models.CharField(max_length=200, blank=True)
    external_study_id = models.CharField(max_length=200, blank=True)
    external_session_id = models.CharField(max_length=200, blank=True)
    # The random key in the rater's cookie: the browser without an external id is the
    # participant. Never shown anywhere else.
    session_key = models.CharField(max_length=64, blank=True)
    # A keyed hash of the client's address at consent (never the address itself), for the
    # study's per-address limits.
    client_hash = models.CharField(max_length=32, blank=True)
    # The one-use consent form this participant was made from (ratings.services.consent).
    consent_form = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.ACTIVE)
    seed = models.BigIntegerField(help_text="Seeds this participant's order of samples.")
    group_order = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="The groups (ids) of this participant's regular items in the order drawn "
        "from their seed at their first item (ratings.services.rule.group_sequence).",
    )
    consented_at = models.DateTimeField(null=True, blank=True)
    flags = models.JSONField(default=dict, blank=True)
    is_simulated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["study", "id"]
        indexes = [
            models.Index(fields=["study", "status"]),
            models.Index(fields=["study", "client_hash", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "external_id"],
                condition=~Q(external_id=""),
                name="participant_external_id_unique_in_study",
            ),
            models.UniqueConstraint(
                fields=["consent_form"],
                condition=~Q(consent_form=""),
                name="participant_consent_form_used_once",
            ),
            models.UniqueConstraint(
                fields=["study", "session_key"],
                condition=~Q(session_key=""),
                name="participant_session_key_unique_in_study",
            ),
        ]

    def __str__(self) -> str:
        return self.pseudonym


class Assignment(models.Model):
    # Every rating writes an assignment row: no index here that another one already covers
    # (participant: the unique pairs below; sample: the (sample, submitted_at) index).
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    sample = models.ForeignKey(
        Sample, on_delete=models.PROTECT, related_name="assignments", db_index=False
    )
    # A pairwise study's item is a pair: `sample` is shown as A and `sample_b` as B. Both
    # hold a slot (`holds_slot` speaks for the pair). Empty for a rating study's items.
    sample_b = models.ForeignKey(
        Sample,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments_as_b",
        db_index=False,
    )
    token = models.CharField(max_length=32, default=new_token, editable=False)
    position = models.PositiveIntegerField()
    served_at = models.DateTimeField()
    lease_expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    holds_slot = models.BooleanField(
        default=True,
        help_text="Holds one of the sample's rating slots (counted in Sample.load): rated, "
        "or leased and not yet given back. Attention checks have no slots.",
    )

    class Meta:
        ordering = ["participant", "position"]
        indexes = [
            models.Index(fields=["sample", "submitted_at"]),
            models.Index(
                fields=["sample_b"], condition=Q(sample_b__isnull=False), name="assignment_b"
            ),
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(submitted_at__isnull=True, holds_slot=True),
                name="assignment_open_lease",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "sample"],
                condition=Q(sample_b__isnull=True),
                name="assignment_sample_once_per_participant",
            ),
            # A participant never gets the same two samples twice, in either order.
            models.UniqueConstraint(
                F("participant"),
                Least("sample", "sample_b"),
                Greatest("sample", "sample_b"),
                condition=Q(sample_b__isnull=False),
                name="assignment_pair_once_per_participant",
            ),
            models.CheckConstraint(
                condition=Q(sample_b__isnull=True) | ~Q(sample=F("sample_b")),
                name="assignment_pair_of_two_samples",
            ),
            models.UniqueConstraint(
                fields=["participant", "position"], name="assignment_position_unique"
            ),
            # A constraint rather than unique=True: no second index for LIKE on PostgreSQL.
            models.UniqueConstraint(fields=["token"], name="assignment_token_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} #{self.position}"


class Rating(models.Model):
    """One score for one criterion of one assignment: stored once, never edited."""

    # Indexed by the unique (assignment, criterion) pair alone: a rating is written far more
    # often than it is looked up by criterion or guess.
    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="ratings", db_index=False
    )
    criterion = models.SlugField(max_length=40, db_index=False)
    score = models.FloatField()
    guess = models.SlugField(max_length=40, blank=True, db_index=False)
    seconds = models.FloatField(help_text="Server-measured time from serving to submission.")
    # Set by the rating services from their clock (a simulation's runs on a fake one).
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "criterion"], name="rating_once_per_assignment_criterion"
            ),
            models.CheckConstraint(condition=Q(seconds__gte=0), name="rating_seconds_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}={self.score:g}"


class Comparison(models.Model):
    """The choice between the two samples of a pairwise item: stored once, never edited."""

    class Choice(models.TextChoices):
        A = "a", "A"
        B = "b", "B"
        TIE = "tie", "About the same"

    class Strength(models.TextChoices):
        SLIGHTLY = "slightly", "Slightly better"
        CLEARLY = "clearly", "Clearly better"
        MUCH = "much", "Much better"

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="comparisons", db_index=False
    )
    criterion = models.SlugField(max_length=40)
    choice = models.CharField(max_length=3, choices=Choice.choices)
    strength = models.CharField(max_length=10, choices=Strength.choices, blank=True)
    seconds = models.FloatField(help_text="Server-measured time from serving to submission.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment"], name="comparison_once_per_assignment"),
            models.CheckConstraint(
                condition=Q(choice__in=["a", "b", "tie"]), name="comparison_choice_known"
            ),
            models.CheckConstraint(
                condition=Q(strength__in=["", "slightly", "clearly", "much"])
                & (Q(strength="") | ~Q(choice="tie")),
                name="comparison_strength_known",
            ),
            models.CheckConstraint(condition=Q(seconds__gte=0), name="comparison_seconds_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.choice}{' ' + self.strength if self.strength else ''}"
