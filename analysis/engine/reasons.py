"""The null-with-reason convention (see the package docstring): objects whose null fields
carry a `reasons` entry, and the JSON-safe copy of the finished document, in which NaN and
infinities become null."""

import numpy as np


def fields_of(result, *names) -> dict:
    return {name: getattr(result, name) for name in names}


def _is_null(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return not np.isfinite(value)
    if isinstance(value, list | tuple):
        return any(_is_null(v) for v in value)
    return False


def with_reasons(fields: dict, reason: str | None, **specific: str | None) -> dict:
    """`fields` plus `reasons`: every null field gets its specific reason, else `reason`."""
    reasons = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            continue
        if _is_null(value):
            reasons[key] = specific.get(key) or reason or "not computable"
    return {**fields, "reasons": reasons}


def json_safe(value):
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if np.isfinite(value) else None
    return value
