"""The plots of an analysis, rendered as PNG bytes in the job from the results document and
the ratings frame.

Matplotlib's object-oriented API with the Agg canvas: no pyplot, no global figure state,
no display. The PNGs carry no software version or timestamp, and the style is fixed here
rather than read from the user's matplotlibrc, so the same inputs give the same bytes on
the same matplotlib.
"""

import io
import math
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.stats import descriptives

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "savefig.dpi": 100,
    "svg.hashsalt": "blindrate",
}
COLOURS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3"]
CLAIM_COLOUR = "#B22222"


@dataclass(frozen=True)
class Plot:
    key: str
    title: str
    png: bytes


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def _labels(order: list[str], labels: dict[str, str]) -> list[str]:
    return [labels.get(key, key) for key in order]


def distributions(document: dict, order: list[str], labels: dict[str, str]) -> Figure:
    """One histogram of scores per group, on a shared score axis."""
    groups = document.get("groups") or {}
    n = max(1, len(order))
    figure = Figure(figsize=(7, 1.2 + 1.6 * n), layout="constrained")
    axes = figure.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    for index, (key, label) in enumerate(zip(order, _labels(order, labels), strict=True)):
        ax = axes[index]
        histogram = (groups.get(key) or {}).get("histogram") or {}
        scores = np.array([float(s) for s in histogram], dtype=float)
        counts = np.array(list(histogram.values()), dtype=float)
        if scores.size:
            steps = np.diff(np.sort(scores))
            width = 0.8 * (float(steps[steps > 0].min()) if (steps > 0).any() else 1.0)
            ax.bar(scores, counts, width=width, color=COLOURS[index % len(COLOURS)])
            mean = (groups.get(key) or {}).get("mean")
            if mean is not None:
                ax.axvline(mean, color="black", linewidth=1, linestyle="--")
        else:
            ax.text(0.5, 0.5, "no ratings", transform=ax.transAxes, ha="center")
        total = int(counts.sum())
        ax.set_title(f"{label} ({total} ratings)", loc="left", fontsize=10)
        ax.set_ylabel("ratings")
    axes[-1].set_xlabel("score (dashed line: mean)")
    figure.suptitle("Score distributions by group")
    return figure


def means_against_claims(
    document: dict, order: list[str], labels: dict[str, str], margin: float | None
) -> Figure:
    """Each group's mean with its 95% CI from the mixed model, and the claimed mean."""
    means = ((document.get("model") or {}).get("means")) or {}
    raw = document.get("groups") or {}
    claimed = {
        claim["groups"][0]: claim.get("claimed")
        for claim in document.get("claims") or []
        if claim.get("kind") == "mean" and claim.get("groups")
    }
    figure = Figure(figsize=(7, 1.5 + 0.7 * max(1, len(order))), layout="constrained")
    ax = figure.subplots()
    y = np.arange(len(order))[::-1]
    shown_claim = False
    for row, key in zip(y, order, strict=True):
        entry = means.get(key) or {}
        estimate = _number(entry.get("estimate", (raw.get(key) or {}).get("mean")))
        ci = entry.get("ci95") or (raw.get(key) or {}).get("ci95") or [None, None]
        low, high = _number(ci[0]), _number(ci[1])
        if math.isfinite(estimate):
            ax.plot([estimate], [row], "o", color="black")
        if math.isfinite(low) and math.isfinite(high):
            ax.hlines(row, low, high, color="black", linewidth=2)
        value = claimed.get(key)
        if value is not None:
            if margin:
                ax.hlines(
                    row,
                    value - margin,
                    value + margin,
                    color=CLAIM_COLOUR,
                    alpha=0.25,
                    linewidth=10,
                )
            ax.plot(
                [value],
                [row],
                "x",
                color=CLAIM_COLOUR,
                markersize=10,
                mew=2,
                label=None if shown_claim else "claimed mean",
            )
            shown_claim = True
    ax.set_yticks(y, _labels(order, labels))
    ax.set_xlabel("mean score and 95% CI (black); claim (red) ± equivalence margin")
    method = (document.get("model") or {}).get("method")
    source = f"mixed model, {method.upper()}" if method else "raw means"
    ax.set_title(f"Group means ({source}) against the claims", loc="left")
    if shown_claim:
        ax.legend(loc="best", frameon=False)
    ax.margins(y=0.3)
    return figure


def _codes(values: np.ndarray) -> np.ndarray:
    """Integer codes of a string column (hashed, exact: `descriptives.string_codes`)."""
    return descriptives.string_codes(values)[1]


def leniency(frame) -> Figure:
    """How much each rater scores above or below others on the same samples: the mean of
    (score - the sample's mean score) over the rater's ratings, one value per rater."""
    figure = Figure(figsize=(7, 3.5), layout="constrained")
    ax = figure.subplots()
    regular = np.isnan(np.asarray(frame.attention_low, dtype=float))
    scores = np.asarray(frame.score, dtype=float)[regular]
    deviations = np.array([], dtype=float)
    if scores.size:
        sample_codes = _codes(frame.sample[regular])
        rater_codes = _codes(frame.participant[regular])
        sample_mean = np.bincount(sample_codes, weights=scores) / np.bincount(sample_codes)
        residual = scores - sample_mean[sample_codes]
        per_rater = np.bincount(rater_codes)
        deviations = np.bincount(rater_codes, weights=residual) / per_rater
    if deviations.size:
        bins = min(40, max(5, int(np.sqrt(deviations.size))))
        ax.hist(deviations, bins=bins, color=COLOURS[0])
        ax.axvline(0, color="black", linewidth=1)
    else:
        ax.text(0.5, 0.5, "no ratings", transform=ax.transAxes, ha="center")
    ax.set_xlabel("rater's mean deviation from the sample's mean score (points)")
    ax.set_ylabel("raters")
    ax.set_title(f"Rater leniency ({deviations.size} raters)", loc="left")
    return figure


def rater_accuracy(document: dict) -> Figure:
    """Each rater's share of right source guesses (a histogram), against chance (1/k) and
    the pooled accuracy with its 95% CI from the test that respects raters and samples."""
    found = document.get("detection") or {}
    accuracies = np.array(
        [_number(r.get("accuracy")) for r in found.get("per_participant") or []], dtype=float
    )
    accuracies = accuracies[np.isfinite(accuracies)]
    figure = Figure(figsize=(7, 3.5), layout="constrained")
    ax = figure.subplots()
    if accuracies.size:
        ax.hist(accuracies, bins=np.linspace(0, 1, 21), color=COLOURS[0])
    else:
        ax.text(0.5, 0.5, "no guesses", transform=ax.transAxes, ha="center")
    chance = _number((found.get("chance_uniform") or {}).get("p0"))
    if math.isfinite(chance):
        ax.axvline(chance, color=CLAIM_COLOUR, linewidth=1.5, linestyle="--", label="chance")
    pooled = _number(found.get("accuracy"))
    low, high = (_number(v) for v in (found.get("chance_uniform") or {}).get("ci95") or [None] * 2)
    if math.isfinite(low) and math.isfinite(high):
        ax.axvspan(low, high, color="black", alpha=0.12, label="95% CI", zorder=0)
    if math.isfinite(pooled):
        ax.axvline(pooled, color="black", linewidth=1.5, label="all guesses")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the rater's source guesses that were right")
    ax.set_ylabel("raters")
    ax.set_title(f"Source-guess accuracy per rater ({accuracies.size} raters)", loc="left")
    if math.isfinite(chance) or math.isfinite(pooled):
        ax.legend(loc="best", frameon=False)
    return figure


def pairwise_preference(document: dict, order: list[str], labels: dict[str, str]) -> Figure:
    """A pairwise study: each group's Bradley-Terry ability with its 95% CI (left), and the
    win rate of the row group over the column group, ties counted half (right)."""
    section = document.get("pairwise_preference") or {}
    abilities = (section.get("bradley_terry") or {}).get("abilities") or {}
    reference = (section.get("bradley_terry") or {}).get("reference")
    order = list(order) or list(abilities)
    k = max(1, len(order))
    figure = Figure(figsize=(10, 1.8 + 0.6 * k), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[1, 1])
    y = np.arange(len(order))[::-1]
    for row, key in zip(y, order, strict=True):
        entry = abilities.get(key) or {}
        estimate = _number(entry.get("estimate"))
        low, high = (_number(v) for v in entry.get("ci95") or [None, None])
        if math.isfinite(estimate):
            left.plot([estimate], [row], "o", color="black")
        if math.isfinite(low) and math.isfinite(high):
            left.hlines(row, low, high, color="black", linewidth=2)
    left.axvline(0, color=CLAIM_COLOUR, linewidth=1, linestyle="--")
    left.set_yticks(y, _labels(order, labels))
    left.set_xlabel(f"ability (log-odds) and 95% CI; {labels.get(reference, reference)} = 0")
    left.set_title("Bradley-Terry abilities", loc="left")
    left.margins(y=0.3)
    matrix = np.full((len(order), len(order)), np.nan)
    index = {key: i for i, key in enumerate(order)}
    for entry in section.get("win_rates") or []:
        a, b = entry.get("groups") or [None, None]
        rate = _number(entry.get("rate"))
        if a in index and b in index and math.isfinite(rate):
            matrix[index[a], index[b]], matrix[index[b], index[a]] = rate, 1 - rate
    right.imshow(matrix, cmap="RdBu", vmin=0, vmax=1)
    right.grid(False)
    for i, j in np.ndindex(matrix.shape):
        if math.isfinite(matrix[i, j]):
            right.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center")
    right.set_xticks(np.arange(len(order)), _labels(order, labels))
    right.set_yticks(np.arange(len(order)), _labels(order, labels))
    right.set_xlabel("against")
    right.set_title("Win rate of the row group (ties half)", loc="left")
    return figure


def similarity_by_group(document: dict, order: list[str], labels: dict[str, str]) -> Figure:
    """Each group's mean within-brief similarity with its 95% CI: semantic (embeddings)
    and word (TF-IDF), on a shared 0-1 axis."""
    found = (document.get("diversity") or {}).get("groups") or {}
    keys = [key for key in order if key in found] + [key for key in found if key not in order]
    figure = Figure(figsize=(7, 1.6 + 0.8 * max(1, len(keys))), layout="constrained")
    ax = figure.subplots()
    y = np.arange(len(keys))[::-1]
    measures = (
        ("semantic_similarity", "semantic (sentence embeddings)", "o", "black", 0.12),
        ("tfidf_similarity", "words (TF-IDF)", "s", COLOURS[0], -0.12),
    )
    labelled = set()
    for measure, name, marker, colour, offset in measures:
        for row, key in zip(y, keys, strict=True):
            entry = (found.get(key) or {}).get(measure) or {}
            mean = _number(entry.get("mean"))
            low, high = (_number(v) for v in entry.get("ci95") or [None, None])
            if math.isfinite(low) and math.isfinite(high):
                ax.hlines(row + offset, low, high, color=colour, linewidth=2)
            if math.isfinite(mean):
                ax.plot(
                    [mean],
                    [row + offset],
                    marker,
                    color=colour,
                    label=None if name in labelled else name,
                )
                labelled.add(name)
            elif measure == "semantic_similarity":
                ax.text(
                    0.5,
                    row,
                    "no pairs of samples for the same brief",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="grey",
                )
    ax.set_yticks(y, _labels(keys, labels))
    ax.set_xlim(0, 1)
    ax.set_xlabel("mean similarity of two samples of the group for the same brief, 95% CI")
    ax.set_title("Similarity within groups (higher: more alike)", loc="left")
    if labelled:
        ax.legend(loc="best", frameon=False)
    ax.margins(y=0.3)
    return figure


def plots_render(
    *, document: dict, frame, order: list[str], labels: dict[str, str], margin: float | None
) -> list[Plot]:
    with matplotlib.rc_context(STYLE):
        if document.get("pairwise_preference"):
            figures = [
                (
                    "pairwise",
                    "Abilities and win rates",
                    pairwise_preference(document, order, labels),
                )
            ]
        else:
            figures = [
                (
                    "distributions",
                    "Score distributions by group",
                    distributions(document, order, labels),
                ),
                (
                    "means",
                    "Group means against the claims",
                    means_against_claims(document, order, labels, margin),
                ),
                ("leniency", "Rater leniency", leniency(frame)),
            ]
        if (document.get("diversity") or {}).get("groups"):
            figures.append(
                (
                    "diversity",
                    "Similarity of samples within groups",
                    similarity_by_group(document, order, labels),
                )
            )
        if document.get("detection"):
            figures.append(
                ("detection", "Source-guess accuracy per rater", rater_accuracy(document))
            )
        return [Plot(key=key, title=title, png=_png(figure)) for key, title, figure in figures]


def plan_png(plan: dict) -> bytes:
    """A plan's probability of the right verdict against samples per group, one line per
    number of ratings per sample, with the target and the planned design marked."""
    grid = plan.get("grid") or {}
    recommendation = plan.get("recommendation") or {}
    design = plan.get("design") or {}
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(7, 3.6), layout="constrained")
        ax = figure.subplots()
        samples = grid.get("samples_per_group") or []
        for index, (k, row) in enumerate(
            zip(
                grid.get("ratings_per_sample") or [], grid.get("p_right_verdict") or [], strict=True
            )
        ):
            ax.plot(
                samples,
                row,
                "-o",
                markersize=3,
                color=COLOURS[index % len(COLOURS)],
                label=f"{k} ratings per sample",
            )
        target = recommendation.get("target")
        if target is not None:
            ax.axhline(target, color=CLAIM_COLOUR, linestyle="--", linewidth=1, label="target")
        if design.get("samples_per_group"):
            ax.axvline(
                design["samples_per_group"],
                color="grey",
                linewidth=1,
                label="this design's samples",
            )
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("samples per group")
        ax.set_ylabel("P(right verdict on every claim)")
        ax.set_title("Probability of the right verdict (analytic)", loc="left")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
        return _png(figure)
