"""The path of an input in a request, as every error of the API names it: the keys joined
by dots and list positions in brackets (`groups[1].key`, `[2].group`, `scale_anchors.7`);
the input as a whole is `non_field_errors`."""

from rest_framework.settings import api_settings

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def field_path(*parts: str | int) -> str:
    """`field_path("groups", 1, "key")` is "groups[1].key"; no parts: "" (the caller decides
    whether the whole input is meant)."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
