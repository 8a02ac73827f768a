"""Source detection: could raters tell which group a sample came from?

Each guess is right (1) or wrong (0). Accuracy is the share of right guesses, tested one-sided
("accuracy > chance") against two chance levels:
- uniform: 1/k for k groups (what guessing at random achieves);
- majority: the share of the most frequent true group among the guessed rows (what always
  naming that group achieves), which is the fairer baseline with unbalanced groups.

Why not the binomial test. Guesses are crossed: every rater guesses several samples and
every sample is guessed by several raters. Guesses of one sample go together (a human text
that "reads like AI" fools everyone) and so do guesses of one rater (some are better than
others). An exact binomial test treats every guess as independent; when samples differ, its
p is far too small: in studies of 30 raters and 36 samples where raters are at chance on
average but each sample has its own "looks like" group, it calls "better than chance" in
about a quarter of them at alpha = 0.05 (`bench/detection.py`). It is still reported, as
`*_binomial_naive`, for comparison only.

The method: two-way cluster-robust variance (Cameron, Gelbach & Miller 2011, "Robust
inference with multiway clustering", J. Bus. Econ. Stat. 29:238), applied to the variance
of a mean over a sparse crossed rater x sample array that Owen (2007, "The pigeonhole
bootstrap", Ann. Appl. Stat. 1:386) works out under crossed random effects. A statistic is
linearised into one influence value u per guess (for accuracy, u = (y - accuracy) / n):

    var = R/(R-1) sum_r (sum of u of rater r)^2 + C/(C-1) sum_s (sum of u of sample s)^2
          - n/(n-1) sum u^2

for R raters, C samples and n guesses. Under crossed random effects, Y = mu + a_rater +
b_sample + e, the rater sums carry the rater variance (and, once, the sample and residual
variance), the sample sums the sample variance (and again the residual), and the last term
takes the residual counted twice away: the expectation is the variance of the mean,
whatever the two effects. When the sum comes out at or below zero (possible by chance when
neither effect is present) the largest one-way term is used (clustered by rater, by sample,
or not at all), in the spirit of Cameron et al.'s advice. The interval and the p use
Student's t with min(R, C) - 1 degrees of freedom (the fewer clusters limit what is
known); intervals of accuracies are clipped to [0, 1].

Why not the alternatives:
- a pigeonhole bootstrap (resampling raters and samples independently, with replacement)
  is conservative: linearising its product weights, its variance is about
  [(nu_r + 2) s2_rater + (nu_s + 2) s2_sample + 3 s2_residual] / n against
  [nu_r s2_rater + nu_s s2_sample + s2_residual] / n (nu: guesses per rater and per
  sample), so for right/wrong guesses, where the residual is most of the variance, its
  interval is up to sqrt(3) too wide and its test loses power; it also costs B passes
  over the data;
- a logistic mixed model with crossed random intercepts answers a subject-specific
  question (a typical rater on a typical sample) rather than "what share of guesses was
  right", needs Laplace or quadrature fits that take minutes at a million rows, and can
  fail to converge.
The variance above is linear in the data: one pass with `np.bincount` per statistic. At a
million guesses (20,000 raters, 30,000 samples) the whole summary takes about 1 s and 180
MiB, most of it coding the group labels (`bench/detection.py`). It holds its size: of 2,000
null studies of the kind above it calls 3.9 % "better than chance" at alpha = 0.05, where
the binomial test calls 25.9 % (slightly conservative, about 4 %, in small studies of 10
raters and 12 samples too). No random numbers are drawn: the same guesses always give the
same numbers, in any order.

"AI involved or not" (signal detection, Macmillan & Creelman 2005, "Detection Theory: A
User's Guide", 2nd ed.): samples of the `ai` and `collaboration` groups are signal, `human`
samples noise; a guess naming `ai` or `collaboration` is a "yes", one naming `human` a "no";
rows whose true group or guess is another key are left out. d' = z(H) - z(F) (M&C eq. 1.5)
and c = -(z(H) + z(F)) / 2 (eq. 2.1), per rater and pooled over every rater's guesses, with
the log-linear correction of Hautus (1995, Behav. Res. Methods 27:46) applied to every
rate, extreme or not: H = (hits + 0.5) / (signal trials + 1), F = (false alarms + 0.5) /
(noise trials + 1), so that rates of 0 and 1 give finite values and the correction never
depends on the data. The pooled d' and c get their CI from the same crossed variance, with
influence values from the delta method (dz(H)/dH = 1/phi(z(H))).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy import stats as sps

from analysis.stats import descriptives

NAN = float("nan")
SIGNAL_GROUPS = ("ai", "collaboration")
NOISE_GROUPS = ("human",)
NO_GUESSES = "no guesses"
ONE_CLUSTER = "guesses by only one rater or of only one sample: the spread between them is unknown"
NO_SPREAD = "every guess right or every guess wrong: no spread to estimate a variance from"
NO_SDT_GROUPS = "needs a 'human' group and an 'ai' or 'collaboration' group with guesses"
NO_SIGNAL_TRIALS = "no guesses of ai or collaboration samples"
NO_NOISE_TRIALS = "no guesses of human samples"


@dataclass(frozen=True)
class BinomialResult:
    successes: int
    trials: int
    proportion: float
    p0: float
    p: float
    ci_low: float
    ci_high: float
    reason: str | None = None


def binomial_test(
    successes: int, trials: int, p0: float, *, alternative: str = "greater", level: float = 0.95
) -> BinomialResult:
    """Exact binomial test (R's `binom.test`) with the Clopper-Pearson interval; it treats
    every trial as independent."""
    if trials <= 0:
        return BinomialResult(0, 0, NAN, p0, NAN, NAN, NAN, NO_GUESSES)
    if not 0 < p0 < 1:
        share = successes / trials
        return BinomialResult(successes, trials, share, p0, NAN, NAN, NAN, "chance level is 0 or 1")
    res = sps.binomtest(int(successes), int(trials), p0, alternative=alternative)
    ci = res.proportion_ci(confidence_level=level, method="exact")
    return BinomialResult(
        int(successes), int(trials), successes / trials, p0, float(res.pvalue), ci.low, ci.high
    )


@dataclass(frozen=True)
class CrossedEstimate:
    """An estimate with its standard error from the crossed variance, the t degrees of
    freedom and the interval at the level asked for."""

    estimate: float
    se: float
    df: float
    ci_low: float
    ci_high: float
    reason: str | None = None


def _present(codes: np.ndarray) -> int:
    return int(np.count_nonzero(np.bincount(codes))) if codes.size else 0


def crossed_variance(influence: np.ndarray, rater: np.ndarray, sample: np.ndarray) -> float:
    """The two-way cluster-robust variance of a statistic whose influence values (one per
    guess) are `influence`; `rater` and `sample` are non-negative integer codes (gaps
    allowed). See the module docstring."""
    u = np.asarray(influence, dtype=float)
    n = u.size
    r, c = _present(rater), _present(sample)
    if n < 2 or r < 2 or c < 2:
        return NAN
    by_rater = float(np.sum(np.bincount(rater, weights=u) ** 2)) * r / (r - 1)
    by_sample = float(np.sum(np.bincount(sample, weights=u) ** 2)) * c / (c - 1)
    by_guess = float(np.sum(u**2)) * n / (n - 1)
    variance = by_rater + by_sample - by_guess
    return variance if variance > 0 else max(by_rater, by_sample, by_guess)


def t_interval(
    value: float, se: float, df: float, level: float, bounds=(-np.inf, np.inf)
) -> tuple[float, float]:
    """The t interval of `descriptives.t_interval`, clipped to `bounds`."""
    low, high = descriptives.t_interval(value, se, df, level)
    if not (np.isfinite(low) and np.isfinite(high)):
        return NAN, NAN
    return max(low, bounds[0]), min(high, bounds[1])


def crossed_estimate(
    value: float,
    df: float,
    variance,
    level: float,
    *,
    bounds: tuple[float, float] = (-np.inf, np.inf),
    one_cluster: str = ONE_CLUSTER,
    no_spread: str = NO_SPREAD,
) -> CrossedEstimate:
    """`value` with the standard error sqrt(variance()) (a crossed, cluster-robust
    variance) and its t interval on `df` degrees of freedom, the smaller number of clusters
    less one (Cameron, Gelbach & Miller 2011); null with the reason when there is a single
    cluster or no spread."""
    if not df >= 1:
        return CrossedEstimate(value, NAN, NAN, NAN, NAN, one_cluster)
    se = float(np.sqrt(variance()))
    if not se > 0:
        return CrossedEstimate(value, NAN, df, NAN, NAN, no_spread)
    return CrossedEstimate(value, se, df, *t_interval(value, se, df, level, bounds))


def _estimate(
    value: float,
    influence: np.ndarray,
    rater: np.ndarray,
    sample: np.ndarray,
    level: float,
    *,
    bounds: tuple[float, float] = (-np.inf, np.inf),
) -> CrossedEstimate:
    if influence.size == 0:
        return CrossedEstimate(NAN, NAN, NAN, NAN, NAN, NO_GUESSES)
    df = float(min(_present(rater), _present(sample)) - 1)

    def variance() -> float:
        return crossed_variance(influence, rater, sample)

    return crossed_estimate(value, df, variance, level, bounds=bounds)


def crossed_proportion(
    y: np.ndarray, rater: np.ndarray, sample: np.ndarray, *, level: float = 0.95
) -> CrossedEstimate:
    """The share of ones in y with its crossed standard error and t interval (in [0, 1])."""
    y = np.asarray(y, dtype=float)
    if y.size == 0:
        return CrossedEstimate(NAN, NAN, NAN, NAN, NAN, NO_GUESSES)
    share = float(y.mean())
    return _estimate(share, (y - share) / y.size, rater, sample, level, bounds=(0.0, 1.0))


@dataclass(frozen=True)
class ChanceTest:
    """Accuracy against one chance level: the one-sided p of "accuracy > p0" and the
    interval from the crossed variance, and beside them the naive exact binomial test
    (one-sided p) with its two-sided Clopper-Pearson interval (`naive_ci`)."""

    p0: float
    p: float
    ci_low: float
    ci_high: float
    naive: BinomialResult
    naive_ci: tuple[float, float]
    reason: str | None = None


def chance_test(
    accuracy: CrossedEstimate, correct: int, n: int, p0: float, *, level: float = 0.95
) -> ChanceTest:
    naive = binomial_test(correct, n, p0, level=level)
    two_sided = binomial_test(correct, n, p0, alternative="two-sided", level=level)
    naive_ci = (two_sided.ci_low, two_sided.ci_high)
    if not 0 < p0 < 1:
        return ChanceTest(p0, NAN, NAN, NAN, naive, naive_ci, "chance level is 0 or 1")
    if not np.isfinite(accuracy.se):
        reason = accuracy.reason or "not computable"
        return ChanceTest(p0, NAN, NAN, NAN, naive, naive_ci, reason)
    p = float(sps.t.sf((accuracy.estimate - p0) / accuracy.se, accuracy.df))
    return ChanceTest(p0, p, accuracy.ci_low, accuracy.ci_high, naive, naive_ci)


@dataclass(frozen=True)
class SignalDetection:
    """Hit and false-alarm counts with their log-linear rates, d' and c; arrays per rater,
    or scalars pooled."""

    hits: np.ndarray
    signal_trials: np.ndarray
    false_alarms: np.ndarray
    noise_trials: np.ndarray
    hit_rate: np.ndarray
    false_alarm_rate: np.ndarray
    d_prime: np.ndarray
    c: np.ndarray


def sdt_measures(hits, signal_trials, false_alarms, noise_trials, *, correction: str = "loglinear"):
    """d' and criterion c (Macmillan & Creelman eqs. 1.5 and 2.1) from counts (scalars or
    arrays). `correction="loglinear"` (Hautus 1995) adds 0.5 to hits and false alarms and 1
    to the trials; `"none"` uses the raw rates (rates of 0 or 1 then give infinities). A
    side without trials gives NaN."""
    hits, signal_trials, false_alarms, noise_trials = (
        np.asarray(v, dtype=float) for v in (hits, signal_trials, false_alarms, noise_trials)
    )
    add, extra = (0.5, 1.0) if correction == "loglinear" else (0.0, 0.0)
    if correction not in ("loglinear", "none"):
        raise ValueError(f"unknown correction {correction!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        hit_rate = np.where(signal_trials > 0, (hits + add) / (signal_trials + extra), np.nan)
        fa_rate = np.where(noise_trials > 0, (false_alarms + add) / (noise_trials + extra), np.nan)
        z_hit, z_fa = special.ndtri(hit_rate), special.ndtri(fa_rate)
        return SignalDetection(
            hits,
            signal_trials,
            false_alarms,
            noise_trials,
            hit_rate,
            fa_rate,
            z_hit - z_fa,
            -(z_hit + z_fa) / 2 + 0.0,  # + 0.0: no lean is 0, never -0 (printed "-0.0")
        )


@dataclass(frozen=True)
class PooledSDT:
    counts: SignalDetection  # scalars
    d_prime: CrossedEstimate
    c: CrossedEstimate
    reason: str | None = None


def pooled_sdt(
    is_signal: np.ndarray,
    said_yes: np.ndarray,
    rater: np.ndarray,
    sample: np.ndarray,
    *,
    level: float = 0.95,
) -> PooledSDT:
    """Pooled d' and c over every guess (log-linear rates), with CIs from the crossed
    variance of their delta-method influence values."""
    is_signal = np.asarray(is_signal, dtype=bool)
    yes = np.asarray(said_yes, dtype=float)
    n_signal, n_noise = int(is_signal.sum()), int((~is_signal).sum())
    counts = sdt_measures(yes[is_signal].sum(), n_signal, yes[~is_signal].sum(), n_noise)
    if n_signal == 0 or n_noise == 0:
        missing = CrossedEstimate(NAN, NAN, NAN, NAN, NAN)
        reason = NO_SIGNAL_TRIALS if n_signal == 0 else NO_NOISE_TRIALS
        return PooledSDT(counts, missing, missing, reason)
    hit_rate, fa_rate = float(counts.hit_rate), float(counts.false_alarm_rate)
    # dz/dcount = 1 / ((trials + 1) phi(z)); a guess moves its own side's count only.
    slope_hit = 1 / ((n_signal + 1) * sps.norm.pdf(special.ndtri(hit_rate)))
    slope_fa = 1 / ((n_noise + 1) * sps.norm.pdf(special.ndtri(fa_rate)))
    on_hit = np.where(is_signal, (yes - hit_rate) * slope_hit, 0.0)
    on_fa = np.where(is_signal, 0.0, (yes - fa_rate) * slope_fa)
    d_prime = _estimate(float(counts.d_prime), on_hit - on_fa, rater, sample, level)
    c = _estimate(float(counts.c), -(on_hit + on_fa) / 2, rater, sample, level)
    return PooledSDT(counts, d_prime, c)


@dataclass(frozen=True)
class RaterDetection:
    """Per rater (in the order of their codes): guesses, right guesses, and the
    AI-involved signal detection measures (NaN where a side has no trials)."""

    labels: np.ndarray
    n: np.ndarray
    correct: np.ndarray
    accuracy: np.ndarray
    sdt: SignalDetection


@dataclass(frozen=True)
class Detection:
    n: int
    correct: int
    accuracy: CrossedEstimate
    n_raters: int
    n_samples: int
    uniform: ChanceTest
    majority: ChanceTest
    confusion: dict[str, dict[str, int]]
    per_group: dict[str, CrossedEstimate]
    per_rater: RaterDetection
    sdt: PooledSDT | None
    sdt_reason: str | None
    sdt_n: int


def _codes(values) -> tuple[np.ndarray, np.ndarray]:
    """(labels, codes): non-negative integers are their own codes (gaps allowed, labels
    0..max), anything else is coded in sorted order."""
    values = np.asarray(values)
    if values.dtype.kind in "iu" and (values.size == 0 or values.min() >= 0):
        return np.arange(int(values.max()) + 1 if values.size else 0), values.astype(np.intp)
    labels, codes = np.unique(values, return_inverse=True)
    return labels, codes.ravel()


def detection_summary(
    true: np.ndarray,
    guessed: np.ndarray,
    groups: Sequence[str],
    *,
    rater: np.ndarray,
    sample: np.ndarray,
    level: float = 0.95,
) -> Detection:
    """Accuracy against chance, per group and per rater, the confusion matrix {true:
    {guessed: count}} and the AI-involved signal detection, for guesses of `sample` by
    `rater` (non-negative integer codes, or any labels).

    `groups` are the k study groups (rows of the matrix, and 1/k chance); guesses naming
    anything else are counted wrong and get their own column.
    """
    true_values, true_code = _codes(np.asarray(true).astype(str))
    guess_values, guess_code = _codes(np.asarray(guessed).astype(str))
    rater_labels, rater = _codes(rater)
    sample = _codes(sample)[1]
    # Every label in one list: the groups first, then other guesses; codes index into it.
    labels = list(groups) + sorted(set(guess_values.tolist()) - set(groups))
    index = {label: i for i, label in enumerate(labels)}
    true = np.array([index.get(v, -1) for v in true_values.tolist()], dtype=int)[true_code]
    guess = np.array([index[v] for v in guess_values.tolist()], dtype=int)[guess_code]
    n, k = int(true.size), len(groups)
    right = (true == guess).astype(float)
    correct = int(right.sum())
    known = true >= 0
    cells = np.bincount(true[known] * len(labels) + guess[known], minlength=len(labels) ** 2)
    cells = cells.reshape(len(labels), len(labels))
    confusion = {g: {label: int(cells[index[g], index[label]]) for label in labels} for g in groups}
    accuracy = crossed_proportion(right, rater, sample, level=level)
    uniform = chance_test(accuracy, correct, n, 1 / k if k else NAN, level=level)
    majority_share = float(cells[:k].sum(axis=1).max() / n) if n and k else NAN
    majority = chance_test(accuracy, correct, n, majority_share, level=level)
    per_group = {}
    for g in groups:
        rows = true == index[g]
        per_group[g] = crossed_proportion(right[rows], rater[rows], sample[rows], level=level)

    n_raters = int(rater.max()) + 1 if n else 0
    per_rater_n = np.bincount(rater, minlength=n_raters)
    per_rater_correct = np.bincount(rater, weights=right, minlength=n_raters)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_rater_accuracy = per_rater_correct / per_rater_n

    signal_keys, noise_keys = set(SIGNAL_GROUPS), set(NOISE_GROUPS)
    side = np.array([1 if v in signal_keys else 0 if v in noise_keys else -1 for v in labels])
    true_side = side[np.maximum(true, 0)] if n else np.zeros(0, int)
    true_side = np.where(known, true_side, -1)
    guess_side = side[guess]
    is_signal = true_side == 1
    used = (true_side >= 0) & (guess_side >= 0)
    yes = (guess_side == 1) & used
    sdt_reason = None
    if not (noise_keys & set(groups) and signal_keys & set(groups)):
        sdt_reason = NO_SDT_GROUPS
    rater_sdt = sdt_measures(
        np.bincount(rater, weights=(yes & is_signal), minlength=n_raters),
        np.bincount(rater, weights=(used & is_signal), minlength=n_raters),
        np.bincount(rater, weights=(yes & ~is_signal), minlength=n_raters),
        np.bincount(rater, weights=(used & ~is_signal), minlength=n_raters),
    )
    pooled = None
    if sdt_reason is None:
        pooled = pooled_sdt(is_signal[used], yes[used], rater[used], sample[used], level=level)
    per_rater = RaterDetection(
        rater_labels, per_rater_n, per_rater_correct, per_rater_accuracy, rater_sdt
    )
    return Detection(
        n=n,
        correct=correct,
        accuracy=accuracy,
        n_raters=int(np.count_nonzero(per_rater_n)),
        n_samples=_present(sample),
        uniform=uniform,
        majority=majority,
        confusion=confusion,
        per_group=per_group,
        per_rater=per_rater,
        sdt=pooled,
        sdt_reason=sdt_reason,
        sdt_n=int(used.sum()),
    )
