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


PAIRWISE_NULL = " Null in a pairwise study (with its reason in `reasons`)."


class ResultParametersSerializer(serializers.Serializer):
    alpha = serializers.FloatField()
    equivalence_margin = serializers.FloatField(required=False, help_text="Rating studies.")
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


class AccuracyIntervalSerializer(serializers.Serializer):
    se = number("Standard error from the two-way (rater and sample) cluster-robust variance.")
    df = number("t degrees of freedom: min(raters, samples) - 1.")
    ci95 = interval("95% CI of the accuracy (t interval, clipped to [0, 1]).")
    reasons = reasons()


class GroupAccuracySerializer(EstimateSerializer):
    n = serializers.IntegerField(help_text="Guesses of the group's samples.")


class SignalDetectionSerializer(serializers.Serializer):
    signal = serializers.ListField(
        child=serializers.CharField(), help_text="Groups whose samples count as 'AI involved'."
    )
    noise = serializers.ListField(child=serializers.CharField(), help_text="Human-only groups.")
    correction = serializers.CharField(help_text="How hit and false-alarm rates are corrected.")
    n = serializers.IntegerField(
        help_text="Guesses used: true group and guess both signal or noise."
    )
    hits = serializers.IntegerField(required=False)
    signal_trials = serializers.IntegerField(required=False)
    false_alarms = serializers.IntegerField(required=False)
    noise_trials = serializers.IntegerField(required=False)
    hit_rate = number("Log-linear hit rate.", required=False)
    false_alarm_rate = number("Log-linear false-alarm rate.", required=False)
    d_prime = EstimateSerializer(
        allow_null=True,
        help_text="Pooled d' = z(H) - z(F), CI from the same crossed variance (delta method).",
    )
    c = EstimateSerializer(
        allow_null=True, help_text="Pooled criterion -(z(H) + z(F))/2; negative leans to 'AI'."
    )
    reasons = reasons()


class RaterDetectionSerializer(serializers.Serializer):
    participant = serializers.CharField()
    n = serializers.IntegerField(help_text="The rater's guesses.")
    correct = serializers.IntegerField()
    accuracy = number()
    hits = serializers.IntegerField()
    signal_trials = serializers.IntegerField()
    false_alarms = serializers.IntegerField()
    noise_trials = serializers.IntegerField()
    d_prime = number("Null when the rater guessed no sample of one side.")
    c = number()
    reasons = reasons()


class DetectionSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Guesses.")
    correct = serializers.IntegerField()
    accuracy = number()
    n_participants = serializers.IntegerField(help_text="Raters who guessed.")
    n_samples = serializers.IntegerField(help_text="Samples guessed.")
    method = serializers.CharField(
        help_text="two_way_cluster_robust: the CIs and p count raters and samples as sources "
        "of variation (a two-way cluster-robust variance, Cameron, Gelbach & Miller 2011)."
    )
    test = serializers.CharField(help_text="The test, in words.")
    accuracy_ci95 = AccuracyIntervalSerializer()
    chance_uniform = ChanceSerializer(help_text="Against 1/k for k groups.")
    chance_majority = ChanceSerializer(help_text="Against always naming the most frequent group.")
    confusion = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="{true group: {guess: count}}.",
    )
    per_group_accuracy = serializers.DictField(
        help_text="{group: accuracy} (and `reasons`); `per_group` has their CIs."
    )
    per_group = serializers.DictField(
        child=GroupAccuracySerializer(), help_text="Accuracy by true group, with its 95% CI."
    )
    signal_detection = SignalDetectionSerializer(help_text="AI involved or not: d' and c.")
    per_participant = RaterDetectionSerializer(
        many=True, help_text="Accuracy, d' and c of each rater."
    )


class WinRateSerializer(serializers.Serializer):
    groups = serializers.ListField(
        child=serializers.CharField(), help_text="[a, b]: the rate is a's over b."
    )
    wins = serializers.IntegerField(help_text="Comparisons of a with b in which a was chosen.")
    losses = serializers.IntegerField()
    ties = serializers.IntegerField()
    rate = number("(wins + ties / 2) / comparisons: ties count half.")
    ci95 = interval(
        "95% CI from the crossed (rater and sample) cluster-robust variance; "
        "`ci95_bootstrap` beside it resamples raters and samples (seeded, conservative)."
    )
    p_binomial = number(
        "Naive: two-sided exact binomial test of wins against losses (ties left out) that "
        "treats comparisons as independent; for comparison only."
    )
    reasons = reasons()


class BradleyTerrySerializer(serializers.Serializer):
    reference = serializers.CharField(
        allow_null=True, help_text="The group whose ability is fixed at 0."
    )
    abilities = serializers.DictField(
        child=EstimateSerializer(),
        help_text="By group key, log-odds scale; SEs from the observed information.",
    )
    position_effect = EstimateSerializer(help_text="Log-odds added for the sample shown first (A).")
    p_first_position = number(
        "logistic(position effect): P(choosing A) between samples of equal ability."
    )
    reasons = reasons()


class OrderingClaimSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["ordering"])
    groups = serializers.ListField(child=serializers.CharField(), help_text="[preferred, other].")
    verdict = serializers.ChoiceField(
        choices=["supported", "contradicted", "inconclusive"],
        allow_null=True,
        help_text="supported: CI of the win probability above 0.5; contradicted: below.",
    )
    probability = number("Win rate of the preferred group over the other (ties half).")
    ci95 = interval()
    reasons = reasons()


class PairAgreementSerializer(serializers.Serializer):
    pairs_with_two_raters = serializers.IntegerField()
    rate = number("Share of rater pairs of one sample pair making the same choice.")
    chance = number("What raters choosing at random (with the observed tie share) reach.")
    reasons = reasons()


class PairwisePreferenceSerializer(serializers.Serializer):
    n_comparisons = serializers.IntegerField()
    n_participants = serializers.IntegerField()
    ties_allowed = serializers.BooleanField()
    win_rates = WinRateSerializer(many=True, help_text="Every pair of different groups.")
    bradley_terry = BradleyTerrySerializer()
    claims = OrderingClaimSerializer(
        many=True,
        help_text="Orderings the claims imply; pairwise data cannot check absolute numbers.",
    )
    agreement = PairAgreementSerializer()


class SimilaritySerializer(serializers.Serializer):
    mean = number("Mean pairwise cosine similarity within briefs, pooled over briefs.")
    ci95 = interval("95% percentile CI from resampling samples within briefs.")
    reasons = reasons()


class DiversityGroupSerializer(serializers.Serializer):
    n_samples = serializers.IntegerField(help_text="Text samples of the group.")
    n_briefs = serializers.IntegerField(help_text="Briefs they answer.")
    semantic_similarity = SimilaritySerializer(
        allow_null=True, help_text="Cosine of sentence embeddings; null for non-text groups."
    )
    tfidf_similarity = SimilaritySerializer(
        allow_null=True, help_text="Cosine of TF-IDF vectors (scikit-learn defaults)."
    )
    distinct_1 = number("Distinct words over all words, within briefs (Li et al. 2016).")
    distinct_2 = number("Distinct word bigrams over all bigrams, within briefs.")
    distinct_3 = number("Distinct word trigrams over all trigrams, within briefs.")
    compression_ratio = number(
        "Size of the texts over their gzip size, within briefs (Shaib et al. 2024); higher "
        "is more repetitive."
    )
    reasons = reasons()


class BetweenGroupsSerializer(serializers.Serializer):
    groups = serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2)
    semantic_similarity = SimilaritySerializer(
        help_text="Mean cosine of a sample of each group written for the same brief."
    )


class DiversityDifferenceSerializer(serializers.Serializer):
    groups = serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2)
    measure = serializers.ChoiceField(choices=["semantic_similarity", "tfidf_similarity"])
    difference = number(
        "Similarity of a minus that of b, within briefs both answer with two samples or more "
        "(weighted by the two groups' samples in the brief)."
    )
    ci95 = interval()
    p = number("Two-sided permutation p (group labels shuffled within briefs).")
    p_holm = number("p adjusted by Holm across the pairs of the same measure.")
    reasons = reasons()


class DiversitySerializer(serializers.Serializer):
    model = serializers.CharField(
        allow_null=True, help_text="The sentence-embedding model and its package version."
    )
    groups = serializers.DictField(child=DiversityGroupSerializer(), help_text="By group key.")
    between_groups = BetweenGroupsSerializer(many=True)
    differences = DiversityDifferenceSerializer(many=True)
    reasons = reasons()


class ResultsDocumentSerializer(serializers.Serializer):
    """The results document (DESIGN §5); extra keys are allowed, these are fixed."""

    n_ratings = serializers.IntegerField()
    n_participants = serializers.IntegerField()
    n_samples = serializers.IntegerField()
    parameters = ResultParametersSerializer()
    groups = serializers.DictField(
        child=GroupResultSerializer(), allow_null=True, help_text=f"By group key.{PAIRWISE_NULL}"
    )
    claims = ClaimResultSerializer(many=True, allow_null=True, help_text=PAIRWISE_NULL)
    omnibus = OmnibusSerializer(allow_null=True, help_text=PAIRWISE_NULL)
    pairwise = PairwiseSerializer(
        many=True,
        allow_null=True,
        help_text=f"Tests between pairs of groups of ratings.{PAIRWISE_NULL}",
    )
    model = MixedModelSerializer(allow_null=True, help_text=PAIRWISE_NULL)
    reliability = ReliabilitySerializer(allow_null=True, help_text=PAIRWISE_NULL)
    detection = DetectionSerializer(
        required=False, help_text="Present when raters guessed sources (DESIGN §4)."
    )
    protocol = serializers.ChoiceField(
        choices=["pairwise"], required=False, help_text="Present in a pairwise study's document."
    )
    pairwise_preference = PairwisePreferenceSerializer(
        required=False,
        help_text="A pairwise study's comparisons: win rates, Bradley-Terry abilities with "
        "a first-position effect, ordering verdicts and agreement.",
    )
    diversity = DiversitySerializer(
        required=False,
        help_text="How alike the samples of each group are (text samples; from the "
        "platform's analyses, and from analyze_csv given --samples).",
    )

    class Meta:
        ref_name = "ResultsDocument"
