"""What the API reads and writes. Serializers check types and shapes; the rules of a study
(keys, scale, frozen design, imports) stay in the services, which the views call."""

from django.urls import reverse
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from analysis.models import JobStatus
from analysis.services import MODEL_METHODS
from api.fields import FiniteFloatField
from api.plan_schema import PlanDocumentSerializer
from api.results_schema import ResultsDocumentSerializer
from studies.models import Claim, Sample, Study, rater_languages

LARGE = 1_000_000_000
# The smallest step, alpha or margin taken: finite arithmetic on the scale stays finite.
SMALLEST = 1e-6


def _absolute(serializer: serializers.Serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


def _default(name: str):
    """The model's default for a study field, so the API and the admin agree on it."""
    return Study._meta.get_field(name).default


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(
        help_text="A stable word: invalid, parse_error, not_authenticated, "
        "authentication_failed, permission_denied, not_found, method_not_allowed, "
        "not_acceptable, unsupported_media_type, conflict, design_frozen, throttled, too_large."
    )
    message = serializers.CharField(help_text="One sentence for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='400 only: the path of each input at fault (e.g. "groups[1].key", '
        '"[2].group" for the third item of a list) and its problems.',
    )


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers, whatever its status."""

    error = ErrorDetailSerializer()


class GroupSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=40, help_text="human, ai, collaboration or any slug.")
    label = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Defaults from the key."
    )
    claimed_mean = FiniteFloatField(
        required=False, allow_null=True, help_text="The claimed mean score of this group."
    )
    claim_source = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text="Where it was claimed."
    )

    def to_representation(self, group):
        # `claims` of a group are prefetched (see StudyViewMixin.get_queryset).
        mean = next((c for c in group.claims.all() if c.kind == Claim.Kind.MEAN), None)
        return {
            "key": group.key,
            "label": group.label,
            "claimed_mean": mean.value if mean else None,
            "claim_source": mean.source if mean else "",
        }


class ClaimSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Claim.Kind.choices, default=Claim.Kind.MEAN)
    group = serializers.SlugField(max_length=40)
    other_group = serializers.SlugField(
        max_length=40,
        required=False,
        allow_null=True,
        help_text="For a difference: the group subtracted (value = group - other_group).",
    )
    value = FiniteFloatField(help_text="The claimed mean, or the claimed difference.")
    source = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def to_representation(self, claim):
        return {
            "kind": claim.kind,
            "group": claim.group.key,
            "other_group": claim.other_group.key if claim.other_group_id else None,
            "value": claim.value,
            "source": claim.source,
        }


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=40, help_text="Lowercase letters, digits, - or _.")
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)


@extend_schema_field(PlanDocumentSerializer(allow_null=True))
class PlanField(serializers.JSONField):
    pass


class StudySerializer(serializers.Serializer):
    """A study and its design. Every setting is optional, with the default shown."""

    slug = serializers.SlugField(max_length=80)
    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(
        max_length=100_000, required=False, allow_blank=True, help_text="Markdown."
    )
    consent_text = serializers.CharField(
        max_length=100_000, required=False, allow_blank=True, help_text="Markdown."
    )
    status = serializers.ChoiceField(choices=Study.Status.choices, read_only=True)
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    groups = GroupSerializer(many=True, allow_empty=False, max_length=50)
    claims = ClaimSerializer(
        many=True,
        required=False,
        max_length=200,
        help_text="Further claims, e.g. differences; a group's claimed_mean is one too. "
        "Read back: every claim of the study.",
    )
    scale_min = FiniteFloatField(default=_default("scale_min"), min_value=-LARGE, max_value=LARGE)
    scale_max = FiniteFloatField(default=_default("scale_max"), min_value=-LARGE, max_value=LARGE)
    # Bounded away from 0: a step of 1e-320 makes the number of scale points infinite.
    scale_step = FiniteFloatField(
        default=_default("scale_step"), min_value=SMALLEST, max_value=LARGE
    )
    scale_anchors = serializers.DictField(
        child=serializers.CharField(max_length=200),
        default=_default("scale_anchors"),
        help_text='Labels by score, e.g. {"1": "Very poor", "10": "Excellent"}.',
    )
    criteria = CriterionSerializer(
        many=True, default=_default("criteria"), allow_empty=False, max_length=20
    )
    ratings_per_sample = serializers.IntegerField(
        default=_default("ratings_per_sample"), min_value=1, max_value=100_000
    )
    samples_per_rater = serializers.IntegerField(
        default=_default("samples_per_rater"), min_value=1, max_value=100_000
    )
    lease_minutes = serializers.IntegerField(
        default=_default("lease_minutes"), min_value=1, max_value=7 * 24 * 60
    )
    attention_check_rate = FiniteFloatField(
        default=_default("attention_check_rate"), min_value=0, max_value=0.5
    )
    attention_fail_limit = serializers.IntegerField(
        default=_default("attention_fail_limit"), min_value=0, max_value=100_000
    )
    ask_source_guess = serializers.BooleanField(default=_default("ask_source_guess"))
    guess_labels = serializers.DictField(
        child=serializers.CharField(max_length=200), default=_default("guess_labels")
    )
    rater_language = serializers.ChoiceField(
        choices=rater_languages(),
        default=_default("rater_language"),
        help_text="The language of the platform's own words on the rater pages (en, de, es, "
        "fr); the study's texts are shown as written. Frozen when the study opens.",
    )
    protocol = serializers.ChoiceField(
        choices=Study.Protocol.choices,
        default=_default("protocol"),
        help_text="rating: a score per sample; pairwise: raters choose the better of two "
        "samples answering the same brief. Frozen when the study opens.",
    )
    allow_ties = serializers.BooleanField(
        default=_default("allow_ties"), help_text='Pairwise: raters may answer "about the same".'
    )
    ask_strength = serializers.BooleanField(
        default=_default("ask_strength"),
        help_text="Pairwise: raters also say how much better (slightly, clearly, much).",
    )
    allow_same_group_pairs = serializers.BooleanField(
        default=_default("allow_same_group_pairs"),
        help_text="Pairwise: pairs may show two samples of the same group.",
    )
    alpha = FiniteFloatField(default=_default("alpha"), min_value=SMALLEST, max_value=0.5)
    equivalence_margin = FiniteFloatField(
        default=None,
        allow_null=True,
        min_value=SMALLEST,
        max_value=LARGE,
        help_text="TOST margin; null means 0.5 points per 10-point range.",
    )
    completion_code = serializers.CharField(max_length=64, default="", allow_blank=True)
    screenout_code = serializers.CharField(max_length=64, default="", allow_blank=True)
    redirect_url = serializers.URLField(
        max_length=200,
        default="",
        allow_blank=True,
        help_text="Sent to after the done page; {code} is replaced by the code.",
    )
    partial_code = serializers.CharField(
        max_length=64,
        default="",
        allow_blank=True,
        help_text="For a participant stopped early because the study filled up.",
    )
    min_items_for_code = serializers.IntegerField(
        default=_default("min_items_for_code"),
        min_value=0,
        max_value=100_000,
        help_text="Rated items that earn the completion code; 0 means all.",
    )
    min_median_seconds = FiniteFloatField(
        default=_default("min_median_seconds"),
        min_value=0,
        max_value=LARGE,
        help_text="Median seconds per item below which a participant is a speeder; 0: off.",
    )
    screen_out_speeders = serializers.BooleanField(default=_default("screen_out_speeders"))
    starts_per_address_hour = serializers.IntegerField(
        default=_default("starts_per_address_hour"),
        min_value=0,
        max_value=100_000,
        help_text="New participants per client address per hour; 0: no limit.",
    )
    leases_per_address = serializers.IntegerField(
        default=_default("leases_per_address"),
        min_value=0,
        max_value=100_000,
        help_text="Unrated items held at once from one client address; 0: no limit.",
    )
    first_lease_minutes = serializers.IntegerField(
        default=_default("first_lease_minutes"), min_value=1, max_value=7 * 24 * 60
    )
    starts_refused = serializers.IntegerField(
        read_only=True, help_text="Starts refused by the per-address limit."
    )
    samples_count = serializers.IntegerField(read_only=True)
    frozen_sha256 = serializers.CharField(
        read_only=True, help_text="SHA-256 of the pre-registration, once open."
    )
    plan = PlanField(
        read_only=True,
        help_text="The power plan last computed (POST plan/); once open, the one frozen "
        "into the pre-registration.",
    )
    created_at = serializers.DateTimeField(read_only=True)
    opened_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, study):
        data = super().to_representation(study)
        data["samples_count"] = getattr(study, "samples_count", None)
        return data


class StudyUpdateSerializer(StudySerializer):
    """Groups and claims are set when a study is created; here they are only read back."""

    groups = GroupSerializer(many=True, read_only=True)
    claims = ClaimSerializer(many=True, read_only=True)


class SampleInputSerializer(serializers.Serializer):
    """One sample to add: the importer's columns (see README, Importing samples)."""

    group = serializers.CharField(help_text="A group key of the study.")
    text = serializers.CharField(
        required=False, help_text="The sample's text (JSON), or leave out and upload a file."
    )
    brief = serializers.CharField(
        required=False, allow_null=True, help_text="Brief key; unknown keys create briefs."
    )
    kind = serializers.ChoiceField(
        choices=Sample.Kind.choices,
        required=False,
        help_text="Read from the content when left out.",
    )
    id = serializers.CharField(
        required=False, max_length=200, help_text="Your own id, unique in the study."
    )
    attention = serializers.BooleanField(required=False, help_text="An attention check.")
    expected = serializers.CharField(
        required=False,
        help_text='An attention check\'s expected score range, e.g. "1-3" (or [1, 3]).',
    )
    meta = serializers.DictField(
        required=False, help_text="Anything to keep (author, model, prompt); never shown to raters."
    )


class SampleUploadSerializer(SampleInputSerializer):
    """One sample with its media file, as multipart/form-data."""

    text = None
    file = serializers.FileField(help_text="An image (PNG, JPEG, GIF, WebP) or audio file.")
    meta = serializers.CharField(required=False, help_text="A JSON object, as text.")


class ImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    by_group = serializers.DictField(child=serializers.IntegerField())
    briefs_created = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text='Texts that may give their source away, e.g. "[0]: mentions a model name".',
    )


class SampleSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="Opaque; the ratings CSV's sample.")
    id = serializers.CharField(source="external_id", read_only=True)
    group = serializers.CharField(source="group.key", read_only=True)
    brief = serializers.CharField(source="brief.key", read_only=True, allow_null=True)
    kind = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True)
    media_type = serializers.CharField(read_only=True)
    content_sha256 = serializers.CharField(read_only=True)
    attention = serializers.BooleanField(source="is_attention_check", read_only=True)
    expected = serializers.SerializerMethodField()
    meta = serializers.JSONField(source="metadata", read_only=True)
    source_warnings = serializers.ListField(child=serializers.CharField(), read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(
        serializers.ListField(child=FiniteFloatField(), min_length=2, max_length=2, allow_null=True)
    )
    def get_expected(self, sample) -> list[float] | None:
        if not sample.is_attention_check:
            return None
        return [sample.expected_min, sample.expected_max]


class RatingRowSerializer(serializers.Serializer):
    """One rating, with the columns of the ratings CSV."""

    rating = serializers.IntegerField()
    study = serializers.CharField()
    participant = serializers.CharField(help_text="A pseudonym, never an external id.")
    sample = serializers.CharField(help_text="The sample's token.")
    brief = serializers.CharField(allow_null=True)
    group = serializers.CharField()
    criterion = serializers.CharField()
    score = serializers.FloatField()
    guess = serializers.CharField(allow_null=True)
    seconds = serializers.FloatField()
    created_at = serializers.DateTimeField()
    attention_expected_min = serializers.FloatField(
        required=False, allow_null=True, help_text="With include_attention_checks only."
    )
    attention_expected_max = serializers.FloatField(
        required=False, allow_null=True, help_text="With include_attention_checks only."
    )


class ComparisonRowSerializer(serializers.Serializer):
    """One comparison of a pairwise study, with the columns of the comparisons CSV."""

    comparison = serializers.IntegerField()
    study = serializers.CharField()
    participant = serializers.CharField(help_text="A pseudonym, never an external id.")
    brief = serializers.CharField(allow_null=True)
    sample_a = serializers.CharField(help_text="The token of the sample shown as A.")
    sample_b = serializers.CharField(help_text="The token of the sample shown as B.")
    group_a = serializers.CharField()
    group_b = serializers.CharField()
    criterion = serializers.CharField()
    choice = serializers.ChoiceField(choices=["a", "b", "tie"])
    strength = serializers.ChoiceField(
        choices=["slightly", "clearly", "much"],
        allow_null=True,
        help_text="Null when the study does not ask for it (and for a tie).",
    )
    seconds = serializers.FloatField()
    created_at = serializers.DateTimeField()
    attention_expected = serializers.ChoiceField(
        choices=["a", "b"],
        required=False,
        allow_null=True,
        help_text="With include_attention_checks only: an attention pair's expected choice.",
    )


ExportRowSerializer = PolymorphicProxySerializer(
    component_name="ExportRow",
    serializers=[RatingRowSerializer, ComparisonRowSerializer],
    resource_type_field_name=None,
    many=True,
)


class AnalysisStartSerializer(serializers.Serializer):
    """Parameters of a run; each defaults to the study's analysis plan."""

    alpha = FiniteFloatField(required=False, allow_null=True, min_value=SMALLEST, max_value=0.5)
    margin = FiniteFloatField(
        required=False,
        allow_null=True,
        min_value=SMALLEST,
        max_value=LARGE,
        help_text="TOST margin.",
    )
    seed = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**32 - 1
    )
    criterion = serializers.CharField(required=False, allow_null=True, max_length=40)
    model_method = serializers.ChoiceField(
        choices=list(MODEL_METHODS), required=False, allow_null=True
    )


class PlotSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The PNG, with the same token.")


@extend_schema_field(ResultsDocumentSerializer(allow_null=True))
class ResultsField(serializers.JSONField):
    pass


class _JobSerializer(serializers.Serializer):
    """What a worker's job (an analysis run, a plan job) says while it runs and after."""

    id = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()
    study = serializers.CharField(source="study.slug", read_only=True)
    status = serializers.ChoiceField(choices=JobStatus.choices, read_only=True)
    stage = serializers.CharField(read_only=True)
    percent = serializers.IntegerField(read_only=True, min_value=0, max_value=100)
    parameters = serializers.JSONField(read_only=True)
    error = serializers.CharField(read_only=True)
    requested_by = serializers.CharField(
        source="requested_by.get_username", read_only=True, allow_null=True
    )
    created_at = serializers.DateTimeField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)


class AnalysisRunSerializer(_JobSerializer):
    """A run without its results document (lists)."""

    def get_url(self, run) -> str:
        return _absolute(self, reverse("api:analysis-detail", args=[run.pk]))


class PlanJobSerializer(_JobSerializer):
    """A Monte Carlo plan computed by a worker: status, stage and percent while it runs;
    the plan document once it succeeded; the error if it failed. `parameters`: the
    planner's inputs, with the variances as resolved when it was asked for."""

    plan = PlanField(read_only=True, help_text="The plan document, once it succeeded.")

    def get_url(self, job) -> str:
        return _absolute(self, reverse("api:plan-detail", args=[job.pk]))


class AnalysisRunDetailSerializer(AnalysisRunSerializer):
    """A run with its results document and plots (once it succeeded)."""

    results = ResultsField(read_only=True)
    plots = serializers.SerializerMethodField()
    input_counts = serializers.JSONField(read_only=True)
    input_sha256 = serializers.CharField(read_only=True)
    engine_version = serializers.CharField(read_only=True)

    @extend_schema_field(PlotSerializer(many=True))
    def get_plots(self, run):
        return [
            {
                "key": plot["key"],
                "title": plot["title"],
                "url": _absolute(self, reverse("api:analysis-plot", args=[run.pk, plot["key"]])),
            }
            for plot in run.plots
        ]


class ExportOptionsSerializer(serializers.Serializer):
    include_attention_checks = serializers.BooleanField(default=False)
