"""The results document in words: one plain sentence per claim, and the rows of the tables
of the results page and of `analyze`'s summary. Pure functions over the document.
"""

import math

VERDICT_EXPLANATIONS = {
    "supported": (
        "the equivalence test (TOST) shows the true value is within ±{margin} of the claim"
    ),
    "contradicted": "the 95% confidence interval excludes the claimed value",
    "inconclusive": ("neither: the data do not rule the claim out, nor show it within ±{margin}"),
}
NOT_CHECKED = "could not be checked"
MODEL_METHODS = {
    "reml": "crossed mixed model, exact REML",
    "moments": "crossed mixed model, method of moments with GLS (for large studies)",
}


def model_method(method: str | None) -> str:
    if not method:
        return "none"
    return MODEL_METHODS.get(method, method)


def decimals_for(scale_min: float | None, scale_max: float | None) -> int:
    """One decimal on a scale of 5 points or more (1-10: 5.6), two on a narrower one."""
    if scale_min is None or scale_max is None:
        return 1
    return 1 if scale_max - scale_min >= 5 else 2


def number(value, decimals: int = 1) -> str:
    if value is None:
        return "n/a"
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    text = f"{value:.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def p_value(value) -> str:
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _interval(ci, decimals: int) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "no CI"
    return f"95% CI {number(ci[0], decimals)} to {number(ci[1], decimals)}"


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
    sentence = f"The claim that {what} is {verdict}: {gave} ({_interval(ci, decimals)})"
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
                "ci": _interval(claim.get("ci95"), decimals),
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
                "ci": _interval(entry.get("ci95"), decimals),
                "model_mean": number(fitted.get("estimate"), decimals),
                "model_ci": _interval(fitted.get("ci95"), decimals),
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


def percent(value) -> str:
    """A share as a whole percentage ("35 %"), or n/a."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{100 * float(value):.0f} %"


def _percent_interval(ci) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "no CI"
    return f"95% CI {100 * ci[0]:.0f}\u2013{100 * ci[1]:.0f} %"


def _p_phrase(p) -> str:
    shown = p_value(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def detection_sentence(detection: dict) -> str:
    """Whether raters told the groups apart better than uniform chance, from the test that
    respects raters and samples (`chance_uniform`)."""
    test = detection.get("chance_uniform") or {}
    accuracy = detection.get("accuracy")
    better = test.get("better_than_chance")
    if better is None:
        reason = (test.get("reasons") or {}).get("p") or "the data allow no test"
        return (
            f"Whether raters could tell the groups apart {NOT_CHECKED}: {reason} "
            f"(accuracy {percent(accuracy)}, chance {percent(test.get('p0'))})."
        )
    verdict = (
        "Raters told the groups apart better than chance"
        if better
        else "Raters could not tell the groups apart better than chance"
    )
    return (
        f"{verdict} (accuracy {percent(accuracy)}, {_percent_interval(test.get('ci95'))}, "
        f"{_p_phrase(test.get('p'))}; chance is {percent(test.get('p0'))})."
    )


def detection_majority_sentence(detection: dict) -> str | None:
    """The same against always naming the most frequent group, when that differs from 1/k."""
    uniform = (detection.get("chance_uniform") or {}).get("p0")
    test = detection.get("chance_majority") or {}
    p0 = test.get("p0")
    if p0 is None or uniform is None or abs(p0 - uniform) < 1e-9:
        return None
    better = test.get("better_than_chance")
    if better is None:
        return None
    word = "beat" if better else "did not beat"
    return (
        f"They {word} always naming the most frequent group, which is right "
        f"{percent(p0)} of the time ({_p_phrase(test.get('p'))})."
    )


def detection_group_rows(detection: dict, labels: dict[str, str]) -> list[dict]:
    rows = []
    for key, entry in (detection.get("per_group") or {}).items():
        rows.append(
            {
                "label": labels.get(key, key),
                "n": entry.get("n"),
                "accuracy": percent(entry.get("estimate")),
                "ci": _percent_interval(entry.get("ci95")),
            }
        )
    return rows


def signal_detection_sentence(detection: dict) -> str | None:
    """d' and c of "AI involved or not", pooled over raters, in words."""
    sdt = detection.get("signal_detection") or {}
    d_prime, c = sdt.get("d_prime"), sdt.get("c")
    if not d_prime or not c or d_prime.get("estimate") is None:
        return None
    lean = c["estimate"]
    if lean < 0:
        leaning = "a lean towards answering AI"
    elif lean > 0:
        leaning = "a lean towards answering human"
    else:
        leaning = "no lean"
    return (
        f"AI involved or not: d\u2032 = {number(d_prime['estimate'], 2)} "
        f"({_interval(d_prime.get('ci95'), 2)}; 0 means no discrimination) and criterion "
        f"c = {number(lean, 2)} ({_interval(c.get('ci95'), 2)}; {leaning})."
    )


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


ORDERING_EXPLANATIONS = {
    "supported": "the CI of the win probability lies above 0.5",
    "contradicted": "the CI of the win probability lies below 0.5",
    "inconclusive": "the CI of the win probability includes 0.5",
}


def ordering_sentence(claim: dict, labels: dict[str, str]) -> str:
    """One ordering claim in words: who was claimed preferred, the verdict, and why."""
    high, low = (labels.get(key, key) for key in claim.get("groups") or ["?", "?"])
    verdict = claim.get("verdict")
    what = f"{high} preferred to {low}"
    if verdict is None:
        reason = (claim.get("reasons") or {}).get("verdict") or "no comparisons"
        return f"{what} {NOT_CHECKED}: {reason}."
    ci = claim.get("ci") or [None, None]
    level = round(100 * float(claim.get("ci_level") or 0.95))
    shown = f"{level}% CI {number(ci[0], 2)} to {number(ci[1], 2)}"
    return (
        f"{what}: {verdict} ({ORDERING_EXPLANATIONS[verdict]}; win probability "
        f"{number(claim.get('probability'), 2)}, {shown})."
    )


def pairwise_view(document: dict, labels: dict[str, str]) -> dict:
    """The rows and sentences of a pairwise study's results: claims, win rates, abilities,
    position bias and agreement."""
    section = document.get("pairwise_preference") or {}
    bt = section.get("bradley_terry") or {}
    claims = [
        {
            "verdict": claim.get("verdict") or NOT_CHECKED,
            "sentence": ordering_sentence(claim, labels),
            "source": claim.get("source"),
        }
        for claim in section.get("claims") or []
    ]
    win_rates = []
    for entry in section.get("win_rates") or []:
        a, b = (labels.get(key, key) for key in entry.get("groups") or ["?", "?"])
        win_rates.append(
            {
                "what": f"{a} over {b}",
                "n": entry.get("n"),
                "wins": entry.get("wins"),
                "losses": entry.get("losses"),
                "ties": entry.get("ties"),
                "rate": number(entry.get("rate"), 2),
                "ci": _interval(entry.get("ci95"), 2),
                "ci_bootstrap": _interval(entry.get("ci95_bootstrap"), 2),
                "p_binomial": p_value(entry.get("p_binomial")),
            }
        )
    abilities = [
        {
            "label": labels.get(key, key),
            "key": key,
            "estimate": number(entry.get("estimate"), 2),
            "se": number(entry.get("se"), 3),
            "ci": _interval(entry.get("ci95"), 2),
        }
        for key, entry in (bt.get("abilities") or {}).items()
    ]
    p_first = bt.get("p_first_position")
    if p_first is None:
        position = f"The position bias {NOT_CHECKED}."
    else:
        position = (
            f"Between equally good samples, raters chose the one shown first (A) with "
            f"probability {number(p_first, 2)} ({_interval(bt.get('p_first_position_ci95'), 2)}; "
            "0.5 means no position bias)."
        )
    agreement = section.get("agreement") or {}
    if agreement.get("rate") is None:
        agreement_text = f"Agreement {NOT_CHECKED}: no sample pair was compared by two raters."
    else:
        agreement_text = (
            f"Raters of the same sample pair made the same choice {percent(agreement['rate'])} "
            f"of the time over {agreement.get('pairs_with_two_raters')} pairs; chance is "
            f"{percent(agreement.get('chance'))}."
        )
    return {
        "claims": claims,
        "win_rates": win_rates,
        "abilities": abilities,
        "reference": labels.get(bt.get("reference"), bt.get("reference")),
        "position": position,
        "position_warning": bt.get("position_warning"),
        "agreement": agreement_text,
        "absolute_values": section.get("absolute_values"),
        "ties": section.get("ties"),
    }


def pairwise_summary_lines(document: dict, labels: dict[str, str]) -> list[str]:
    """The plain-text summary of a pairwise study's document (`analyze_csv`)."""
    section = document.get("pairwise_preference") or {}
    view = pairwise_view(document, labels)
    allowed = "allowed" if section.get("ties_allowed") else "not allowed"
    lines = [
        f"{section.get('n_comparisons')} comparisons by {section.get('n_participants')} raters "
        f"of {section.get('n_samples')} samples (ties {allowed}; {view['ties']})"
    ]
    lines.append("Win rates:")
    lines.extend(
        f"  {row['what']}: {row['rate']} ({row['ci']}); {row['wins']} wins, {row['losses']} "
        f"losses, {row['ties']} ties; naive binomial p {row['p_binomial']}"
        for row in view["win_rates"]
    )
    lines.append(f"Bradley-Terry abilities (log-odds, {view['reference']} = 0):")
    reference = (section.get("bradley_terry") or {}).get("reference")
    lines.extend(
        f"  {row['label']}: {row['estimate']} "
        f"({'the reference' if row['key'] == reference else row['ci']})"
        for row in view["abilities"]
    )
    lines.append(view["position"])
    if view["position_warning"]:
        lines.append(f"Warning: {view['position_warning']}")
    if view["claims"]:
        lines.append("Orderings:")
        lines.extend(f"  [{row['verdict']}] {row['sentence']}" for row in view["claims"])
    lines.append(view["agreement"])
    lines.append(f"Note: {view['absolute_values']}.")
    return lines


def _claim_label(entry: dict) -> str:
    groups = entry.get("groups") or []
    return " - ".join(groups) if entry.get("kind") == "difference" else "".join(groups[:1])


def plan_rows(plan: dict, *, decimals: int = 1) -> list[dict]:
    """One row per claim of a plan: the claim, the truth assumed, the verdict chances and
    the expected half-width of its 95% CI."""
    return [
        {
            "claim": f"{_claim_label(entry)} = {number(entry.get('claimed'), decimals)}",
            "assumed": number(entry.get("assumed"), decimals + 1),
            "supported": f"{entry['p_supported']:.0%}",
            "contradicted": f"{entry['p_contradicted']:.0%}",
            "inconclusive": f"{entry['p_inconclusive']:.0%}",
            "halfwidth": number(entry.get("ci95_halfwidth"), decimals + 1),
        }
        for entry in plan.get("claims") or []
    ]


def plan_lines(plan: dict, *, decimals: int = 1) -> list[str]:
    """The plan as text: design, assumptions, one line per claim, the recommendation."""
    d, v, p = plan["design"], plan["variance"], plan["parameters"]
    lines = [
        f"Design: {len(d['groups'])} groups x {d['samples_per_group']} samples, "
        f"{d['ratings_per_sample']} ratings per sample, {d['samples_per_rater']} samples per "
        f"rater: {d['raters']} raters, {d['ratings']} ratings",
        f"Variance: participant {v['participant']:.3g}, sample {v['sample']:.3g}, residual "
        f"{v['residual']:.3g} ({v.get('source', 'given')})",
        f"Method: {plan['method']}; alpha {p['alpha']:g}, equivalence margin "
        f"{p['equivalence_margin']:.3g}",
    ]
    for row in plan_rows(plan, decimals=decimals):
        lines.append(
            f"  {row['claim']} (true {row['assumed']}): supported {row['supported']}, "
            f"contradicted {row['contradicted']}, inconclusive {row['inconclusive']}; "
            f"95% CI +- {row['halfwidth']}"
        )
    lines.append(f"Recommendation: {plan['recommendation']['sentence']}")
    lines.extend(f"Note: {note}" for note in plan.get("notes") or [])
    return lines


def planned_rows(plan: dict, document: dict, labels: dict[str, str], *, decimals: int = 1):
    """Each claim's 95% CI half-width as planned and as achieved, with the verdict the plan
    thought likeliest and the one reached; claims the plan did not cover are left out."""
    planned = {(e.get("kind"), tuple(e.get("groups") or [])): e for e in plan.get("claims") or []}
    rows = []
    for claim in document.get("claims") or []:
        keys = tuple(claim.get("groups") or [])
        entry = planned.get((claim.get("kind"), keys))
        if entry is None:
            continue
        names = [labels.get(key, key) for key in keys]
        low, high = (claim.get("ci95") or [None, None])[:2]
        achieved = (high - low) / 2 if low is not None and high is not None else None
        chances = {
            v: entry.get(f"p_{v}") or 0.0 for v in ("supported", "contradicted", "inconclusive")
        }
        likeliest = max(chances, key=chances.get)
        rows.append(
            {
                "what": " - ".join(names) if claim.get("kind") == "difference" else names[0],
                "planned": number(entry.get("ci95_halfwidth"), decimals + 1),
                "achieved": number(achieved, decimals + 1),
                "planned_verdict": f"{likeliest} ({chances[likeliest]:.0%})",
                "verdict": claim.get("verdict") or NOT_CHECKED,
            }
        )
    return rows


def planned_design(plan: dict, document: dict, *, decimals: int = 2) -> list[dict]:
    """The design and variances the plan assumed against those the analysis found."""
    design, variance = plan.get("design") or {}, plan.get("variance") or {}
    found = (document.get("model") or {}).get("variance") or {}
    rows = [
        {
            "what": "raters",
            "planned": design.get("raters"),
            "achieved": document.get("n_participants"),
        },
        {
            "what": "ratings",
            "planned": design.get("ratings"),
            "achieved": document.get("n_ratings"),
        },
    ]
    for key in ("participant", "sample", "residual"):
        rows.append(
            {
                "what": f"{key} variance",
                "planned": number(variance.get(key), decimals),
                "achieved": number(found.get(key), decimals),
            }
        )
    return rows


DIVERSITY_MEASURES = {
    "semantic_similarity": "semantic similarity (sentence embeddings)",
    "tfidf_similarity": "word similarity (TF-IDF)",
}


def _diversity_pair(diversity: dict) -> dict | None:
    """The semantic comparison the sentence is about: collaboration against human when the
    study has both, else the pair with the smallest Holm-adjusted p."""
    rows = [
        row
        for row in diversity.get("differences") or []
        if row.get("measure") == "semantic_similarity" and row.get("difference") is not None
    ]
    for row in rows:
        if set(row.get("groups") or []) == {"collaboration", "human"}:
            return row
    tested = [row for row in rows if row.get("p_holm") is not None]
    return min(tested, key=lambda row: row["p_holm"]) if tested else (rows or [None])[0]


def diversity_sentence(diversity: dict, labels: dict[str, str], *, alpha: float = 0.05) -> str:
    """One plain sentence: which group's samples are more alike (within briefs), with the
    two similarities and the Holm-adjusted permutation p."""
    groups = diversity.get("groups") or {}
    row = _diversity_pair(diversity)
    if row is None:
        reasons = diversity.get("reasons") or {}
        reason = reasons.get("model") or next(
            (
                r
                for entry in diversity.get("differences") or []
                for r in (entry.get("reasons") or {}).values()
            ),
            "it needs two groups with at least two text samples for the same brief",
        )
        return f"How alike the samples of each group are {NOT_CHECKED}: {reason}."
    a, b = row["groups"]
    if row["difference"] < 0:
        a, b = b, a
    mean = {
        key: ((groups.get(key) or {}).get("semantic_similarity") or {}).get("mean")
        for key in (a, b)
    }
    name = {key: labels.get(key, key) for key in (a, b)}
    numbers = (
        f"similarity {number(mean[a], 2)} vs {number(mean[b], 2)}, {_p_phrase(row.get('p_holm'))}"
    )
    p = row.get("p_holm")
    if p is not None and p < alpha:
        return f"{name[a]} samples are more alike than {name[b]} ones: {numbers}."
    return (
        f"{name[a]} and {name[b]} samples are about as alike as each other: {numbers} "
        f"(no difference shown at alpha {alpha:g})."
    )


def _ci2(ci) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "no CI"
    return f"{number(ci[0], 2)} to {number(ci[1], 2)}"


def diversity_rows(diversity: dict, labels: dict[str, str], order=()) -> dict:
    """The diversity tables: per group (in `order`, then the rest), between groups, and
    the tested differences."""
    found = diversity.get("groups") or {}
    keys = [key for key in order if key in found] + sorted(set(found) - set(order))
    groups = []
    for key, entry in ((key, found[key]) for key in keys):
        semantic = entry.get("semantic_similarity") or {}
        tfidf = entry.get("tfidf_similarity") or {}
        groups.append(
            {
                "label": labels.get(key, key),
                "key": key,
                "samples": entry.get("n_samples"),
                "briefs": entry.get("n_briefs"),
                "semantic": number(semantic.get("mean"), 2),
                "semantic_ci": _ci2(semantic.get("ci95")),
                "tfidf": number(tfidf.get("mean"), 2),
                "tfidf_ci": _ci2(tfidf.get("ci95")),
                "distinct": " / ".join(number(entry.get(f"distinct_{n}"), 2) for n in (1, 2, 3)),
                "compression": number(entry.get("compression_ratio"), 2),
                "reasons": "; ".join(sorted(set((entry.get("reasons") or {}).values()))),
            }
        )
    between = [
        {
            "what": " \u2013 ".join(labels.get(k, k) for k in row.get("groups") or []),
            "similarity": number((row.get("semantic_similarity") or {}).get("mean"), 2),
            "ci": _ci2((row.get("semantic_similarity") or {}).get("ci95")),
        }
        for row in diversity.get("between_groups") or []
    ]
    differences = [
        {
            "what": " \u2212 ".join(labels.get(k, k) for k in row.get("groups") or []),
            "measure": DIVERSITY_MEASURES.get(row.get("measure"), row.get("measure")),
            "difference": number(row.get("difference"), 3),
            "ci": _ci2(row.get("ci95")),
            "p": p_value(row.get("p")),
            "p_holm": p_value(row.get("p_holm")),
        }
        for row in diversity.get("differences") or []
    ]
    return {"groups": groups, "between": between, "differences": differences}
