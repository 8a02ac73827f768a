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
"""

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize, sparse, stats

NAN = float("nan")
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
CG_TOLERANCE = 1e-10
CG_MAX_ITERATIONS = 5_000

ERROR_METHOD = "method must be one of 'auto', 'reml', 'moments'"
ERROR_LENGTHS = "score, group, participant and sample must be 1-d arrays of one length"
ERROR_GROUP_CODES = "group codes must be integers in 0..n_groups-1"
ERROR_CODES = "participant and sample codes must be non-negative integers"
ERROR_REML_TOO_LARGE = (
    "exact REML needs a dense {n}x{n} matrix here (limit {limit}); use method='auto' or 'moments'"
)


@dataclass(frozen=True)
class CrossedFit:
    method: str  # "reml" (exact sparse REML) or "moments" (method of moments + GLS)
    means: np.ndarray  # (n_groups,) GLS estimates of the group means
    cov: np.ndarray  # (n_groups, n_groups) covariance of `means`
    se: np.ndarray  # sqrt(diag(cov))
    variance: dict  # {"participant": float, "sample": float, "residual": float}
    df: float | None  # t degrees of freedom for CIs (see module docstring); None: normal
    converged: bool
    reml_criterion: float | None  # -2 REML log-likelihood at the optimum, as lme4's
    notes: list[str]


@dataclass
class _Design:
    """Scores centred on their grand mean, with compact codes and the effects kept."""

    y: np.ndarray
    centre: float
    group: np.ndarray  # codes 0..n_fixed-1 over the groups that have ratings
    participant: np.ndarray
    sample: np.ndarray
    n_fixed: int
    n_participants: int
    n_samples: int
    use_participant: bool
    use_sample: bool

    @property
    def n(self) -> int:
        return self.y.size


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


# Preparing the design


def _design(score, group, participant, sample, n_groups, notes):
    score = np.asarray(score, dtype=float)
    arrays = [np.asarray(a) for a in (group, participant, sample)]
    if score.ndim != 1 or any(a.shape != score.shape for a in arrays):
        raise ValueError(ERROR_LENGTHS)
    group, participant, sample = (_integer_codes(a) for a in arrays)
    if group.size and (group.min() < 0 or group.max() >= n_groups):
        raise ValueError(ERROR_GROUP_CODES)
    if participant.size and min(participant.min(), sample.min()) < 0:
        raise ValueError(ERROR_CODES)
    finite = np.isfinite(score)
    if not finite.all():
        notes.append(f"{int((~finite).sum())} ratings with a missing or infinite score left out")
        score, group, participant, sample = (a[finite] for a in (score, group, participant, sample))
    if score.size == 0:
        notes.append("no ratings: nothing to estimate")
        return None, np.zeros(n_groups, dtype=bool)

    present = np.bincount(group, minlength=n_groups) > 0
    for g in np.flatnonzero(~present):
        notes.append(f"group {g} has no ratings: its mean is NaN")
    group = np.cumsum(present)[group] - 1
    participant = np.unique(participant, return_inverse=True)[1].astype(np.int64)
    sample = np.unique(sample, return_inverse=True)[1].astype(np.int64)
    n_fixed = int(present.sum())
    n_p, n_s = int(participant.max()) + 1, int(sample.max()) + 1

    sample_groups = np.unique(sample * n_fixed + group)
    if sample_groups.size != n_s:
        notes.append("some samples are rated in more than one group; samples should be nested")
    samples_per_group = np.bincount(sample_groups % n_fixed, minlength=n_fixed)
    for g in np.flatnonzero(samples_per_group == 1):
        if samples_per_group.max() > 1:
            notes.append(
                f"group {np.flatnonzero(present)[g]} has one sample: its SE rests on the "
                "sample variance estimated from the other groups"
            )

    use_p, use_s = True, True
    if n_p == 1:
        use_p = False
        notes.append(
            "one participant: participant variance is not identifiable (NaN) and the means "
            "are conditional on this rater"
        )
    elif np.bincount(participant).max() == 1:
        use_p = False
        notes.append(
            "every participant gave one rating: participant and residual variance cannot be "
            "separated; participant variance is NaN and the residual holds both"
        )
    if samples_per_group.max() == 1:
        use_s = False
        notes.append(
            "one sample per group: sample variance is not identifiable (NaN) and the SEs "
            "leave out sample-to-sample variation"
        )
    elif np.bincount(sample).max() == 1:
        use_s = False
        notes.append(
            "one rating per sample: sample and residual variance cannot be separated; sample "
            "variance is NaN and the residual holds both"
        )
    if use_p and use_s and n_p == n_s and np.unique(participant * n_s + sample).size == n_p:
        use_p = False
        notes.append(
            "each participant rated only their own sample: participant and sample effects "
            "coincide and are fitted as one sample effect; participant variance is NaN"
        )

    centre = float(score.mean())
    design = _Design(
        y=score - centre,
        centre=centre,
        group=group,
        participant=participant,
        sample=sample,
        n_fixed=n_fixed,
        n_participants=n_p,
        n_samples=n_s,
        use_participant=use_p,
        use_sample=use_s,
    )
    return design, present


def _integer_codes(codes):
    if codes.size == 0:
        return codes.astype(np.int64)
    if not np.issubdtype(codes.dtype, np.integer):
        as_int = codes.astype(np.int64)
        if not np.array_equal(as_int, codes):
            raise ValueError(ERROR_CODES)
        codes = as_int
    return codes.astype(np.int64)


def _group_means(d):
    counts = np.bincount(d.group, minlength=d.n_fixed)
    return np.bincount(d.group, weights=d.y, minlength=d.n_fixed) / counts


def _blocks(d):
    """The random-effect blocks kept in the model: (name, codes, number of levels)."""
    blocks = []
    if d.use_participant:
        blocks.append(("participant", d.participant, d.n_participants))
    if d.use_sample:
        blocks.append(("sample", d.sample, d.n_samples))
    return blocks


def _dense_side(d):
    blocks = _blocks(d)
    return min(b[2] for b in blocks) if len(blocks) == 2 else 0


def _schur_pairs(d):
    """Number of (row, row, column) triples that assembling the Schur complement touches."""
    blocks = _blocks(d)
    if len(blocks) < 2:
        return 0
    small, large = sorted(blocks, key=lambda b: b[2])
    cells = np.unique(small[1] * large[2] + large[1]) % large[2]
    per_column = np.bincount(cells, minlength=large[2]).astype(np.float64)
    return float(per_column @ per_column)


# Method of moments


def _pair_statistic(keys, values):
    """Sum over unordered pairs in a set of (y_k - y_l)^2, and the number of such pairs."""
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=values) / counts
    deviation = values - means[inverse]
    total = float(np.sum(counts[inverse] * deviation * deviation))
    pairs = float(np.sum(counts * (counts - 1.0)) / 2)
    return total, pairs


def _moment_components(d, notes):
    """Unbiased moment estimates (s2_p, s2_s, s2_e) from pairs of ratings in one group.

    For two ratings k, l of one group, E (y_k - y_l)^2 = 2 s2_p [other participant] +
    2 s2_s [other sample] + 2 s2_e. Summing over pairs that share a participant, a sample,
    or only the group gives three linear equations in the components (Gao & Owen 2017, with
    the group means cancelled exactly by staying inside a group).
    """
    g, p = d.group, d.participant
    cell = np.unique(d.sample * d.n_fixed + g, return_inverse=True)[1]  # sample within group
    n_cells = int(cell.max()) + 1
    y = d.y - _group_means(d)[g]  # centred for precision; differences in a group unchanged
    t_pg, n_pg = _pair_statistic(p * d.n_fixed + g, y)
    t_s, n_s = _pair_statistic(cell, y)
    t_g, n_g = _pair_statistic(g, y)
    _, n_ps = _pair_statistic(p * n_cells + cell, y)
    rows = {
        "participant-group": ([0.0, n_pg - n_ps, n_pg], t_pg / 2),
        "sample": ([n_s - n_ps, 0.0, n_s], t_s / 2),
        "group": ([n_g - n_pg, n_g - n_s, n_g], t_g / 2),
    }
    if d.use_participant and d.use_sample and n_pg - n_ps == 0:
        # No participant rated two samples of one group: fall back on pairs of one
        # participant across groups, on residuals from the group means (biased by O(1/N_g)).
        t_p, n_p = _pair_statistic(p, y)
        rows["participant-group"] = ([0.0, n_p - n_ps, n_p], t_p / 2)
        notes.append(
            "no participant rated two samples of one group: participant moments use pairs "
            "across groups (approximate)"
        )
    if d.use_participant and d.use_sample:
        use, unknowns = ["participant-group", "sample", "group"], [0, 1, 2]
    elif d.use_participant:
        use, unknowns = ["participant-group", "group"], [0, 2]
    elif d.use_sample:
        use, unknowns = ["sample", "group"], [1, 2]
    else:
        use, unknowns = ["group"], [2]
    matrix = np.array([rows[k][0] for k in use])
    rhs = np.array([rows[k][1] for k in use])

    estimate = np.zeros(3)
    free = list(unknowns)
    while True:
        solution = np.linalg.lstsq(matrix[:, free], rhs, rcond=None)[0]
        negative = [k for k, v in zip(free, solution, strict=True) if v < 0 and k != 2]
        if not negative:
            break
        worst = min(negative, key=lambda k: solution[free.index(k)])
        free.remove(worst)
    estimate[free] = solution
    estimate[2] = max(estimate[2], 0.0)
    names = ("participant", "sample")
    for k in unknowns:
        if k < 2 and k not in free:
            notes.append(f"{names[k]} variance: moment estimate negative, set to zero")
    result = np.full(3, NAN)
    result[unknowns] = estimate[unknowns]
    return result


def _fit_moments(d, present, n_groups, components, notes):
    s2_p, s2_s, s2_e = components
    if not s2_e > 0:
        notes.append("residual variance estimated at zero: GLS uses a tiny positive value")
        s2_e = 1e-12 * max(float(np.var(d.y)), 1e-300)
    ratios = []
    for name, codes, levels in _blocks(d):
        s2 = s2_p if name == "participant" else s2_s
        if s2 > 0:
            ratios.append((codes, levels, s2 / s2_e))
        else:
            notes.append(f"{name} variance at zero (boundary): no {name} effect in the GLS")
    beta, inverse, converged, iterations = _gls_cg(d, ratios)
    notes.append(f"GLS by conjugate gradients: {iterations} iterations")
    if not converged:
        notes.append("conjugate gradients did not reach the tolerance")
    cov = s2_e * inverse
    return _finish(
        "moments",
        d,
        present,
        n_groups,
        beta + d.centre,
        cov,
        (s2_p, s2_s, components[2]),
        converged=converged,
        criterion=None,
        notes=notes,
    )


def _gls_cg(d, ratios):
    """GLS means and (X'H^-1 X)^-1 from Henderson's equations, by block conjugate gradients.

    H = I + sum_k ratio_k Z_k Z_k'. Unknowns are [beta; random effects]; right-hand sides are
    [X'y, unit vectors of the beta block], so the solution's beta block holds both the GLS
    estimate and the beta block of the inverse, which is (X'H^-1 X)^-1.
    """
    columns = [d.group]
    size = d.n_fixed
    penalty = [np.zeros(d.n_fixed)]
    for codes, levels, ratio in ratios:
        columns.append(codes + size)
        penalty.append(np.full(levels, 1.0 / ratio))
        size += levels
    n = d.n
    rows = np.repeat(np.arange(n), len(columns))
    cols = np.stack(columns, axis=1).ravel()
    w = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, size))
    wt = w.T.tocsr()
    penalty = np.concatenate(penalty)
    diagonal = np.asarray(wt @ np.ones(n)).ravel() + penalty

    rhs = np.zeros((size, 1 + d.n_fixed))
    rhs[:, 0] = wt @ d.y
    rhs[np.arange(d.n_fixed), 1 + np.arange(d.n_fixed)] = 1.0

    def apply(u):
        return wt @ (w @ u) + penalty[:, None] * u

    solution, converged, iterations = _block_pcg(apply, rhs, diagonal)
    beta = solution[: d.n_fixed, 0]
    inverse = solution[: d.n_fixed, 1:]
    return beta, (inverse + inverse.T) / 2, converged, iterations


def _block_pcg(apply, rhs, diagonal):
    """Jacobi-preconditioned CG run on every column of `rhs` at once."""
    x = np.zeros_like(rhs)
    r = rhs.copy()
    z = r / diagonal[:, None]
    p = z.copy()
    rz = np.sum(r * z, axis=0)
    norms = np.linalg.norm(rhs, axis=0)
    norms[norms == 0] = 1.0
    for iteration in range(1, CG_MAX_ITERATIONS + 1):
        q = apply(p)
        pq = np.sum(p * q, axis=0)
        alpha = np.divide(rz, pq, out=np.zeros_like(rz), where=pq > 0)
        x += alpha * p
        r -= alpha * q
        if np.all(np.linalg.norm(r, axis=0) <= CG_TOLERANCE * norms):
            return x, True, iteration
        z = r / diagonal[:, None]
        rz_new = np.sum(r * z, axis=0)
        beta = np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0)
        p = z + beta * p
        rz = rz_new
    return x, False, CG_MAX_ITERATIONS


# Exact REML


class _RemlCriterion:
    """lme4's profiled REML criterion as a function of the relative SDs t of the blocks.

    With Lambda = diag(t_k) per block, C = Lambda Z'Z Lambda + I and [X y] the fixed design
    and response, Q = [X y]'[X y] - (Lambda Z'[X y])' C^-1 (Lambda Z'[X y]) holds X'H^-1 X,
    X'H^-1 y and y'H^-1 y for H = I + Z Lambda^2 Z', and
    -2 l_R = log|C| + log|X'H^-1 X| + (N - p)(1 + log(2 pi rss / (N - p))).
    """

    def __init__(self, d):
        self.n, self.p = d.n, d.n_fixed
        blocks = sorted(_blocks(d), key=lambda b: b[2])
        self.names = [b[0] for b in blocks]
        counts = np.bincount(d.group, minlength=self.p).astype(float)
        xy = np.zeros((self.p + 1, self.p + 1))
        xy[np.arange(self.p), np.arange(self.p)] = counts
        xy[: self.p, self.p] = xy[self.p, : self.p] = np.bincount(
            d.group, weights=d.y, minlength=self.p
        )
        xy[self.p, self.p] = float(d.y @ d.y)
        self.xy = xy
        self.levels, self.zxy, self.size = [], [], []
        for _, codes, levels in blocks:
            zx = np.bincount(codes * self.p + d.group, minlength=levels * self.p)
            zy = np.bincount(codes, weights=d.y, minlength=levels)
            self.zxy.append(np.column_stack([zx.reshape(levels, self.p), zy]))
            self.size.append(np.bincount(codes, minlength=levels).astype(float))
            self.levels.append(levels)
        if len(blocks) == 2:
            self._prepare_schur(blocks[0][1], blocks[1][1])

    def _prepare_schur(self, small, large):
        """Triples (i, i', j) of the small block's levels sharing a level j of the large one,
        so that M diag(w) M' (M the small x large count matrix) is one weighted bincount."""
        a, b = self.levels
        m = sparse.csc_matrix((np.ones(small.size), (small, large)), shape=(a, b))
        m.sum_duplicates()
        self.m = m
        per_column = np.diff(m.indptr)
        column = np.repeat(np.arange(b), per_column)
        reps = per_column[column]
        left = np.repeat(np.arange(m.nnz), reps)
        start = np.repeat(np.cumsum(reps) - reps, reps)
        right = m.indptr[column[left]] + (np.arange(left.size) - start)
        self.flat = m.indices[left].astype(np.int64) * a + m.indices[right]
        # Counts are almost always one (a participant rates a sample once): skip them then.
        value = m.data[left] * m.data[right]
        self.pair_value = None if np.all(value == 1.0) else value
        self.pair_column = column[left]

    def _times_pair_value(self, values):
        return values if self.pair_value is None else values * self.pair_value

    def evaluate(self, t, gradient=False):
        """Criterion (and its gradient in t), beta, X'H^-1 X and the penalised RSS at t.

        The gradient follows from Z'H^-1 = Lambda^-2 Lambda C^-1 Lambda Z' (C the scaled
        matrix above): with U = C^-1 Lambda Z'[X y], A_k and u_k its block-k rows for X and
        for the residual y - X beta, d(-2 l_R)/dt_k = 2/t_k (n_k - tr C^-1_kk
        - tr((X'H^-1 X)^-1 A_k'A_k) - (N - p) |u_k|^2 / rss).
        """
        failed = (np.inf, None, None, None, NAN)
        k, p = len(self.levels), self.p
        logdet = 0.0
        w = np.zeros((p + 1, p + 1))
        solved = []
        traces = []
        if k:
            tb = t[k - 1]
            inv_db = 1.0 / (tb * tb * self.size[k - 1] + 1.0)
            rb = tb * self.zxy[k - 1]
            logdet -= float(np.sum(np.log(inv_db)))
        if k == 1:
            ub = rb * inv_db[:, None]
            w = rb.T @ ub
            solved, traces = [ub], [float(np.sum(inv_db))]
        if k == 2:
            ta = t[0]
            a = self.levels[0]
            weights = self._times_pair_value(inv_db[self.pair_column])
            schur = np.bincount(self.flat, weights=weights, minlength=a * a).reshape(a, a)
            schur *= -(ta * ta * tb * tb)
            schur[np.diag_indices(a)] += ta * ta * self.size[0] + 1.0
            ra = ta * self.zxy[0]
            rhs = ra - (ta * tb) * (self.m @ (rb * inv_db[:, None]))
            try:
                factor = linalg.cholesky(schur, lower=True, check_finite=False)
            except linalg.LinAlgError:
                return failed
            ua = linalg.cho_solve((factor, True), rhs, check_finite=False)
            ub = inv_db[:, None] * (rb - (ta * tb) * (self.m.T @ ua))
            w = ra.T @ ua + rb.T @ ub
            logdet += 2.0 * float(np.sum(np.log(np.diag(factor))))
            solved = [ua, ub]
            if gradient:
                lower, info = linalg.lapack.dpotri(factor, lower=1)
                if info != 0:
                    return failed
                inverse = np.tril(lower)
                inverse += np.tril(lower, -1).T
                shared = self._times_pair_value(inverse.ravel()[self.flat])
                trace_b = float(np.sum(inv_db)) + (ta * ta * tb * tb) * float(
                    shared @ (inv_db * inv_db)[self.pair_column]
                )
                traces = [float(np.trace(inverse)), trace_b]
        q = self.xy - (w + w.T) / 2
        qxx = q[:p, :p]
        try:
            factor_x = linalg.cholesky(qxx, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return failed
        beta = linalg.cho_solve((factor_x, True), q[:p, p], check_finite=False)
        rss = float(q[p, p] - q[:p, p] @ beta)
        dof = self.n - p
        if not rss > 0:
            return failed
        criterion = (
            logdet
            + 2.0 * float(np.sum(np.log(np.diag(factor_x))))
            + dof * (1.0 + np.log(2.0 * np.pi * rss / dof))
        )
        grad = None
        if gradient:
            qinv = linalg.cho_solve((factor_x, True), np.eye(p), check_finite=False)
            grad = np.zeros(k)
            for j in range(k):
                if t[j] <= 0:
                    continue
                a_j = solved[j][:, :p]
                u_j = solved[j][:, p] - a_j @ beta
                bracket = (
                    self.levels[j]
                    - traces[j]
                    - float(np.sum(qinv * (a_j.T @ a_j)))
                    - dof * float(u_j @ u_j) / rss
                )
                grad[j] = 2.0 * bracket / t[j]
        return float(criterion), grad, beta, qxx, rss


def _fit_reml(d, present, n_groups, components, notes):
    criterion = _RemlCriterion(d)
    s2 = dict(zip(("participant", "sample"), components[:2], strict=True))
    s2_e = components[2]
    start = []
    for name in criterion.names:
        ratio = s2[name] / s2_e if s2_e > 0 and np.isfinite(s2[name]) else 0.25
        start.append(max(np.sqrt(max(ratio, 0.0)), 0.05))
    converged = True
    t = np.array(start)
    if t.size:
        t, converged = _minimise(criterion, t)
    value, _, beta, qxx, rss = criterion.evaluate(t)
    if beta is None or not np.isfinite(value):
        notes.append("REML criterion could not be evaluated at the optimum")
        return _empty_fit(n_groups, "reml", notes)
    s2_e = rss / (d.n - d.n_fixed)
    fitted = dict(zip(criterion.names, (x * x * s2_e for x in t), strict=True))
    for name, x in zip(criterion.names, t, strict=True):
        if x <= 1e-4:
            notes.append(f"{name} variance estimated at zero (boundary of the parameter space)")
    if not converged:
        notes.append("REML optimiser did not report convergence")
    cov = s2_e * linalg.inv(qxx)
    variance = (
        fitted.get("participant", NAN),
        fitted.get("sample", NAN),
        s2_e,
    )
    return _finish(
        "reml",
        d,
        present,
        n_groups,
        beta + d.centre,
        (cov + cov.T) / 2,
        variance,
        converged=converged,
        criterion=value,
        notes=notes,
    )


def _minimise(criterion, start):
    """L-BFGS-B over the relative SDs t >= 0 with the analytic gradient."""
    result = optimize.minimize(
        lambda t: criterion.evaluate(t, gradient=True)[:2],
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * start.size,
        options={"ftol": 1e-15, "gtol": 1e-7, "maxiter": 500},
    )
    t = np.asarray(result.x, dtype=float)
    value, gradient = criterion.evaluate(t, gradient=True)[:2]
    if not np.isfinite(value):
        return t, False
    projected = np.where((t <= 0) & (gradient > 0), 0.0, gradient)
    small = float(np.max(np.abs(projected))) <= 1e-6 * (abs(value) + 1.0)
    converged = bool(result.success) or small
    return t, converged


# Results


def _finish(method, d, present, n_groups, means, cov, variance, *, converged, criterion, notes):
    s2_p, s2_s, s2_e = variance
    full_means = np.full(n_groups, NAN)
    full_cov = np.full((n_groups, n_groups), NAN)
    index = np.flatnonzero(present)
    full_means[index] = means
    full_cov[np.ix_(index, index)] = cov
    diagonal = np.diag(full_cov)
    se = np.sqrt(np.where(diagonal >= 0, diagonal, NAN))
    return CrossedFit(
        method=method,
        means=full_means,
        cov=full_cov,
        se=se,
        variance={
            "participant": float(s2_p) if d.use_participant else NAN,
            "sample": float(s2_s) if d.use_sample else NAN,
            "residual": float(s2_e),
        },
        df=_degrees_of_freedom(d, s2_p, notes),
        converged=converged,
        reml_criterion=criterion,
        notes=notes,
    )


def _degrees_of_freedom(d, s2_p, notes):
    df = d.n_samples - d.n_fixed if d.use_sample else d.n - d.n_fixed
    if d.use_participant and np.isfinite(s2_p) and s2_p > 0:
        df = min(df, d.n_participants - 1)
    if df < 1:
        notes.append("fewer than one degree of freedom: CIs use normal quantiles")
        return None
    return float(df)


def _constant_fit(d, present, n_groups, method, notes):
    notes.append(
        "every rating equals its group's mean: all variance components are zero and the "
        "means have zero standard error"
    )
    zero = np.zeros((d.n_fixed, d.n_fixed))
    return _finish(
        "moments" if method == "moments" else "reml",
        d,
        present,
        n_groups,
        _group_means(d) + d.centre,
        zero,
        (0.0, 0.0, 0.0),
        converged=True,
        criterion=None,
        notes=notes,
    )


def _empty_fit(n_groups, method, notes):
    return CrossedFit(
        method=method,
        means=np.full(n_groups, NAN),
        cov=np.full((n_groups, n_groups), NAN),
        se=np.full(n_groups, NAN),
        variance={"participant": NAN, "sample": NAN, "residual": NAN},
        df=None,
        converged=False,
        reml_criterion=None,
        notes=notes,
    )
