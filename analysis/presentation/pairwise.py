"""A pairwise study's results in words: orderings, win rates and abilities, for the
results page and `analyze_csv`."""

from analysis.presentation.formats import NOT_CHECKED, interval, number, p_value, percent

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
                "ci": interval(entry.get("ci95"), 2),
                "ci_bootstrap": interval(entry.get("ci95_bootstrap"), 2),
                "p_binomial": p_value(entry.get("p_binomial")),
            }
        )
    abilities = [
        {
            "label": labels.get(key, key),
            "key": key,
            "estimate": number(entry.get("estimate"), 2),
            "se": number(entry.get("se"), 3),
            "ci": interval(entry.get("ci95"), 2),
        }
        for key, entry in (bt.get("abilities") or {}).items()
    ]
    p_first = bt.get("p_first_position")
    if p_first is None:
        position = f"The position bias {NOT_CHECKED}."
    else:
        position = (
            f"Between equally good samples, raters chose the one shown first (A) with "
            f"probability {number(p_first, 2)} ({interval(bt.get('p_first_position_ci95'), 2)}; "
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
