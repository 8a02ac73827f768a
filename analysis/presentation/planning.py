"""A power plan in words: its table, its lines for `plan`, and planned against achieved."""

from analysis.presentation.formats import NOT_CHECKED, number


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
