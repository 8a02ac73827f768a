"""Text the database can store: the rule that every request's text (config.middleware) and
every API body (api.parsers) is checked against before anything reaches a query."""


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored, or None."""
    if "\x00" in value:
        return "Must not contain NUL (\\u0000) characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Must be valid Unicode (it holds a lone surrogate)."
    return None
