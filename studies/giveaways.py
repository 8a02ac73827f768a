"""Phrases in a text that can tell a rater where it came from (DESIGN §3, Blinding).

They are warnings, not errors: the researcher decides, but sees them before opening.
"""

import re

SOURCE_GIVEAWAYS = [
    (re.compile(r"\bas an ai\b", re.I), "mentions being an AI"),
    (re.compile(r"\blanguage model\b", re.I), "names a language model"),
    (
        re.compile(
            r"\b(?:chat ?gpt|gpt-?\d\w*|openai|claude|anthropic|gemini|bard|llama|mistral|"
            r"copilot|midjourney|dall-?e|stable diffusion)\b",
            re.I,
        ),
        "names a model or AI company",
    ),
    (
        re.compile(r"\b(?:generated|written|created) (?:by|with|using) (?:an? )?ai\b", re.I),
        "says AI",
    ),
    (
        re.compile(r"^\s*(?:certainly|sure|of course)[!,.]\s+here(?:'s| is)\b", re.I),
        "assistant reply",
    ),
    (re.compile(r"\b(?:written|composed|poem|story) by [A-Z][a-z]+", re.M), "byline"),
    (re.compile(r"(?:^|\n)\s*(?:—|--|~)\s*[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,3}\s*$"), "signature"),
    (re.compile(r"©|\(c\)\s*\d{4}", re.I), "copyright line"),
]


def source_warnings(text: str) -> list[str]:
    """Phrases in `text` that may tell a rater where it came from."""
    found = []
    for pattern, reason in SOURCE_GIVEAWAYS:
        match = pattern.search(text)
        if match:
            found.append(f"{reason}: {match.group(0).strip()!r}")
    return found
