"""A rating study's results in words: a plain sentence per claim, the rows of the claims,
groups and variance tables, and `analyze`'s summary."""

import math

from analysis.presentation.detection import detection_sentence
from analysis.presentation.diversity import diversity_sentence
from analysis.presentation.formats import NOT_CHECKED, interval, model_method, number, p_value

VERDICT_EXPLANATIONS = {
    "supported": (
        "the equivalence test (TOST) shows the true value is within ±{margin} of the claim"
    ),
    "contradicted": "the 95% confidence interval excludes the claimed value",
    "inconclusive": ("neither: the data do not rule the claim out, nor show it within ±{margin}"),
}


def claim_sentence(claim: dict, labels: dict[str, str], *, margin: float, decimals: int = 1) -> str:
    """One plain sentence: what was claimed, the verdict, and what raters gave."""
    groups = [labels.get(key, key) for key in claim.get("groups") or []]
    claimed = claim.get("claimed")
    verdict = claim.get("verdict")
    observed = claim.get("observed")
    ci = claim.get("ci95")
    if claim.get("kind") == "difference" and len(groups) == 2:
        direction = "above" if (claimed or 0) >= 0 else "below"
        what = (
            f"{groups[0]} scores {number(abs(claimed or 0), decimals)} points {direction} "
            f"{groups[1]}"
        )
    else:
        what = f"{groups[0] if groups else 'the group'} scores {number(claimed, decimals)}"
    if claim.get("kind") == "difference" and observed is not None:
        side = "above" if observed >= 0 else "below"
        gave = f"raters put it {number(abs(observed), decimals)} points {side}"
    else:
        gave = f"raters gave it {number(observed, decimals)}"
    if verdict is None or observed is None:
        reasons = claim.get("reasons") or {}
        reason = reasons.get("observed") or reasons.get("verdict") or "the data allow no estimate"
        if observed is None:
            return f"The claim that {what} {NOT_CHECKED}: {reason}."
        return f"The claim that {what} {NOT_CHECKED}: {gave}, but {reason}."
    sentence = f"The claim that {what} is {verdict}: {gave} ({interval(ci, decimals)})"
    if verdict == "supported":
        sentence += f", within ±{number(margin, decimals + 1)} of the claim"
    elif verdict == "inconclusive":
        sentence += (
            f", which neither rules the claim out nor shows it within "
            f"±{number(margin, decimals + 1)}"
        )
    return sentence + "."


def verdict_legend(margin: float, decimals: int = 1) -> list[tuple[str, str]]:
    shown = number(margin, decimals + 1)
    return [(verdict, text.format(margin=shown)) for verdict, text in VERDICT_EXPLANATIONS.items()]


def claim_rows(document: dict, labels: dict[str, str], *, decimals: int = 1) -> list[dict]:
    margin = (document.get("parameters") or {}).get("equivalence_margin") or 0.0
    rows = []
    for claim in document.get("claims") or []:
        keys = claim.get("groups") or []
        names = [labels.get(key, key) for key in keys]
        rows.append(
            {
                "what": " - ".join(names) if claim.get("kind") == "difference" else names[0],
                "kind": claim.get("kind"),
                "claimed": number(claim.get("claimed"), decimals),
                "observed": number(claim.get("observed"), decimals),
                "ci": interval(claim.get("ci95"), decimals),
                "p": p_value(claim.get("p")),
                "verdict": claim.get("verdict") or NOT_CHECKED,
                "sentence": claim_sentence(claim, labels, margin=margin, decimals=decimals),
            }
        )
    return rows


def group_rows(document: dict, labels: dict[str, str], *, decimals: int = 1) -> list[dict]:
    groups = document.get("groups") or {}
    model = (document.get("model") or {}).get("means") or {}
    rows = []
    for key, entry in groups.items():
        entry = entry or {}
        fitted = model.get(key) or {}
        rows.append(
            {
                "key": key,
                "label": labels.get(key, key),
                "n": entry.get("n"),
                "raters": entry.get("n_raters"),
                "samples": entry.get("n_samples"),
                "mean": number(entry.get("mean"), decimals),
                "sd": number(entry.get("sd"), decimals),
                "median": number(entry.get("median"), decimals),
                "quartiles": f"{number(entry.get('q1'), decimals)} to "
                f"{number(entry.get('q3'), decimals)}",
                "ci": interval(entry.get("ci95"), decimals),
                "model_mean": number(fitted.get("estimate"), decimals),
                "model_ci": interval(fitted.get("ci95"), decimals),
            }
        )
    return rows


def variance_rows(document: dict, *, decimals: int = 2) -> list[dict]:
    variance = (document.get("model") or {}).get("variance") or {}
    names = {
        "participant": "Raters (leniency: some score everything higher)",
        "sample": "Samples (quality of the individual piece)",
        "residual": "Residual (everything else: noise, rater-by-sample taste)",
    }
    values = {key: variance.get(key) for key in names}
    finite = [v for v in values.values() if isinstance(v, int | float) and math.isfinite(v)]
    total = sum(finite)
    rows = []
    for key, label in names.items():
        value = values[key]
        share = None
        if isinstance(value, int | float) and math.isfinite(value) and total > 0:
            share = f"{100 * value / total:.0f}%"
        rows.append(
            {"key": key, "label": label, "variance": number(value, decimals), "share": share}
        )
    return rows


def summary_lines(document: dict, labels: dict[str, str], *, decimals: int = 1) -> list[str]:
    """The plain-text summary printed by `analyze` and `analyze_csv`."""
    lines = [
        f"{document.get('n_ratings')} ratings by {document.get('n_participants')} raters of "
        f"{document.get('n_samples')} samples"
    ]
    for row in group_rows(document, labels, decimals=decimals):
        lines.append(
            f"  {row['label']}: mean {row['mean']} (SD {row['sd']}, n {row['n']}); "
            f"model {row['model_mean']} ({row['model_ci']})"
        )
    model = document.get("model") or {}
    if model.get("method"):
        lines.append(f"Model: {model_method(model['method'])}")
    claims = claim_rows(document, labels, decimals=decimals)
    if claims:
        lines.append("Claims:")
        lines.extend(f"  [{row['verdict']}] {row['sentence']}" for row in claims)
    if document.get("detection"):
        lines.append(f"Source guesses: {detection_sentence(document['detection'])}")
    if document.get("diversity"):
        alpha = (document.get("parameters") or {}).get("alpha") or 0.05
        lines.append(f"Diversity: {diversity_sentence(document['diversity'], labels, alpha=alpha)}")
    return lines
