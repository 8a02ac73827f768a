"""The analytic approximation: each claim's verdict probabilities from the variance of its
estimate in the design, without simulating a study.

The estimate of a contrast c of group means (a mean: one group; a difference: a - b) is
normal around its true value with variance

    V = sum_g c_g^2 (s2_sample / S + s2_residual / (S K))  +  s2_participant * P,

S samples per group and K ratings per sample; P is the participant part: with R raters each
rating samples_per_rater / groups samples of every group, a group mean carries the average
leniency of all R raters (P = 1 / R) and a difference none (it cancels within raters); a
remainder of samples_per_rater over the groups leaves each rater a little unbalanced,
which adds its expected imbalance. This is Westfall, Kenny & Judd (2014)'s variance of a
condition difference in a design where stimuli are nested in conditions and participants
cross them: the sample term does not shrink with more raters, so power is capped by the
number of samples.

The analysis's standard error is estimated: its sample-level part from the spread of
sample means within groups, groups * (S - 1) degrees of freedom, its participant part from
the raters, R - 1. Its square is taken as V chi2(nu) / nu with nu the Satterthwaite
combination of the two (Satterthwaite 1946), independent of the estimate, while the
verdict's quantiles use the degrees of freedom the engine gives (`engine_df`: the fit's
own rule, `analysis.stats.mixed.ci_degrees_of_freedom`, on the design's counts). The
verdict's rule is the engine's, `analysis.stats.claims.verdict_regions`: the
probabilities (`VerdictRegions.probabilities`) integrate the normal estimate over its
regions and over the distribution of the standard error (Gauss-Hermite quadrature on the
normal scores of chi2(nu)). With no participant or sample variance and one rating per
sample this is exactly the power of the one- and two-sample t-tests and of TOST.
"""

from dataclasses import dataclass

import numpy as np
from scipy import special

from analysis.planning.design import Design, Variance
from analysis.stats.claims import CONTRADICTED, SUPPORTED, verdict_regions
from analysis.stats.mixed import ci_degrees_of_freedom, identified_effects

QUADRATURE_NODES = 96
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
_UPPER_TAILS = special.ndtr(-_NODES)  # chi2(nu) at these upper tails: its normal scores
# Past this many degrees of freedom the standard error is taken as known.
NU_KNOWN = 1e7


@dataclass(frozen=True)
class ContrastVariance:
    variance: float  # V, of the estimate
    sample_part: float
    participant_part: float
    nu: float  # Satterthwaite degrees of freedom of the estimated V
    engine_df: float | None  # the t reference of the engine's CIs (None: normal)

    @property
    def se(self) -> float:
        return float(np.sqrt(self.variance))


def engine_df(design: Design, variance: Variance) -> float | None:
    """The degrees of freedom the engine's fit gives a study of this design: the fit's own
    rules (`analysis.stats.mixed.identified_effects` and `ci_degrees_of_freedom`) applied to
    the design's counts, with the assumed participant variance standing for the fitted one."""
    groups = len(design.groups)
    samples = groups * design.samples_per_group
    use_participant, use_sample, _ = identified_effects(
        n_participants=design.raters,
        most_ratings_per_participant=design.samples_per_rater,
        most_samples_per_group=design.samples_per_group,
        most_ratings_per_sample=design.ratings_per_sample,
        own_samples_only=design.raters == samples and design.samples_per_rater == 1,
    )
    return ci_degrees_of_freedom(
        n_ratings=design.ratings,
        n_samples=samples,
        n_groups=groups,
        n_participants=design.raters,
        use_participant=use_participant,
        use_sample=use_sample,
        participant_variance=variance.participant,
    )


def contrast_variance(design: Design, variance: Variance, weights: np.ndarray) -> ContrastVariance:
    groups = len(design.groups)
    s, k = design.samples_per_group, design.ratings_per_sample
    raters = design.raters
    squares = float(weights @ weights)
    total = float(weights.sum())
    sample_part = squares * (variance.sample / s + variance.residual / (s * k))
    # Per-rater count of a group's samples: samples_per_rater / groups on average; the
    # remainder spreads over random groups (covariance of a random subset's indicators).
    remainder = design.samples_per_rater % groups
    share = remainder / groups
    spread = share * (1 - share) * (groups * squares - total * total) / max(groups - 1, 1)
    per_rater = design.samples_per_rater / groups
    ratings_per_group = s * k
    weighted = raters * ((per_rater * total) ** 2 + spread) / ratings_per_group**2
    participant_part = variance.participant * weighted
    v = sample_part + participant_part
    pieces = [(sample_part, groups * (s - 1)), (participant_part, raters - 1)]
    denominator = sum(part * part / df for part, df in pieces if part > 0 and df > 0)
    nu = v * v / denominator if denominator > 0 else np.inf
    return ContrastVariance(v, sample_part, participant_part, nu, engine_df(design, variance))


def verdict_probabilities(
    assumed: float,
    claimed: float,
    cv: ContrastVariance,
    *,
    alpha: float,
    margin: float,
) -> dict:
    """P(supported), P(contradicted), P(inconclusive) of a claim whose true value is
    `assumed`, and the expected half-width of its 95% CI."""
    sd = cv.se
    if not np.isfinite(cv.nu) or cv.nu > NU_KNOWN:
        se, weights = np.array([sd]), np.array([1.0])
    else:
        se = sd * np.sqrt(special.chdtri(cv.nu, _UPPER_TAILS) / cv.nu)
        weights = _WEIGHTS
    regions = verdict_regions(se, claimed, df=cv.engine_df, alpha=alpha, margin=margin)
    chances = regions.probabilities(lambda x: special.ndtr((x - assumed) / sd))
    p_supported = float(chances[SUPPORTED] @ weights)
    p_contradicted = float(chances[CONTRADICTED] @ weights)
    quantile = (
        special.ndtri(0.975) if cv.engine_df is None else special.stdtrit(cv.engine_df, 0.975)
    )
    half = float(quantile) * float(se @ weights)
    p_supported = min(max(p_supported, 0.0), 1.0)
    p_contradicted = min(max(p_contradicted, 0.0), 1.0 - p_supported)
    return {
        "p_supported": p_supported,
        "p_contradicted": p_contradicted,
        "p_inconclusive": max(0.0, 1.0 - p_supported - p_contradicted),
        "ci95_halfwidth": half,
        "se": sd,
        "df": cv.engine_df,
        "df_satterthwaite": float(cv.nu) if np.isfinite(cv.nu) else None,
    }
