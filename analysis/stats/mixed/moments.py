"""The method-of-moments fit: variance components from within-group U-statistics, then
the GLS means and their covariance at those components by block conjugate gradients.

O(N) in the number of ratings, so it is the fit for designs too large for exact REML; see
the analysis.stats.mixed docstring for the model and the estimators.
"""

import numpy as np
from scipy import sparse

from analysis.stats.mixed.design import _blocks, _group_means
from analysis.stats.mixed.results import NAN, _finish

CG_TOLERANCE = 1e-10
CG_MAX_ITERATIONS = 5_000


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
