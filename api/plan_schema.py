"""The plan document of DESIGN §7 (Planning) as an OpenAPI component (`PlanDocument`), and
the request of `POST /api/studies/<slug>/plan/`.

The document serializers only describe what `analysis.planning.plan` writes; the fixed keys
are listed and the planner adds more (`format`, `engine_version`, `grid`, `notes`, ...).
"""

from rest_framework import serializers

from api.fields import FiniteFloatField


def probability(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(min_value=0, max_value=1, help_text=help_text)


class PlanDesignSerializer(serializers.Serializer):
    groups = serializers.ListField(child=serializers.CharField())
    samples_per_group = serializers.IntegerField()
    ratings_per_sample = serializers.IntegerField()
    samples_per_rater = serializers.IntegerField(help_text="Regular samples (no checks).")
    raters = serializers.IntegerField(help_text="groups x samples x ratings / per rater.")


class PlanVarianceSerializer(serializers.Serializer):
    participant = serializers.FloatField()
    sample = serializers.FloatField()
    residual = serializers.FloatField()
    source = serializers.CharField(required=False, help_text="Where these numbers come from.")


class PlanParametersSerializer(serializers.Serializer):
    alpha = serializers.FloatField()
    equivalence_margin = serializers.FloatField()


class PlanClaimSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="mean or difference, as the study's claim.")
    groups = serializers.ListField(child=serializers.CharField())
    claimed = serializers.FloatField()
    assumed = serializers.FloatField(help_text="The true value assumed.")
    p_supported = probability("Chance of the verdict `supported`.")
    p_contradicted = probability("Chance of `contradicted`.")
    p_inconclusive = probability("Chance of `inconclusive`.")
    ci95_halfwidth = serializers.FloatField(
        allow_null=True, help_text="Expected half-width of the claim's 95% CI."
    )


class PlanRecommendationSerializer(serializers.Serializer):
    samples_per_group = serializers.IntegerField(allow_null=True)
    ratings_per_sample = serializers.IntegerField(allow_null=True)
    raters = serializers.IntegerField(allow_null=True)
    p_right_verdict = serializers.FloatField(
        allow_null=True,
        help_text="Smallest chance, over the claims, of `supported` when the claim is true "
        "and of `contradicted` when the truth is off by `off_by`.",
    )
    limited_by = serializers.ChoiceField(
        choices=["samples", "ratings", "search_bounds"],
        allow_null=True,
        help_text="What the planned design lacks: samples (no number of raters reaches "
        "the target), ratings, or nothing (null).",
    )
    sentence = serializers.CharField(help_text="The recommendation in one sentence.")


class PlanDocumentSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["analytic", "simulation"])
    design = PlanDesignSerializer()
    variance = PlanVarianceSerializer()
    parameters = PlanParametersSerializer()
    claims = PlanClaimSerializer(many=True)
    recommendation = PlanRecommendationSerializer()


class PlanVarianceInputSerializer(serializers.Serializer):
    participant = FiniteFloatField(min_value=0, max_value=1e6)
    sample = FiniteFloatField(min_value=0, max_value=1e6)
    residual = FiniteFloatField(min_value=1e-9, max_value=1e6)


class PlanRequestSerializer(serializers.Serializer):
    """What to assume; the design, claims, alpha and margin are the study's own."""

    variance = PlanVarianceInputSerializer(
        required=False,
        allow_null=True,
        help_text="Variance components; default: a pilot's, else the stated defaults.",
    )
    pilot = serializers.SlugField(
        required=False,
        allow_null=True,
        max_length=80,
        help_text="Take the variances of this study's latest finished analysis.",
    )
    truth = serializers.DictField(
        child=FiniteFloatField(min_value=-1e9, max_value=1e9),
        required=False,
        allow_null=True,
        help_text="Assumed true group means by key (default: as claimed).",
    )
    samples_per_group = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=2,
        max_value=100_000,
        help_text="Default: the smallest group's samples.",
    )
    ratings_per_sample = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=10_000,
        help_text="Default: the study's setting.",
    )
    method = serializers.ChoiceField(choices=["analytic", "simulation"], default="analytic")
    simulations = serializers.IntegerField(default=200, min_value=1, max_value=10_000)
    seed = serializers.IntegerField(default=0, min_value=0, max_value=2**32 - 1)
    integer = serializers.BooleanField(
        default=False, help_text="Scores rounded to the scale's steps and clipped to it."
    )
    target = FiniteFloatField(required=False, allow_null=True, min_value=0.01, max_value=0.99)
