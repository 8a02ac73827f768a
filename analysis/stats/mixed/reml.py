"""The exact REML fit, as lme4's: the profiled REML criterion with its analytic gradient
(`_RemlCriterion`), minimised over the relative SDs by L-BFGS-B.

See the analysis.stats.mixed docstring for the model and the dense Schur step.
"""

import numpy as np
from scipy import linalg, optimize, sparse

from analysis.stats.mixed.design import _blocks
from analysis.stats.mixed.results import NAN, _empty_fit, _finish


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
