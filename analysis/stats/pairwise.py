"""Pairwise comparisons: Bradley-Terry abilities with a first-position effect and
Davidson's ties, design-respecting win rates, ordering verdicts and rater agreement.

The model (Bradley & Terry 1952; Davidson 1970, "On extending the Bradley-Terry model to
accommodate ties in paired comparison experiments", JASA 65:317; the order effect as
Davidson & Beaver 1977, Biometrics 33:693, and as `BradleyTerry2`'s `at.home` term, Turner &
Firth 2012, J. Stat. Softw. 48(9); Agresti 2013, "Categorical Data Analysis", 3rd ed.,
§11.6). A comparison shows player i first (as "A") and j second (as "B"). With abilities
lambda, a first-position effect delta and the tie parameter nu = exp(theta), let
x = lambda_i - lambda_j + delta and D = exp(x/2) + exp(-x/2) + nu:

    P(A chosen) = exp(x/2) / D,   P(B chosen) = exp(-x/2) / D,   P(tie) = nu / D.

Without ties (nu = 0) this is the logistic Bradley-Terry model, logit P(A) = x. Given a
decision, P(A chosen | not a tie) = logistic(x) either way, so `p_first_position`,
logistic(delta), is the probability of choosing A between two samples of equal ability.
Fitted by maximum likelihood with Newton-Raphson; the log-likelihood is linear in the
outcome minus log D, so the observed information equals the expected one, sum of the
Hessians of log D. Standard errors come from its inverse (one ability, the reference,
fixed at 0). They treat comparisons as independent: they do not widen for raters or
samples that recur, which the win rates below do.

Maximum-likelihood abilities are finite only when the players' "won or tied against"
graph is strongly connected (Ford 1957; Hunter 2004, Ann. Stat. 32:384): a player who won
every comparison has ability +infinity. `strongly_connected` finds the players that can be
fitted together.

Win rates and ordering claims. The win rate of group a over group b is the share of
their comparisons that a won, ties counted as half a win. Comparisons are crossed: each
has a rater and two samples, and raters and samples recur. Its standard error is the
multiway cluster-robust variance (Cameron, Gelbach & Miller 2011, J. Bus. Econ. Stat.
29:238) with one influence value u per comparison (u = (y - rate) / n): the sum of
u_i u_j over every two comparisons that share a rater or a sample, which by inclusion
and exclusion is

    sum_r U_r^2 + sum_s U_s^2 - sum_p U_p^2 - sum_(r,s) U_rs^2 + sum_(r,p) U_rp^2

(U: sums of u by rater r, by sample s counting a comparison under both its samples, by
unordered sample pair p, by rater and sample, by rater and pair), each cluster term times
G/(G - 1). Student's t with min(raters, samples) - 1 degrees of freedom gives the interval.
`analysis.stats.detection` explains why this rather than a pigeonhole bootstrap (Owen 2007,
Ann. Appl. Stat. 1:386): with two samples per comparison that bootstrap counts the
comparison-level noise three times and makes intervals of binary outcomes up to sqrt(3)
too wide; it is offered as a seeded extra, `pigeonhole_bootstrap` (weights drawn once per
resample for every group pair; each resample costs three gathers over all comparisons).
The exact binomial test (wins against losses, ties left out) is a naive extra only.

An ordering claim "a preferred to b" (win rate above 0.5) is `supported` when the 1 - alpha
interval lies above 0.5, `contradicted` when it lies below, else `inconclusive`. Agreement:
over sample pairs compared by two or more raters, the share of their rater pairs that made
the same choice (the same sample, or both a tie), each sample pair weighing one; chance is
what two raters choosing at random with the observed tie share would reach,
2 ((1 - t) / 2)^2 + t^2.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse, special
from scipy import stats as sps
from scipy.sparse import csgraph
from scipy.sparse import linalg as splinalg

from analysis.stats.detection import CrossedEstimate, crossed_estimate, t_interval

NAN = float("nan")
A, B, TIE = 0, 1, 2
DENSE_LIMIT = 3000  # parameters up to which the information matrix is inverted exactly
MAX_ABILITY = 30.0  # |estimate| beyond which the likelihood is taken to have no maximum
NOT_CONNECTED = (
    "some players won (or lost) every comparison against the others: the maximum-likelihood "
    "abilities are infinite"
)
NO_MAXIMUM = (
    "the likelihood has no finite maximum (for instance A was chosen every time, or every "
    "comparison was a tie)"
)
ONLY_TIES = "no wins or losses, only ties"
NO_COMPARISONS = "no comparisons"
ONE_CLUSTER = "comparisons by only one rater or of too few samples: their spread is unknown"
NO_SPREAD = "every comparison had the same outcome: no spread to estimate a variance from"
APPROXIMATE_SE = (
    "diagonal of the information matrix (conditional on the other abilities; a slight "
    "underestimate)"
)
EXACT_SE = "inverse of the observed information"


@dataclass(frozen=True)
class BTFit:
    """A Bradley-Terry(-Davidson) fit. `ability` has one entry per player (the reference's
    is 0 and its se NaN); `covariance` is over the free parameters (abilities without the
    reference, then delta, then theta) or None when too large to invert."""

    ability: np.ndarray
    ability_se: np.ndarray
    reference: int
    position: float
    position_se: float
    tie: float  # theta = log nu; NaN without ties
    tie_se: float
    loglik: float
    iterations: int
    covariance: np.ndarray | None
    se_method: str
    reason: str | None = None


def _curvatures(x: np.ndarray, nu: float):
    """Second derivatives of log D in x, x-theta and theta, and dlogD/dx, dlogD/dtheta."""
    a, b = np.exp(x / 2), np.exp(-x / 2)
    d = a + b + nu
    dx = (a - b) / (2 * d)
    dt = nu / d
    hxx = ((a + b) * d - (a - b) ** 2) / (4 * d**2)
    hxt = -nu * (a - b) / (2 * d**2)
    htt = nu * (a + b) / d**2
    return d, dx, dt, hxx, hxt, htt


def _loglik(x, outcome, weight, nu) -> float:
    d = np.exp(x / 2) + np.exp(-x / 2) + nu
    with np.errstate(divide="ignore"):
        own = np.where(outcome == A, x / 2, np.where(outcome == B, -x / 2, np.log(nu)))
    return float(np.sum(weight * (own - np.log(d))))


def strongly_connected(first, second, outcome, n_players) -> np.ndarray:
    """Boolean mask of the players in the largest strongly connected component of the
    "won or tied against" graph (an edge from loser to winner, both ways for a tie)."""
    first, second, outcome = (np.asarray(v) for v in (first, second, outcome))
    winner = np.where(outcome == B, second, first)
    loser = np.where(outcome == B, first, second)
    tie = outcome == TIE
    rows = np.concatenate([loser, winner[tie]])
    cols = np.concatenate([winner, loser[tie]])
    graph = sparse.coo_matrix(
        (np.ones(rows.size), (rows, cols)), shape=(n_players, n_players)
    ).tocsr()
    count, labels = csgraph.connected_components(graph, directed=True, connection="strong")
    present = np.bincount(np.concatenate([first, second]), minlength=n_players) > 0
    if not np.any(present):
        return present
    sizes = np.bincount(labels[present], minlength=count)
    return (labels == int(np.argmax(sizes))) & present


def bradley_terry(
    first,
    second,
    outcome,
    n_players: int,
    *,
    weight=None,
    reference: int = 0,
    position: bool = True,
    ties: bool | None = None,
    tol: float = 1e-9,
    max_iter: int = 100,
    start=None,
) -> BTFit:
    """Fit abilities (reference fixed at 0), the first-position effect (when `position`)
    and Davidson's tie parameter (when `ties`, by default when any outcome is a tie).

    `first`, `second`: integer player codes shown as A and B; `outcome`: A (0), B (1) or
    TIE (2); `weight`: counts of identical comparisons (default one each); `start`:
    abilities to start from (one per player; the reference's is subtracted). Newton stops
    when no parameter moves by more than `tol`.

    The parameters are (abilities but the reference, delta, theta). With E the design
    matrix of x (+1 for the first player, -1 for the second, +1 for delta), the
    information is E' diag(w h_xx) E plus the theta row and column (h_xt, h_tt). Up to
    DENSE_LIMIT parameters it is formed and inverted; beyond, Newton steps are solved by
    conjugate gradients with the information applied as an operator (never formed)."""
    first = np.asarray(first, dtype=np.int64)
    second = np.asarray(second, dtype=np.int64)
    outcome = np.asarray(outcome, dtype=np.int64)
    weight = np.ones(first.size) if weight is None else np.asarray(weight, dtype=float)
    ties = bool(np.any((outcome == TIE) & (weight > 0))) if ties is None else ties
    if not ties and np.any((outcome == TIE) & (weight > 0)):
        raise ValueError("ties in the outcomes of a fit without ties")
    k = int(n_players)
    free = np.array([j for j in range(k) if j != reference], dtype=np.int64)
    column = np.full(k, -1, dtype=np.int64)
    column[free] = np.arange(free.size)
    n_free = free.size
    p = n_free + int(position) + int(ties)
    i_delta, i_theta = n_free, n_free + int(position)
    n = first.size
    # Products with E by gathers and bincounts (faster than sparse products at a million
    # rows): the reference's column points at a slot that is always 0.
    slot_a = np.where(column[first] >= 0, column[first], p)
    slot_b = np.where(column[second] >= 0, column[second], p)

    def times(vector):
        """E @ vector."""
        extended = np.append(vector, 0.0)
        x = extended[slot_a] - extended[slot_b]
        return x + vector[i_delta] if position else x

    def transposed(values):
        """E' @ values (the theta entry 0)."""
        out = np.bincount(slot_a, values, p + 1)[:p] - np.bincount(slot_b, values, p + 1)[:p]
        if position:
            out[i_delta] = values.sum()
        if ties:
            out[i_theta] = 0.0
        return out

    is_tie = (outcome == TIE).astype(float)
    half = np.where(outcome == A, 0.5, np.where(outcome == B, -0.5, 0.0))
    params = np.zeros(p)
    if start is not None:
        start = np.asarray(start, dtype=float)
        params[:n_free] = start[free] - start[reference]
    if ties:
        tie_share = np.sum(weight * is_tie) / np.sum(weight)
        params[i_theta] = np.log(max(tie_share, 1e-3) / max(1 - tie_share, 1e-3) * 2)

    def nu_of(vector) -> float:
        return float(np.exp(vector[i_theta])) if ties else 0.0

    def loglik(vector) -> float:
        return _loglik(times(vector), outcome, weight, nu_of(vector))

    def derivatives(vector):
        _, dx, dt, hxx, hxt, htt = _curvatures(times(vector), nu_of(vector))
        g = transposed(weight * (half - dx))
        if ties:
            g[i_theta] = np.sum(weight * (is_tie - dt))
        return g, weight * hxx, weight * hxt, weight * htt

    rows = [np.arange(n)[column[first] >= 0], np.arange(n)[column[second] >= 0]]
    cols = [column[first][column[first] >= 0], column[second][column[second] >= 0]]
    vals = [np.ones(rows[0].size), -np.ones(rows[1].size)]
    if position:
        rows.append(np.arange(n)), cols.append(np.full(n, i_delta)), vals.append(np.ones(n))

    def information(wxx, wxt, wtt) -> np.ndarray:
        design = sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, p)
        )
        info = (design.T @ sparse.diags(wxx) @ design).toarray()
        if ties:
            cross = transposed(wxt)
            info[:, i_theta] += cross
            info[i_theta, :] += cross
            info[i_theta, i_theta] = wtt.sum()
        return info

    def operator(wxx, wxt, wtt):
        def apply(v):
            ex = times(v)
            out = transposed(wxx * ex + (wxt * v[i_theta] if ties else 0.0))
            if ties:
                out[i_theta] = float(wxt @ ex + wtt.sum() * v[i_theta])
            return out

        diagonal = np.bincount(slot_a, wxx, p + 1)[:p] + np.bincount(slot_b, wxx, p + 1)[:p]
        if position:
            diagonal[i_delta] = wxx.sum()
        if ties:
            diagonal[i_theta] = wtt.sum()
        return splinalg.LinearOperator((p, p), matvec=apply, dtype=float), diagonal

    def solve(g, wxx, wxt, wtt):
        if p <= DENSE_LIMIT:
            return np.linalg.solve(information(wxx, wxt, wtt), g)
        op, diagonal = operator(wxx, wxt, wtt)
        preconditioner = sparse.diags(1 / np.where(diagonal > 0, diagonal, 1.0))
        step, _ = splinalg.cg(op, g, M=preconditioner, rtol=1e-6, maxiter=1000)
        return step

    current = loglik(params)
    iterations = 0
    reason = None
    for _ in range(max_iter):
        iterations += 1
        g, wxx, wxt, wtt = derivatives(params)
        try:
            step = solve(g, wxx, wxt, wtt)
        except np.linalg.LinAlgError:
            reason = NO_MAXIMUM
            break
        scale = 1.0
        while True:
            candidate = params + scale * step
            value = loglik(candidate)
            if value >= current - 1e-12 or scale < 1e-6:
                break
            scale /= 2
        params, previous, current = candidate, current, value
        if np.max(np.abs(scale * step)) < tol or abs(current - previous) < 1e-12:
            break
    else:
        reason = NO_MAXIMUM
    bounded = params[: n_free + int(position)]
    if not np.all(np.isfinite(params)) or np.max(np.abs(bounded), initial=0) > MAX_ABILITY:
        reason = NO_MAXIMUM
    _, wxx, wxt, wtt = derivatives(params)
    covariance = None
    if p <= DENSE_LIMIT:
        try:
            covariance = np.linalg.inv(information(wxx, wxt, wtt))
            se = np.sqrt(np.clip(np.diag(covariance), 0, None))
        except np.linalg.LinAlgError:
            se = np.full(p, np.nan)
            reason = reason or NO_MAXIMUM
        method = EXACT_SE
    else:
        diagonal = operator(wxx, wxt, wtt)[1]
        se = np.sqrt(1 / np.where(diagonal > 0, diagonal, np.nan))
        method = APPROXIMATE_SE
    ability = np.zeros(k)
    ability[free] = params[:n_free]
    ability_se = np.full(k, np.nan)
    ability_se[free] = se[:n_free]
    return BTFit(
        ability=ability,
        ability_se=ability_se,
        reference=int(reference),
        position=float(params[i_delta]) if position else NAN,
        position_se=float(se[i_delta]) if position else NAN,
        tie=float(params[i_theta]) if ties else NAN,
        tie_se=float(se[i_theta]) if ties else NAN,
        loglik=float(current),
        iterations=iterations,
        covariance=covariance,
        se_method=method,
        reason=reason,
    )


def logistic(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def wald_interval(estimate, se, *, level: float = 0.95) -> tuple[float, float]:
    """estimate -/+ z se; NaN when either is missing (None or not finite)."""
    if estimate is None or se is None or not (np.isfinite(estimate) and np.isfinite(se)):
        return NAN, NAN
    half = float(special.ndtri((1 + level) / 2)) * se
    return estimate - half, estimate + half


def wald_p(estimate, se) -> float:
    """Two-sided p of estimate = 0 from its standard error (normal)."""
    if estimate is None or se is None or not (np.isfinite(estimate) and se > 0):
        return NAN
    return float(2 * sps.norm.sf(abs(estimate / se)))


def _sum_of_squares(codes: np.ndarray, u: np.ndarray) -> tuple[float, int]:
    """sum over clusters of (sum of u)^2 and the number of clusters."""
    _, inverse = np.unique(codes, return_inverse=True)
    sums = np.bincount(inverse.ravel(), weights=u)
    return float(np.sum(sums**2)), int(sums.size)


def _corrected(total: float, clusters: int) -> float:
    return total * clusters / (clusters - 1) if clusters > 1 else total


def crossed_pair_variance(u, rater, sample_a, sample_b, *, small_sample: bool = True) -> float:
    """Variance of sum(u) when comparisons sharing a rater or a sample are correlated (see
    the module docstring); integer codes, gaps allowed. `small_sample=False` leaves out the
    G/(G - 1) factors and the fallback for a sum at or below zero."""
    u = np.asarray(u, dtype=float)
    rater = np.asarray(rater, dtype=np.int64)
    low = np.minimum(sample_a, sample_b).astype(np.int64)
    high = np.maximum(sample_a, sample_b).astype(np.int64)
    n_samples = int(max(high.max(initial=0), 0)) + 1
    pair = low * n_samples + high
    by_rater, n_r = _sum_of_squares(rater, u)
    by_sample, n_s = _sum_of_squares(np.concatenate([low, high]), np.concatenate([u, u]))
    by_pair, n_p = _sum_of_squares(pair, u)
    rater_sample = np.concatenate([rater * n_samples + low, rater * n_samples + high])
    by_rater_sample, n_rs = _sum_of_squares(rater_sample, np.concatenate([u, u]))
    by_rater_pair, n_rp = _sum_of_squares(rater.astype(np.int64) * (n_samples**2) + pair, u)
    if not small_sample:
        return by_rater + by_sample - by_pair - by_rater_sample + by_rater_pair
    variance = (
        _corrected(by_rater, n_r)
        + _corrected(by_sample, n_s)
        - _corrected(by_pair, n_p)
        - _corrected(by_rater_sample, n_rs)
        + _corrected(by_rater_pair, n_rp)
    )
    if variance > 0:
        return variance
    return max(_corrected(by_rater, n_r), _corrected(by_sample, n_s) / 2, float(np.sum(u**2)))


def crossed_share(y, rater, sample_a, sample_b, *, level: float = 0.95) -> CrossedEstimate:
    """Mean of y (1 a win, 0 a loss, 0.5 a tie) with its crossed standard error and a t
    interval clipped to [0, 1]."""
    y = np.asarray(y, dtype=float)
    if y.size == 0:
        return CrossedEstimate(NAN, NAN, NAN, NAN, NAN, NO_COMPARISONS)
    share = float(y.mean())
    n_raters = np.unique(rater).size
    n_samples = np.unique(np.concatenate([sample_a, sample_b])).size
    df = float(min(n_raters, n_samples) - 1) if y.size >= 2 else 0.0

    def variance() -> float:
        return crossed_pair_variance((y - share) / y.size, rater, sample_a, sample_b)

    return crossed_estimate(
        share, df, variance, level, bounds=(0.0, 1.0), one_cluster=ONE_CLUSTER, no_spread=NO_SPREAD
    )


def share_interval(share: CrossedEstimate, *, level: float) -> tuple[float, float]:
    """The t interval of a crossed share at another level, clipped to [0, 1]."""
    return t_interval(share.estimate, share.se, share.df, level, (0.0, 1.0))


def pigeonhole_bootstrap(
    y,
    cell,
    rater,
    sample_a,
    sample_b,
    *,
    n_cells: int,
    n_resamples: int,
    rng: np.random.Generator,
    level: float = 0.95,
) -> np.ndarray:
    """Percentile intervals, one row [low, high] per cell, of the mean of y within each
    cell (rows with a negative cell are left out) when raters and samples are resampled
    with replacement, independently (Owen 2007): a comparison's weight is the product of
    its rater's and its two samples' draw counts, drawn once per resample for every cell.
    Conservative (see the module docstring)."""
    y = np.asarray(y, dtype=float)
    cell = np.asarray(cell, dtype=np.int64)
    used = cell >= 0
    out = np.full((n_cells, 2), np.nan)
    if np.count_nonzero(used) < 2:
        return out
    y, cell = y[used], cell[used]
    r_codes = np.unique(np.asarray(rater)[used], return_inverse=True)[1].ravel()
    both = np.concatenate([np.asarray(sample_a)[used], np.asarray(sample_b)[used]])
    s_labels, s_codes = np.unique(both, return_inverse=True)
    s_codes = s_codes.ravel()
    sa, sb = s_codes[: y.size], s_codes[y.size :]
    n_r, n_s = int(r_codes.max()) + 1, int(s_labels.size)
    means = np.empty((n_resamples, n_cells))
    for b in range(n_resamples):
        w_r = np.bincount(rng.integers(0, n_r, n_r), minlength=n_r).astype(np.float32)
        w_s = np.bincount(rng.integers(0, n_s, n_s), minlength=n_s).astype(np.float32)
        w = w_r[r_codes] * w_s[sa] * w_s[sb]
        total = np.bincount(cell, weights=w, minlength=n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[b] = np.bincount(cell, weights=w * y, minlength=n_cells) / total
    for c in range(n_cells):
        finite = means[np.isfinite(means[:, c]), c]
        if finite.size:
            out[c] = np.percentile(finite, [50 * (1 - level), 50 * (1 + level)])
    return out


def binomial_naive(wins: int, losses: int) -> float:
    """Two-sided exact binomial p of wins against losses at 1/2 (ties left out); treats
    every comparison as independent."""
    if wins + losses == 0:
        return NAN
    return float(sps.binomtest(int(wins), int(wins + losses), 0.5).pvalue)


def ordering_verdict(ci_low: float, ci_high: float) -> str | None:
    """`supported` (interval above 0.5), `contradicted` (below) or `inconclusive`."""
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return None
    if ci_low > 0.5:
        return "supported"
    if ci_high < 0.5:
        return "contradicted"
    return "inconclusive"


@dataclass(frozen=True)
class Agreement:
    pairs_with_two_raters: int
    rate: float
    chance: float
    kappa: float


def pair_agreement(rater, sample_a, sample_b, outcome) -> Agreement:
    """Agreement between raters of the same sample pair (see the module docstring)."""
    rater = np.asarray(rater)
    outcome = np.asarray(outcome)
    sample_a, sample_b = np.asarray(sample_a, np.int64), np.asarray(sample_b, np.int64)
    low, high = np.minimum(sample_a, sample_b), np.maximum(sample_a, sample_b)
    n_samples = int(high.max(initial=0)) + 1
    _, pair = np.unique(low * n_samples + high, return_inverse=True)
    pair = pair.ravel()
    chosen = np.where(outcome == A, sample_a, sample_b)
    picks_low = (outcome != TIE) & (chosen == low)
    picks_high = (outcome != TIE) & (chosen == high)
    n_pairs = int(pair.max(initial=-1)) + 1
    counts = [
        np.bincount(pair, weights=m.astype(float), minlength=n_pairs)
        for m in (picks_low, picks_high, outcome == TIE)
    ]
    m = counts[0] + counts[1] + counts[2]
    several = m >= 2
    ties = float(np.mean(outcome == TIE)) if outcome.size else NAN
    chance = 2 * ((1 - ties) / 2) ** 2 + ties**2 if outcome.size else NAN
    if not np.any(several):
        return Agreement(0, NAN, chance, NAN)
    same = sum(c * (c - 1) / 2 for c in counts)[several]
    rate = float(np.mean(same / (m[several] * (m[several] - 1) / 2)))
    kappa = (rate - chance) / (1 - chance) if chance < 1 else NAN
    return Agreement(int(several.sum()), rate, float(chance), float(kappa))
