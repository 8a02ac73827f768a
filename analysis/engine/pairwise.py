"""The `pairwise_preference` section of a pairwise study: which of two samples raters
preferred, from a `ComparisonsFrame` (one row per comparison), by `analysis.stats.pairwise`.

- `win_rates`: one entry per pair of different groups (in group order, [a, b] with a
  first): comparisons of an a sample with a b sample, `rate` = (wins of a + ties / 2) / n,
  its 95% CI from the crossed (rater and sample) cluster-robust variance, the pigeonhole
  bootstrap interval as an extra (`ci95_bootstrap`, seeded, conservative) and
  `p_binomial` from an exact binomial test of wins against losses (ties left out) that
  treats comparisons as independent: naive, for comparison only.
- `bradley_terry`: group abilities (log-odds scale, `reference` fixed at 0: the first
  group in the group order unless one is named), the first-position (A) effect and
  `p_first_position` = logistic(effect), the probability of choosing A between equally
  good samples; Davidson's tie parameter when there are ties. SEs from the observed
  information. Per-sample abilities are an extra (`sample_abilities`, centred on the mean
  of the samples that can be fitted together).
- `claims`: every claimed ordering, judged on the win rate: claimed means imply one
  ordering per pair of groups (the higher claimed mean preferred), a claimed difference
  one, and a `ClaimSpec` of kind "ordering" (groups (preferred, other)) states one;
  pairwise data say nothing about absolute numbers (`absolute_values`). The verdict uses
  the 1 - alpha interval (`ci`); `ci95` is shown beside it.
- `agreement`: raters of the same sample pair who made the same choice, against chance.

Comparisons of two samples of one group count for the position effect and the
per-sample abilities only. `strength` is not used.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import special

from analysis.engine.inputs import ERROR_FRAME, ClaimSpec
from analysis.engine.parameters import CI_LEVEL
from analysis.engine.reasons import with_reasons
from analysis.stats import descriptives
from analysis.stats import pairwise as stats

CHOICES = {"a": stats.A, "b": stats.B, "tie": stats.TIE}
# Resamples of the pigeonhole bootstrap: an extra beside the crossed interval, and at a
# million comparisons each resample costs about as much as the whole rest of the section.
N_PIGEONHOLE = 200
SAMPLE_TOL = 1e-3  # Newton's stopping step for per-sample abilities (their SEs are ~0.3)
POSITION_MARGIN = 0.05  # |P(A) - 0.5| beyond which a clear position bias is warned about
POSITION_WARNING = (
    "raters chose the sample shown first (A) with probability {p:.2f} (95% CI {low:.2f} to "
    "{high:.2f}) between equally good samples: a position bias; check that A and B were "
    "counterbalanced"
)
ABSOLUTE_VALUES = (
    "pairwise data show which group raters preferred, not how good each is: claimed "
    "means are checked only for the orderings they imply, never as absolute numbers"
)
TIES_NOT_ALLOWED = (
    "the study does not allow ties, yet some comparisons are ties: fitted with Davidson's ties"
)
TIES_HALF = "ties count as half a win for each side"
SE_NOTE = (
    "Bradley-Terry standard errors come from the observed information and treat "
    "comparisons as independent; win rates and ordering verdicts use the crossed "
    "(rater and sample) variance"
)
WIN_RATE_METHOD = (
    "t interval on min(raters, samples) - 1 df with the multiway (rater and sample) "
    "cluster-robust variance; ci95_bootstrap: pigeonhole bootstrap over raters and samples "
    "(percentile of 200 resamples, seeded, conservative); p_binomial: exact binomial test "
    "of wins against losses, ties left out, treating comparisons as independent (naive)"
)
REFERENCE_SE = "the reference: fixed at 0"
NO_GROUP_COMPARISONS = "no comparisons between these groups"
NO_BETWEEN_GROUPS = "no comparisons between samples of different groups"


@dataclass
class ComparisonsFrame:
    """One row per comparison of ONE criterion; numpy arrays of equal length."""

    participant: np.ndarray  # str pseudonyms
    sample_a: np.ndarray  # str sample ids, shown first (A)
    sample_b: np.ndarray
    group_a: np.ndarray  # str group keys
    group_b: np.ndarray
    choice: np.ndarray  # "a", "b" or "tie"
    strength: np.ndarray  # "", "slightly", "clearly" or "much"
    seconds: np.ndarray  # float, NaN when unknown


@dataclass(frozen=True)
class CodedComparisons:
    """Integer codes: groups over `keys`, samples and participants compact."""

    rater: np.ndarray
    sample_a: np.ndarray
    sample_b: np.ndarray
    sample_names: np.ndarray
    sample_group: np.ndarray
    group_a: np.ndarray
    group_b: np.ndarray
    outcome: np.ndarray
    n_participants: int

    @classmethod
    def build(cls, frame: ComparisonsFrame, keys: list[str]) -> "CodedComparisons":
        names = ("participant", "sample_a", "sample_b", "group_a", "group_b", "choice")
        columns = [np.asarray(getattr(frame, name)) for name in names]
        if len({c.shape for c in columns}) != 1 or columns[0].ndim != 1:
            raise ValueError(ERROR_FRAME)
        participant, sample_a, sample_b, group_a, group_b, choice = (
            c if c.dtype.kind == "U" else c.astype(str) for c in columns
        )
        n = choice.size
        outcome = np.full(n, -1, dtype=np.int64)
        for name, code in CHOICES.items():
            outcome[choice == name] = code
        if np.any(outcome < 0):
            unknown = sorted(set(choice[outcome < 0].tolist()))
            raise ValueError(f"unknown choices {', '.join(map(repr, unknown))} (known: a, b, tie)")
        groups = np.full(2 * n, -1, dtype=np.int64)
        both = np.concatenate([group_a, group_b])
        for code, key in enumerate(keys):
            groups[both == key] = code
        if np.any(groups < 0):
            raise ValueError(f"groups not in the keys: {sorted(set(both[groups < 0].tolist()))}")
        names, rater = descriptives.string_codes(participant)
        sample_names, samples = descriptives.string_codes(np.concatenate([sample_a, sample_b]))
        sample_group = np.full(sample_names.size, -1, dtype=np.int64)
        sample_group[samples] = groups
        return cls(
            rater=rater,
            sample_a=samples[:n],
            sample_b=samples[n:],
            sample_names=sample_names,
            sample_group=sample_group,
            group_a=groups[:n],
            group_b=groups[n:],
            outcome=outcome,
            n_participants=len(names),
        )


def _interval(low, high) -> list:
    return [low, high]


def _ability(estimate, se, reason=None) -> dict:
    low, high = stats.wald_interval(estimate, se, level=CI_LEVEL)
    return with_reasons(
        {"estimate": estimate, "se": se, "ci95": [low, high]}, reason or "not computable"
    )


def win_rate_entries(data: CodedComparisons, keys: list[str], *, seed: int) -> list[dict]:
    """One entry per pair of different groups, in group order."""
    k = len(keys)
    pairs = list(combinations(range(k), 2))
    index = np.full((max(k, 1), max(k, 1)), -1, dtype=np.int64)
    for c, (i, j) in enumerate(pairs):
        index[i, j] = index[j, i] = c
    cell = index[data.group_a, data.group_b] if data.outcome.size else np.zeros(0, np.int64)
    first_wins = np.where(data.outcome == stats.TIE, 0.5, (data.outcome == stats.A) * 1.0)
    # y: 1 when the pair's first group (in group order) won, 0.5 for a tie.
    y = np.where(data.group_a < data.group_b, first_wins, 1 - first_wins)
    boot = stats.pigeonhole_bootstrap(
        y,
        cell,
        data.rater,
        data.sample_a,
        data.sample_b,
        n_cells=len(pairs),
        n_resamples=N_PIGEONHOLE,
        rng=np.random.default_rng([seed, 16]),
        level=CI_LEVEL,
    )
    out = []
    for c, (i, j) in enumerate(pairs):
        rows = cell == c
        yc = y[rows]
        rater, sa, sb = data.rater[rows], data.sample_a[rows], data.sample_b[rows]
        share = stats.crossed_share(yc, rater, sa, sb, level=CI_LEVEL)
        wins, ties = int(np.count_nonzero(yc == 1)), int(np.count_nonzero(yc == 0.5))
        losses = int(yc.size) - wins - ties
        entry = {
            "groups": [keys[i], keys[j]],
            "n": int(yc.size),
            "wins": wins,
            "losses": losses,
            "ties": ties,
            "rate": share.estimate,
            "se": share.se,
            "df": share.df,
            "ci95": _interval(share.ci_low, share.ci_high),
            "ci95_bootstrap": boot[c].tolist(),
            "p_binomial": stats.binomial_naive(wins, losses),
        }
        reason = NO_GROUP_COMPARISONS if not yc.size else share.reason
        only_ties = stats.ONLY_TIES if yc.size and not wins + losses else None
        out.append(with_reasons(entry, reason or "not computable", p_binomial=only_ties))
    return out


def _group_fit(data: CodedComparisons, k: int, reference: int, ties: bool):
    """The group-level fit on counts of (first group, second group, outcome)."""
    cells = np.bincount(
        (data.group_a * k + data.group_b) * 3 + data.outcome, minlength=k * k * 3
    ).astype(float)
    code = np.arange(k * k * 3)
    used = cells > 0
    first, second, outcome = (code // 3) // k, (code // 3) % k, code % 3
    connected = stats.strongly_connected(first[used], second[used], outcome[used], k)
    if not np.all(
        connected
        | (np.bincount(first[used], minlength=k) + np.bincount(second[used], minlength=k) == 0)
    ):
        return None, stats.NOT_CONNECTED
    fit = stats.bradley_terry(
        first[used],
        second[used],
        outcome[used],
        k,
        weight=cells[used],
        reference=reference,
        ties=ties,
    )
    return fit, fit.reason


def bradley_terry_entry(data: CodedComparisons, keys, reference: int, ties: bool) -> dict:
    k = len(keys)
    fit, reason = (None, stats.NO_COMPARISONS) if not data.outcome.size else (None, None)
    if reason is None:
        fit, reason = _group_fit(data, k, reference, ties)
    absent = [g for g in range(k) if not np.any((data.group_a == g) | (data.group_b == g))]
    abilities = {}
    for g, key in enumerate(keys):
        if fit is None or reason is not None or g in absent:
            why = "no comparisons of this group" if g in absent else reason
            abilities[key] = _ability(None, None, why)
        elif g == reference:
            abilities[key] = _ability(0.0, None, REFERENCE_SE)
        else:
            abilities[key] = _ability(float(fit.ability[g]), float(fit.ability_se[g]))
    usable = fit is not None and reason is None
    delta = fit.position if usable else None
    delta_se = fit.position_se if usable else None
    position = _ability(delta, delta_se, reason)
    low, high = position["ci95"]
    p_first = float(stats.logistic(delta)) if usable else None
    p_ci = (
        [float(stats.logistic(low)), float(stats.logistic(high))]
        if usable and low is not None and np.isfinite(low)
        else [None, None]
    )
    position["p"] = stats.wald_p(delta, delta_se) if usable else None
    warning = None
    clear = usable and p_ci[0] is not None and (p_ci[0] > 0.5 or p_ci[1] < 0.5)
    if clear and abs(p_first - 0.5) > POSITION_MARGIN:
        warning = POSITION_WARNING.format(p=p_first, low=p_ci[0], high=p_ci[1])
    entry = {
        "reference": keys[reference] if keys else None,
        "scale": "log-odds (logit P(a chosen over b) = ability_a - ability_b)",
        "abilities": abilities,
        "position_effect": position,
        "p_first_position": p_first,
        "p_first_position_ci95": p_ci,
        "position_warning": warning,
        "ties_model": "davidson" if ties else "none",
        "tie_parameter": None,
        "se_method": stats.EXACT_SE,
        "se_note": SE_NOTE,
    }
    if usable and ties:
        entry["tie_parameter"] = _ability(fit.tie, fit.tie_se)
        entry["tie_parameter"]["name"] = "log nu (Davidson)"
    result = with_reasons(
        entry,
        reason or "not computable",
        position_warning=None if reason else "no clear position bias",
    )
    if entry["tie_parameter"] is None and not ties:
        result["reasons"]["tie_parameter"] = "no ties: the model has no tie parameter"
    return result


def sample_abilities_entry(
    data: CodedComparisons, keys: list[str], ties: bool, group_ability=None
) -> dict:
    """Per-sample abilities (an extra), centred on the mean of the fitted samples; Newton
    starts from each sample's group ability (`group_ability`, by group code) when given."""
    n = data.sample_names.size
    if data.outcome.size == 0:
        return {"method": None, "sample": [], "reasons": {"method": stats.NO_COMPARISONS}}
    fitted = stats.strongly_connected(data.sample_a, data.sample_b, data.outcome, n)
    codes = np.full(n, -1, dtype=np.int64)
    codes[fitted] = np.arange(int(fitted.sum()))
    rows = fitted[data.sample_a] & fitted[data.sample_b]
    m = int(fitted.sum())
    estimate = np.full(n, np.nan)
    se = np.full(n, np.nan)
    method, reason = None, None
    if m >= 2:
        start = np.zeros(m)
        if group_ability is not None:
            start = np.nan_to_num(group_ability[data.sample_group[fitted]])
        fit = stats.bradley_terry(
            codes[data.sample_a[rows]],
            codes[data.sample_b[rows]],
            data.outcome[rows],
            m,
            ties=ties and bool(np.any(data.outcome[rows] == stats.TIE)),
            tol=SAMPLE_TOL,
            start=start,
        )
        reason = fit.reason
        centred = fit.ability - fit.ability.mean()
        if fit.covariance is not None:
            full = np.zeros((m, m))
            full[1:, 1:] = fit.covariance[: m - 1, : m - 1]
            variance = np.diag(full) - 2 * full.mean(axis=1) + full.mean()
        elif fit.se_method == stats.APPROXIMATE_SE and reason is None:
            # The reference's own variance is not in the diagonal: the median stands in.
            variance = fit.ability_se**2
            variance[fit.reference] = np.nanmedian(variance)
        else:
            variance = np.full(m, np.nan)
        estimate[fitted] = centred
        se[fitted] = np.sqrt(np.clip(variance, 0, None))
        method = fit.se_method
    if reason is not None:
        estimate[:] = se[:] = np.nan
    half = float(special.ndtri((1 + CI_LEVEL) / 2)) * se
    group_names = np.array(keys, dtype=object)[data.sample_group].tolist()
    return {
        "layout": "one list per field, one entry per sample (null where not fitted)",
        "method": method,
        "centred_on": "the mean of the fitted samples",
        "n_fitted": m,
        "sample": data.sample_names.tolist(),
        "group": group_names,
        "estimate": estimate.tolist(),
        "se": se.tolist(),
        "ci95_low": (estimate - half).tolist(),
        "ci95_high": (estimate + half).tolist(),
        "reasons": {"estimate": reason or f"null for samples left out: {stats.NOT_CONNECTED}"},
    }


def ordering_claims(specs: Sequence[ClaimSpec], keys: list[str], notes: list[str]):
    """(preferred, other, source) for every ordering the claims imply, without repeats."""
    means = {spec.groups[0]: (spec.value, spec.source) for spec in specs if spec.kind == "mean"}
    out: list[tuple[str, str, str]] = []
    ranked = sorted(means, key=lambda g: keys.index(g) if g in keys else len(keys))
    for a, b in combinations(ranked, 2):
        if means[a][0] == means[b][0]:
            notes.append(f"claimed means of {a} and {b} are equal: no ordering to check")
            continue
        high, low = (a, b) if means[a][0] > means[b][0] else (b, a)
        source = f"claimed means {high} {means[high][0]:g} > {low} {means[low][0]:g}"
        out.append((high, low, source))
    for spec in specs:
        if spec.kind == "ordering":
            out.append((spec.groups[0], spec.groups[1], spec.source or "claimed ordering"))
            continue
        if spec.kind != "difference":
            continue
        a, b = spec.groups
        if spec.value == 0:
            notes.append(f"claimed difference {a} - {b} = 0 implies no ordering")
            continue
        high, low = (a, b) if spec.value > 0 else (b, a)
        out.append((high, low, spec.source or f"claimed difference {a} - {b} = {spec.value:g}"))
    seen, unique = set(), []
    for high, low, source in out:
        if (high, low) not in seen:
            seen.add((high, low))
            unique.append((high, low, source))
    return unique


def claim_entries(orderings, data: CodedComparisons, keys, alpha: float) -> list[dict]:
    out = []
    for high, low, source in orderings:
        entry = {
            "kind": "ordering",
            "groups": [high, low],
            "source": source,
            "probability": None,
            "ci95": [None, None],
            "ci": [None, None],
            "ci_level": 1 - alpha,
            "verdict": None,
        }
        if high not in keys or low not in keys:
            out.append(with_reasons(entry, "a group of this claim is not in the study"))
            continue
        i, j = keys.index(high), keys.index(low)
        rows = ((data.group_a == i) & (data.group_b == j)) | (
            (data.group_a == j) & (data.group_b == i)
        )
        won = np.where(
            data.group_a[rows] == i, data.outcome[rows] == stats.A, data.outcome[rows] == stats.B
        )
        y = won + 0.5 * (data.outcome[rows] == stats.TIE)
        clusters = data.rater[rows], data.sample_a[rows], data.sample_b[rows]
        share = stats.crossed_share(y, *clusters, level=CI_LEVEL)
        low, high = stats.share_interval(share, level=1 - alpha)
        entry["probability"] = share.estimate
        entry["ci"] = [low, high]
        entry["ci95"] = [share.ci_low, share.ci_high]
        entry["verdict"] = stats.ordering_verdict(low, high)
        reason = NO_GROUP_COMPARISONS if not y.size else share.reason
        out.append(with_reasons(entry, reason or "not computable"))
    return out


def agreement_entry(data: CodedComparisons) -> dict:
    result = stats.pair_agreement(data.rater, data.sample_a, data.sample_b, data.outcome)
    return with_reasons(
        {
            "pairs_with_two_raters": result.pairs_with_two_raters,
            "rate": result.rate,
            "chance": result.chance,
            "kappa": result.kappa,
            "method": "share of rater pairs of one sample pair making the same choice "
            "(the same sample, or both a tie), averaged over sample pairs; chance from "
            "the observed tie share",
        },
        "no sample pair was compared by two raters"
        if not result.pairs_with_two_raters
        else "not computable",
        chance=stats.NO_COMPARISONS,
    )


def pairwise_section(
    frame: ComparisonsFrame,
    *,
    keys: list[str],
    claims: Sequence[ClaimSpec] = (),
    ties_allowed: bool | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    reference: str | None = None,
    notes: list[str] | None = None,
    progress=None,
) -> dict:
    """The `pairwise_preference` section (not yet JSON-safe); see the module docstring.
    `keys` are every group in display order; remarks go to `notes`; `progress(stage,
    percent)` hears of each stage as it starts."""
    notes = [] if notes is None else notes
    report = progress or (lambda stage, percent: None)
    data = CodedComparisons.build(frame, keys)
    has_ties = bool(np.any(data.outcome == stats.TIE))
    if ties_allowed is None:
        ties_allowed = has_ties
    elif not ties_allowed and has_ties:
        notes.append(TIES_NOT_ALLOWED)
    if reference is not None and reference not in keys:
        raise ValueError(f"unknown reference group {reference!r} (groups: {', '.join(keys)})")
    ref = keys.index(reference) if reference is not None else 0
    between = data.group_a != data.group_b
    if data.outcome.size and not np.any(between):
        notes.append(NO_BETWEEN_GROUPS)
    report("win rates", 20)
    win_rates = win_rate_entries(data, keys, seed=seed)
    report("Bradley-Terry", 45)
    bt = bradley_terry_entry(data, keys, ref, has_ties)
    if bt["position_warning"]:
        notes.append(bt["position_warning"])
    group_ability = np.array(
        [np.nan if a["estimate"] is None else a["estimate"] for a in bt["abilities"].values()]
    )
    report("sample abilities", 50)
    bt["sample_abilities"] = sample_abilities_entry(data, keys, has_ties, group_ability)
    report("claims and agreement", 85)
    orderings = ordering_claims(claims, keys, notes)
    return {
        "n_comparisons": int(data.outcome.size),
        "n_participants": data.n_participants,
        "n_samples": int(data.sample_names.size),
        "n_ties": int(np.count_nonzero(data.outcome == stats.TIE)),
        "ties_allowed": bool(ties_allowed),
        "ties": TIES_HALF,
        "win_rate_method": WIN_RATE_METHOD,
        "win_rates": win_rates,
        "bradley_terry": bt,
        "claims": claim_entries(orderings, data, keys, alpha),
        "absolute_values": ABSOLUTE_VALUES,
        "agreement": agreement_entry(data),
    }
