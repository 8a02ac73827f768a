"""Markdown to HTML that is safe to show: text is stored as written, rendered on display.

Markdown converts, then nh3 (the ammonia sanitizer) keeps only formatting tags: no raw
HTML, script, style, event attribute or `javascript:` link survives.
"""

import threading
from functools import lru_cache

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "s",
    "del",
    "blockquote",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sup",
    "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
EXTENSIONS = ["nl2br", "sane_lists", "tables"]
_local = threading.local()  # a Markdown converter per thread: they keep state while converting


def render_markdown(text: str) -> SafeString:
    return mark_safe(_clean_html(text or ""))  # sanitized by nh3 in _clean_html


@lru_cache(maxsize=2048)
def _clean_html(text: str) -> str:
    """Rendering and cleaning cost about a millisecond; rater pages show the same samples,
    briefs and instructions over and over, so each process keeps the latest results."""
    converter = getattr(_local, "converter", None)
    if converter is None:  # building one costs more than converting a short text
        converter = markdown.Markdown(extensions=EXTENSIONS, output_format="html")
        _local.converter = converter
    html = converter.reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
