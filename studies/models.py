"""What is rated: a study, its groups and claims, the briefs, and the samples.

Invariants that hold for every row live here as database constraints. Rules that span
rows or depend on the study's state (a frozen design, a score inside the study's scale)
live in `studies.services` and `studies.design`.
"""

import secrets
import string

from django.conf import settings
from django.db import models
from django.db.models import F, Q

TOKEN_FIRST = string.ascii_letters + string.digits


def new_token() -> str:
    """A random, opaque, URL-safe token (128 bits and more): never sequential, never
    guessable. It starts with a letter or digit, never `-`: a spreadsheet reads a cell that
    starts with -, =, + or @ as a formula, and pseudonyms and tokens end up in CSV files."""
    return secrets.choice(TOKEN_FIRST) + secrets.token_urlsafe(16)


def default_criteria() -> list[dict]:
    return [{"key": "quality", "label": "Overall quality"}]


def default_scale_anchors() -> dict[str, str]:
    return {"1": "Very poor", "10": "Excellent"}


def rater_languages() -> list[tuple[str, str]]:
    """The languages the rater pages ship in (settings.LANGUAGES, each with its catalogue)."""
    return list(settings.LANGUAGES)


def default_guess_labels() -> dict[str, str]:
    return {"human": "A person", "ai": "An AI", "collaboration": "A person and an AI together"}


class Study(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Protocol(models.TextChoices):
        RATING = "rating", "Rating: a score per sample"
        PAIRWISE = "pairwise", "Pairwise: the better of two samples"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="studies"
    )
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True, help_text="Markdown, shown to raters.")
    consent_text = models.TextField(blank=True, help_text="Markdown, shown before consent.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)

    # The rating scale and criteria.
    scale_min = models.FloatField(default=1)
    scale_max = models.FloatField(default=10)
    scale_step = models.FloatField(default=1)
    scale_anchors = models.JSONField(
        default=default_scale_anchors, blank=True, help_text='Labels by score, e.g. {"1": "Poor"}.'
    )
    criteria = models.JSONField(
        default=default_criteria, help_text='List of {"key": ..., "label": ...}.'
    )

    # How the study runs.
    ratings_per_sample = models.PositiveIntegerField(default=5)
    samples_per_rater = models.PositiveIntegerField(default=20)
    lease_minutes = models.PositiveIntegerField(default=30)
    attention_check_rate = models.FloatField(
        default=0.1, help_text="Share of a rater's items that are attention checks (0 to 0.5)."
    )
    attention_fail_limit = models.PositiveIntegerField(
        default=2, help_text="Failed attention checks that screen a participant out."
    )
    ask_source_guess = models.BooleanField(default=False)
    guess_labels = models.JSONField(default=default_guess_labels, blank=True)
    # The protocol: a score per sample (rating), or a choice between two (pairwise).
    protocol = models.CharField(
        max_length=10,
        choices=Protocol.choices,
        default=Protocol.RATING,
        help_text="rating: raters score one sample at a time; pairwise: raters choose the "
        "better of two samples answering the same brief.",
    )
    allow_ties = models.BooleanField(
        default=False, help_text='Pairwise: raters may answer "about the same".'
    )
    ask_strength = models.BooleanField(
        default=False,
        help_text="Pairwise: raters also say how much better (slightly, clearly, much).",
    )
    allow_same_group_pairs = models.BooleanField(
        default=False, help_text="Pairwise: pairs may show two samples of the same group."
    )
    rater_language = models.CharField(
        max_length=10,
        choices=rater_languages,
        default="en",
        help_text="The language of the platform's own words on the rater pages (buttons, "
        "progress, errors); instructions, consent, briefs and labels are shown as written.",
    )

    # The analysis plan.
    alpha = models.FloatField(default=0.05)
    equivalence_margin = models.FloatField(
        null=True, blank=True, help_text="TOST margin; empty means 0.5 points per 10-point range."
    )

    # Operations: not part of the frozen design.
    completion_code = models.CharField(max_length=64, blank=True)
    screenout_code = models.CharField(max_length=64, blank=True)
    partial_code = models.CharField(
        max_length=64,
        blank=True,
        help_text="For a participant stopped early because the study filled up (blank: none).",
    )
    min_items_for_code = models.PositiveIntegerField(
        default=0,
        help_text="Rated items that earn the completion code; 0 means all of a rater's items.",
    )
    min_median_seconds = models.FloatField(
        default=0,
        help_text="A participant whose median seconds per item is below this is flagged as "
        "a speeder (0: off).",
    )
    screen_out_speeders = models.BooleanField(
        default=False, help_text="Screen flagged speeders out instead of completing them."
    )
    # Limits that keep a study fillable only by real raters (0: no limit).
    starts_per_address_hour = models.PositiveIntegerField(
        default=20, help_text="New participants per client address per hour."
    )
    leases_per_address = models.PositiveIntegerField(
        default=10, help_text="Unrated items held at once by participants of one address."
    )
    first_lease_minutes = models.PositiveIntegerField(
        default=5,
        help_text="Lease of a participant's first item: one who never rates gives the slot "
        "back after this, not the full lease.",
    )
    starts_refused = models.PositiveIntegerField(
        default=0, editable=False, help_text="Starts refused by the per-address limit."
    )
    redirect_url = models.URLField(
        blank=True, help_text="Sent to after the done page; {code} is replaced by the code."
    )

    # The power plan last computed while the study was a draft (analysis.planning);
    # opening freezes it into the pre-registration with the design.
    plan = models.JSONField(null=True, blank=True, editable=False)
    # The pre-registration, written once when the study opens.
    frozen_design = models.JSONField(null=True, blank=True, editable=False)
    frozen_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_min__lt=F("scale_max")),
                name="study_scale_min_below_max",
                violation_error_message="The scale's maximum must be above its minimum.",
            ),
            models.CheckConstraint(condition=Q(scale_step__gt=0), name="study_scale_step_positive"),
            models.CheckConstraint(
                condition=Q(ratings_per_sample__gte=1), name="study_ratings_per_sample_positive"
            ),
            models.CheckConstraint(
                condition=Q(samples_per_rater__gte=1), name="study_samples_per_rater_positive"
            ),
            models.CheckConstraint(condition=Q(lease_minutes__gte=1), name="study_lease_positive"),
            models.CheckConstraint(
                condition=Q(attention_check_rate__gte=0, attention_check_rate__lte=0.5),
                name="study_attention_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(alpha__gt=0, alpha__lt=0.5), name="study_alpha_range"
            ),
            models.CheckConstraint(
                condition=Q(equivalence_margin__isnull=True) | Q(equivalence_margin__gt=0),
                name="study_margin_positive",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(frozen_sha256=""),
                name="study_opened_has_preregistration",
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class Group(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="groups")
    key = models.SlugField(max_length=40, help_text="human, ai, collaboration or any slug.")
    label = models.CharField(max_length=100)

    class Meta:
        ordering = ["study", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "key"],
                name="group_key_unique_in_study",
                violation_error_message="This study already has a group with this key.",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Claim(models.Model):
    """A claimed group mean, or a claimed difference `group - other_group`."""

    class Kind(models.TextChoices):
        MEAN = "mean", "Group mean"
        DIFFERENCE = "difference", "Difference between groups"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="claims")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MEAN)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="claims")
    other_group = models.ForeignKey(
        Group,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="claims_as_other",
        help_text="For a difference: the group subtracted.",
    )
    value = models.FloatField(help_text="The claimed mean, or the claimed difference.")
    source = models.CharField(max_length=300, blank=True, help_text="Where the claim was made.")

    class Meta:
        ordering = ["study", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="mean") & Q(other_group__isnull=True))
                | (
                    Q(kind="difference") & Q(other_group__isnull=False) & ~Q(group=F("other_group"))
                ),
                name="claim_groups_match_kind",
                violation_error_message="A mean names one group; a difference two different ones.",
            ),
            models.UniqueConstraint(
                fields=["study", "group"],
                condition=Q(kind="mean"),
                name="claim_one_mean_per_group",
                violation_error_message="This group already has a claimed mean.",
            ),
            models.UniqueConstraint(
                fields=["study", "group", "other_group"],
                condition=Q(kind="difference"),
                name="claim_one_difference_per_pair",
                violation_error_message="This difference is already claimed.",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.DIFFERENCE:
            return f"{self.group.key} - {self.other_group.key} = {self.value:g}"
        return f"{self.group.key} = {self.value:g}"


class Brief(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="briefs")
    key = models.SlugField(max_length=80)
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True, help_text="The creative task, Markdown.")
    show_to_raters = models.BooleanField(default=True)

    class Meta:
        ordering = ["study", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "key"],
                name="brief_key_unique_in_study",
                violation_error_message="This study already has a brief with this key.",
            ),
        ]

    def __str__(self) -> str:
        return self.key


def sample_media_path(sample: "Sample", filename: str) -> str:
    """A random path: nothing of the researcher's file name or of the group survives."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"samples/{secrets.token_hex(16)}.{extension}"


class Sample(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        IMAGE = "image", "Image"
        AUDIO = "audio", "Audio"

    # Indexed by the (study, group) index below.
    study = models.ForeignKey(
        Study, on_delete=models.CASCADE, related_name="samples", db_index=False
    )
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="samples")
    brief = models.ForeignKey(
        Brief, on_delete=models.PROTECT, null=True, blank=True, related_name="samples"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    text = models.TextField(blank=True, help_text="Stored as written; shown as safe Markdown.")
    media = models.FileField(upload_to=sample_media_path, blank=True)
    media_type = models.CharField(max_length=40, blank=True)
    content_sha256 = models.CharField(max_length=64)
    external_id = models.CharField(
        max_length=200, blank=True, help_text="The researcher's own id, unique in the study."
    )
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    is_attention_check = models.BooleanField(default=False)
    expected_min = models.FloatField(null=True, blank=True)
    expected_max = models.FloatField(null=True, blank=True)
    load = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Rating slots taken: rated, or leased and not yet given back "
        "(kept by ratings.services under this row's lock).",
    )
    metadata = models.JSONField(default=dict, blank=True, help_text="Never shown to raters.")
    source_warnings = models.JSONField(
        default=list, blank=True, help_text="Phrases in the text that may give its source away."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "id"]
        indexes = [models.Index(fields=["study", "group"])]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "external_id"],
                condition=~Q(external_id=""),
                name="sample_external_id_unique_in_study",
                violation_error_message="This study already has a sample with this id.",
            ),
            models.CheckConstraint(
                condition=(Q(kind="text") & ~Q(text="") & Q(media=""))
                | (Q(kind__in=["image", "audio"]) & ~Q(media="")),
                name="sample_content_matches_kind",
                violation_error_message="Text samples need text; image and audio samples a file.",
            ),
            models.CheckConstraint(
                condition=Q(is_attention_check=False)
                | (Q(expected_min__isnull=False) & Q(expected_max__isnull=False)),
                name="sample_attention_check_has_expected_range",
                violation_error_message="An attention check needs its expected score range.",
            ),
            models.CheckConstraint(
                condition=Q(expected_min__isnull=True)
                | Q(expected_max__isnull=True)
                | Q(expected_min__lte=F("expected_max")),
                name="sample_expected_range_ordered",
                violation_error_message="The expected range must run from low to high.",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id or f"sample {self.pk}"
