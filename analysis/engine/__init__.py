"""The analysis engine: a results document (DESIGN §4, §5) from arrays of ratings.

`analyze(frame, claims=..., ...)` is pure: no Django, no clock, no I/O; the same data,
parameters and seed give the identical document. Rules it follows:

- Attention-check rows (a finite `attention_low` or `attention_high`) count only for rater
  quality; rows with a missing score are left out (and counted in `notes`).
- Omnibus and pairwise tests, group CIs and bootstrap CIs treat the sample as the unit:
  they run on per-sample mean scores. Group `mean`, `sd`, quartiles and histogram describe
  the ratings themselves; `ci95` is the t interval of the mean of the per-sample means
  (`mean_of_sample_means`), since ratings of one sample are not independent.
- Claim estimates, CIs and verdicts come from the crossed random-intercept model
  (`analysis.stats.mixed`), judged by `analysis.stats.claims` (TOST within ± margin, else
  the 1 - alpha CI against the claim). `claims[].p` tests "true value = claimed".
- Flagged participants (attention, speed, straight-lining; `analysis.stats.raters`) are
  excluded only in `with_exclusions`, which repeats groups, model and claims without them.

Null-with-reason convention: every object holding statistics carries a `reasons` dict;
each of its keys whose value is null (or a list containing null, such as a CI) appears in
`reasons` with a human-readable string saying why. NaN and infinities never reach the
document: they become null with a reason. Top-level `notes` lists study-wide remarks.

ICC: `reliability.icc` is ICC(A,1) (McGraw & Wong 1996). When every participant rated every
sample once it is the classic two-way ANOVA estimate (`icc_method`
"two_way_anova_complete"); otherwise it comes from the crossed model's variance
components, (s2_sample + s2_groups) / (s2_sample + s2_groups + s2_participant +
s2_residual), where s2_groups is the variance of the fitted group means over samples, so
that both estimate the same quantity (the spread of samples' true scores, group
differences included). `icc_within_group` leaves s2_groups out: agreement about samples
beyond their group.

In modules: `document` (`analyze`, which assembles the document), `inputs` (the frame,
claims and their integer coding), `parameters`, `reasons` (the null-with-reason
convention), and one module per section: `groups`, `comparisons` (omnibus and pairwise),
`model`, `claims`, `agreement` (reliability), `rater_quality` (with z-scores),
`exclusions`, `guess_detection` and `pairwise` (the `pairwise_preference` section of a
pairwise study, whose document is `analyze_pairwise`). This package re-exports what other
code imports.
"""

from analysis.engine.claims import claim_verdicts
from analysis.engine.document import analyze, analyze_pairwise
from analysis.engine.groups import NO_RATINGS
from analysis.engine.inputs import ERROR_FRAME, ClaimSpec, RatingsFrame
from analysis.engine.model import NO_MODEL
from analysis.engine.pairwise import ComparisonsFrame
from analysis.engine.parameters import CI_LEVEL, ENGINE_VERSION, N_BOOTSTRAP, QUALITY

__all__ = [
    "CI_LEVEL",
    "ENGINE_VERSION",
    "ERROR_FRAME",
    "NO_MODEL",
    "NO_RATINGS",
    "N_BOOTSTRAP",
    "QUALITY",
    "ClaimSpec",
    "ComparisonsFrame",
    "RatingsFrame",
    "analyze",
    "analyze_pairwise",
    "claim_verdicts",
]
