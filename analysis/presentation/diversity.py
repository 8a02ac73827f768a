"""How alike the samples of each group are, in words and tables."""

from analysis.presentation.formats import NOT_CHECKED, ci2, number, p_phrase, p_value

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
        f"similarity {number(mean[a], 2)} vs {number(mean[b], 2)}, {p_phrase(row.get('p_holm'))}"
    )
    p = row.get("p_holm")
    if p is not None and p < alpha:
        return f"{name[a]} samples are more alike than {name[b]} ones: {numbers}."
    return (
        f"{name[a]} and {name[b]} samples are about as alike as each other: {numbers} "
        f"(no difference shown at alpha {alpha:g})."
    )


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
                "semantic_ci": ci2(semantic.get("ci95")),
                "tfidf": number(tfidf.get("mean"), 2),
                "tfidf_ci": ci2(tfidf.get("ci95")),
                "distinct": " / ".join(number(entry.get(f"distinct_{n}"), 2) for n in (1, 2, 3)),
                "compression": number(entry.get("compression_ratio"), 2),
                "reasons": "; ".join(sorted(set((entry.get("reasons") or {}).values()))),
            }
        )
    between = [
        {
            "what": " \u2013 ".join(labels.get(k, k) for k in row.get("groups") or []),
            "similarity": number((row.get("semantic_similarity") or {}).get("mean"), 2),
            "ci": ci2((row.get("semantic_similarity") or {}).get("ci95")),
        }
        for row in diversity.get("between_groups") or []
    ]
    differences = [
        {
            "what": " \u2212 ".join(labels.get(k, k) for k in row.get("groups") or []),
            "measure": DIVERSITY_MEASURES.get(row.get("measure"), row.get("measure")),
            "difference": number(row.get("difference"), 3),
            "ci": ci2(row.get("ci95")),
            "p": p_value(row.get("p")),
            "p_holm": p_value(row.get("p_holm")),
        }
        for row in diversity.get("differences") or []
    ]
    return {"groups": groups, "between": between, "differences": differences}
