"""Linear mixed model with crossed random intercepts for participant and sample, at scale.

    score_i = beta[group(i)] + u[participant(i)] + v[sample(i)] + e_i,
    u ~ N(0, s2_p), v ~ N(0, s2_s), e ~ N(0, s2_e), one fixed mean per group, no intercept.

Two fits, chosen by `fit_crossed(method="auto")` from the size of the design:

- "reml": exact REML, as lme4's `lmer(score ~ 0 + group + (1|participant) + (1|sample))`.
  The criterion is profiled over the relative standard deviations t = sqrt(s2_k / s2_e)
  (lme4's theta, bounded below by 0) and minimised with L-BFGS-B. Each evaluation works on
  lme4's scaled system C = Lambda Z'Z Lambda + I: the larger random-effect block of C is
  diagonal, so it is eliminated and only the Schur complement onto the smaller block is
  dense, min(n_participants, n_samples) squared, and factored by Cholesky.
- "moments": past a dense side of 2,000, 10 million assembly triples or 500,000 ratings
  (the REML_AUTO_* constants, from bench/analysis_mixed.py). Variance components come from
  within-group U-statistics (Gao & Owen 2017, "Efficient moment calculations for variance
  components in large unbalanced crossed random effects models", restricted to pairs of
  ratings in one group so that the group means cancel exactly), in O(N). The group means
  and their covariance then come from the GLS at those components: Henderson's mixed model
  equations solved by Jacobi-preconditioned conjugate gradients, O(N) per iteration, with
  one extra right-hand side per group for the beta block of the inverse.

Degrees of freedom for CIs (`CrossedFit.df`): n_samples - n_groups, the replication of
samples within groups that drives the uncertainty of a group mean, capped at
n_participants - 1 while the participant variance is positive. A Satterthwaite combination
of the components is never below the smallest of their degrees of freedom, so this errs on
the wide side (most for differences between groups, from which participant effects largely
cancel). With fewer than one degree of freedom, df is None and CIs use the normal.

Nothing here raises on degenerate data: components that the design cannot identify are
left out of the model and reported as NaN, everything that cannot be computed is NaN, and
`notes` says why.

This package holds:

- `__init__` (here): the public entry point `fit_crossed`, which chooses between the two
  fits with the thresholds below, and `mean_ci`; every name is importable from here.
- `design`: the checked, recoded design shared by both fits (`_Design`).
- `reml`: the exact REML fit (`_RemlCriterion`, `_fit_reml`).
- `moments`: the method-of-moments fit and its conjugate-gradient GLS (`_fit_moments`).
- `results`: the result type `CrossedFit` and how the fits assemble it.
"""

import numpy as np
from scipy import stats

from analysis.stats.mixed.design import ERROR_CODES as ERROR_CODES
from analysis.stats.mixed.design import ERROR_GROUP_CODES as ERROR_GROUP_CODES
from analysis.stats.mixed.design import ERROR_LENGTHS as ERROR_LENGTHS
from analysis.stats.mixed.design import _dense_side, _design, _group_means, _schur_pairs
from analysis.stats.mixed.design import identified_effects as identified_effects
from analysis.stats.mixed.moments import CG_MAX_ITERATIONS as CG_MAX_ITERATIONS
from analysis.stats.mixed.moments import CG_TOLERANCE as CG_TOLERANCE
from analysis.stats.mixed.moments import _fit_moments, _moment_components
from analysis.stats.mixed.reml import _fit_reml
from analysis.stats.mixed.results import NAN, CrossedFit, _constant_fit, _empty_fit, _finish
from analysis.stats.mixed.results import ci_degrees_of_freedom as ci_degrees_of_freedom

METHODS = ("auto", "reml", "moments")
# "auto" fits exact REML while the dense Schur complement stays small and cheap to assemble.
# Measured with bench/analysis_mixed.py on a 2-core machine, single-threaded BLAS: a fit
# takes ~10-12 evaluations of the criterion and its gradient, 0.1 s of CPU at a side of 200
# (20k ratings), 1.2 s at 1,000 (100k), 6 s at 2,000 (200k), growing with the cube of the
# side; the moments fit takes < 0.5 s there and 3.3 s at 1M ratings. Multi-threaded OpenBLAS
# on a busy machine can be ten times slower on these small matrices: workers should run with
# OPENBLAS_NUM_THREADS=1.
REML_AUTO_MAX_DENSE = 2000
REML_AUTO_MAX_PAIRS = 10_000_000  # triples (i, i', j) held to assemble it: 16 bytes each
REML_AUTO_MAX_RATINGS = 500_000
# Beyond this side, method="reml" is refused: its four dense side x side arrays would need
# over 1 GB and each evaluation tens of seconds.
REML_MAX_DENSE = 6_000

ERROR_METHOD = "method must be one of 'auto', 'reml', 'moments'"
ERROR_REML_TOO_LARGE = (
    "exact REML needs a dense {n}x{n} matrix here (limit {limit}); use method='auto' or 'moments'"
)


def fit_crossed(
    score, group, participant, sample, *, n_groups: int, method: str = "auto"
) -> CrossedFit:
    """Fit the crossed random-intercept model; see the module docstring.

    score: float array (N,); group, participant, sample: integer codes (N,), group codes in
    0..n_groups-1 (groups without ratings get NaN). method: "auto" (REML when fast,
    otherwise moments), "reml" or "moments". Returns a `CrossedFit`.
    """
    if method not in METHODS:
        raise ValueError(ERROR_METHOD)
    notes: list[str] = []
    design, present = _design(score, group, participant, sample, n_groups, notes)
    if design is None:
        return _empty_fit(n_groups, "moments" if method == "moments" else "reml", notes)

    if design.n <= design.n_fixed:
        notes.append(
            "as many groups as ratings: no variance can be estimated, so the means are the "
            "group averages with no covariance"
        )
        return _finish(
            "moments" if method == "moments" else "reml",
            design,
            present,
            n_groups,
            _group_means(design) + design.centre,
            np.full((design.n_fixed, design.n_fixed), NAN),
            (NAN, NAN, NAN),
            converged=False,
            criterion=None,
            notes=notes,
        )

    residual = design.y - _group_means(design)[design.group]
    scale = max(float(np.max(np.abs(design.y))), 1.0)
    if float(np.max(np.abs(residual))) <= 1e-12 * scale:
        return _constant_fit(design, present, n_groups, method, notes)
    dense = _dense_side(design)
    if method == "auto":
        pairs = _schur_pairs(design)
        fast = (
            dense <= REML_AUTO_MAX_DENSE
            and pairs <= REML_AUTO_MAX_PAIRS
            and design.n <= REML_AUTO_MAX_RATINGS
        )
        method = "reml" if fast else "moments"
        if not fast:
            notes.append(
                f"method of moments: exact REML would factor a dense {dense}x{dense} matrix "
                f"per evaluation at {design.n} ratings (auto limit {REML_AUTO_MAX_DENSE})"
            )
    if method == "reml" and dense > REML_MAX_DENSE:
        raise ValueError(ERROR_REML_TOO_LARGE.format(n=dense, limit=REML_MAX_DENSE))

    if method == "moments":
        components = _moment_components(design, notes)
        return _fit_moments(design, present, n_groups, components, notes)
    # The moment estimates only start the optimiser here, so their notes are not kept.
    components = _moment_components(design, [])
    return _fit_reml(design, present, n_groups, components, notes)


def mean_ci(
    fit: CrossedFit, contrast: np.ndarray, *, level: float
) -> tuple[float, float, float, float]:
    """Estimate, SE, lower and upper bound of `contrast @ fit.means` at confidence `level`.

    Uses Student's t with `fit.df` degrees of freedom, or the normal when `fit.df` is None.
    Groups with weight zero are left out, so a group without ratings spoils no other CI.
    """
    contrast = np.asarray(contrast, dtype=float)
    used = contrast != 0  # a group left out of the contrast may have no ratings (NaN)
    weights = contrast[used]
    estimate = float(weights @ fit.means[used])
    variance = float(weights @ fit.cov[np.ix_(used, used)] @ weights)
    se = float(np.sqrt(variance)) if variance >= 0 else NAN
    upper_tail = 0.5 + level / 2
    quantile = stats.norm.ppf(upper_tail) if fit.df is None else stats.t.ppf(upper_tail, fit.df)
    return estimate, se, estimate - quantile * se, estimate + quantile * se
