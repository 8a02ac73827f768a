"""The results document of DESIGN §5 as an OpenAPI component (`ResultsDocument`).

These serializers only describe the document the analysis engine writes; nothing is
serialized through them. The fixed keys are listed; the engine adds more (`reasons` beside
every statistic that could not be computed, `input`, `rater_quality`, `zscores`,
`with_exclusions`, `notes`, ...), which the schema allows.
"""

from rest_framework import serializers


def number(help_text: str = "", **kwargs) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=help_text, **kwargs)


def interval(help_text: str = "95% CI [low, high]; [null, null] when it cannot be computed."):
    return serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        min_length=2,
        max_length=2,
        help_text=help_text,
    )


def reasons():
    return serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Why each null statistic beside it could not be computed.",
    )


class ResultParametersSerializer(serializers.Serializer):
    alpha = serializers.FloatField()
    equivalence_margin = serializers.FloatField()
    seed = serializers.IntegerField()


class GroupResultSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Ratings of the group.")
    mean = number()
    sd = number()
    median = number()
    q1 = number()
    q3 = number()
    ci95 = interval()
    histogram = serializers.DictField(
        child=serializers.IntegerField(), help_text="Ratings by score."
    )
    reasons = reasons()


class ClaimResultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["mean", "difference"])
    groups = serializers.ListField(
        child=serializers.CharField(), help_text="One group, or [a, b] for a - b."
    )
    claimed = serializers.FloatField()
    observed = number("The model's estimate.")
    ci95 = interval()
    p = number("Test of observed = claimed.")
    verdict = serializers.ChoiceField(
        choices=["supported", "contradicted", "inconclusive"],
        allow_null=True,
        help_text="supported: TOST shows the value within claimed ± margin; contradicted: "
        "the CI excludes the claimed value; inconclusive: neither. null with a reason when "
        "the data allow no estimate.",
    )
    reasons = reasons()


class TestFSerializer(serializers.Serializer):
    F = number()
    df_num = number()
    df_den = number()
    p = number()
    reasons = reasons()


class KruskalWallisSerializer(serializers.Serializer):
    H = number()
    df = number()
    p = number()
    reasons = reasons()


class OmnibusSerializer(serializers.Serializer):
    anova = TestFSerializer()
    welch_anova = TestFSerializer()
    kruskal_wallis = KruskalWallisSerializer()


class PairwiseSerializer(serializers.Serializer):
    groups = serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2)
    mean_difference = number("mean(a) - mean(b).")
    ci95 = interval()
    welch_t = number()
    df = number()
    p = number()
    p_holm = number()
    hedges_g = number()
    cliffs_delta = number()
    mann_whitney_u = number()
    p_mann_whitney = number()
    p_mann_whitney_holm = number()
    reasons = reasons()


class ModelMeanSerializer(serializers.Serializer):
    estimate = number()
    se = number()
    ci95 = interval()
    reasons = reasons()


class VarianceSerializer(serializers.Serializer):
    participant = number()
    sample = number()
    residual = number()
    reasons = reasons()


class MixedModelSerializer(serializers.Serializer):
    method = serializers.CharField(
        allow_null=True, help_text="reml, or moments for large studies; null without data."
    )
    means = serializers.DictField(child=ModelMeanSerializer())
    variance = VarianceSerializer()
    reasons = reasons()


class ReliabilitySerializer(serializers.Serializer):
    krippendorff_alpha_interval = number()
    krippendorff_alpha_ordinal = number()
    icc = number("ICC(A,1): two-way random, absolute agreement, single rater.")
    reasons = reasons()


class ChanceSerializer(serializers.Serializer):
    p0 = number("The chance level: 1/k, or the most frequent true group's share.")
    p = number(
        "One-sided p of accuracy > p0 from a t test with a two-way (rater and sample) "
        "cluster-robust variance."
    )
    ci95 = interval("95% CI of the accuracy, from the same variance.")
    better_than_chance = serializers.BooleanField(allow_null=True, help_text="p < alpha.")
    p_binomial_naive = number("Exact binomial test treating guesses as independent (naive).")
    ci95_binomial_naive = interval("Clopper-Pearson 95% CI treating guesses as independent.")
    reasons = reasons()


class EstimateSerializer(serializers.Serializer):
    estimate = number()
    se = number()
    ci95 = interval()
    reasons = reasons()


class SignalDetectionSerializer(serializers.Serializer):
    signal = serializers.ListField(child=serializers.CharField())
    noise = serializers.ListField(child=serializers.CharField())
    d_prime = EstimateSerializer(allow_null=True)
    c = EstimateSerializer(allow_null=True, help_text="Criterion; negative leans to 'AI'.")
    reasons = reasons()


class DetectionSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Guesses.")
    correct = serializers.IntegerField()
    accuracy = number()
    test = serializers.CharField()
    chance_uniform = ChanceSerializer()
    chance_majority = ChanceSerializer()
    confusion = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="{true group: {guess: count}}.",
    )
    per_group = serializers.DictField(child=EstimateSerializer(), help_text="Accuracy by group.")
    signal_detection = SignalDetectionSerializer(help_text="AI involved or not: d' and c.")
    per_participant = serializers.ListField(
        child=serializers.DictField(), help_text="Accuracy, d' and c of each rater."
    )


class ResultsDocumentSerializer(serializers.Serializer):
    """The results document (DESIGN §5); extra keys are allowed, these are fixed."""

    n_ratings = serializers.IntegerField()
    n_participants = serializers.IntegerField()
    n_samples = serializers.IntegerField()
    parameters = ResultParametersSerializer()
    groups = serializers.DictField(child=GroupResultSerializer(), help_text="By group key.")
    claims = ClaimResultSerializer(many=True)
    omnibus = OmnibusSerializer()
    pairwise = PairwiseSerializer(many=True)
    model = MixedModelSerializer()
    reliability = ReliabilitySerializer()
    detection = DetectionSerializer(
        required=False, help_text="Present when raters guessed sources (DESIGN §4)."
    )

    class Meta:
        ref_name = "ResultsDocument"
