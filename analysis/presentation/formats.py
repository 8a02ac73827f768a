"""Numbers, p values, intervals and percentages as the results pages and summaries
write them."""

import math

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


def interval(ci, decimals: int) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "no CI"
    return f"95% CI {number(ci[0], decimals)} to {number(ci[1], decimals)}"


def percent(value) -> str:
    """A share as a whole percentage ("35 %"), or n/a."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{100 * float(value):.0f} %"


def percent_interval(ci) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "no CI"
    return f"95% CI {100 * ci[0]:.0f}\u2013{100 * ci[1]:.0f} %"


def p_phrase(p) -> str:
    shown = p_value(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def ci2(ci) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "no CI"
    return f"{number(ci[0], 2)} to {number(ci[1], 2)}"
