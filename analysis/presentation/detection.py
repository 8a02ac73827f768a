"""Whether raters could tell the source, in words."""

from analysis.presentation.formats import (
    NOT_CHECKED,
    interval,
    number,
    p_phrase,
    percent,
    percent_interval,
)


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
        f"{verdict} (accuracy {percent(accuracy)}, {percent_interval(test.get('ci95'))}, "
        f"{p_phrase(test.get('p'))}; chance is {percent(test.get('p0'))})."
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
        f"{percent(p0)} of the time ({p_phrase(test.get('p'))})."
    )


def detection_group_rows(detection: dict, labels: dict[str, str]) -> list[dict]:
    rows = []
    for key, entry in (detection.get("per_group") or {}).items():
        rows.append(
            {
                "label": labels.get(key, key),
                "n": entry.get("n"),
                "accuracy": percent(entry.get("estimate")),
                "ci": percent_interval(entry.get("ci95")),
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
        f"({interval(d_prime.get('ci95'), 2)}; 0 means no discrimination) and criterion "
        f"c = {number(lean, 2)} ({interval(c.get('ci95'), 2)}; {leaning})."
    )
