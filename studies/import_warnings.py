"""Warnings about a study's samples as a whole, after an import: briefs whose text a sample
repeats (a giveaway of its source) and media formats that differ by group."""

import re

from studies.models import Sample, Study


def _words(text: str) -> list[str]:
    return re.findall(r"[0-9a-z]+", text.lower())


def _contains_words(haystack: list[str], needle: list[str]) -> bool:
    size = len(needle)
    return bool(size) and any(
        haystack[i : i + size] == needle for i in range(len(haystack) - size + 1)
    )


def brief_warnings(study: Study) -> list[str]:
    """Briefs that could give a group away: one answered by a single group only (its title
    and text are shown with every sample of that group), and one whose key or title names
    a group (by key or label)."""
    groups = list(study.groups.all())
    used: dict[int, set[str]] = {}
    for brief_id, group_key in (
        Sample.objects.filter(study=study, is_attention_check=False, brief__isnull=False)
        .values_list("brief_id", "group__key")
        .distinct()
    ):
        used.setdefault(brief_id, set()).add(group_key)
    warnings = []
    for brief in study.briefs.order_by("key"):
        keys = used.get(brief.id, set())
        if len(groups) > 1 and len(keys) == 1:
            warnings.append(
                f"brief '{brief.key}' is used by group '{next(iter(keys))}' only, so what "
                "raters see of it marks that group's samples; give every group samples of it"
            )
        for group in groups:
            for where, words in (("key", _words(brief.key)), ("title", _words(brief.title))):
                if _contains_words(words, _words(group.key)) or _contains_words(
                    words, _words(group.label)
                ):
                    warnings.append(
                        f"brief '{brief.key}': its {where} names the group '{group.key}'; "
                        "rename it, since a brief's title is shown to raters"
                    )
    return warnings


def media_format_warnings(study: Study) -> list[str]:
    """Media whose file format differs by group give the group away (all AI images PNG,
    all human ones JPEG): say so, for each kind of media where it happens."""
    formats: dict[str, dict[str, set[str]]] = {}
    rows = (
        Sample.objects.filter(study=study)
        .exclude(kind=Sample.Kind.TEXT)
        .values_list("kind", "group__key", "media_type")
        .distinct()
    )
    for kind, group, media_type in rows:
        formats.setdefault(kind, {}).setdefault(group, set()).add(media_type)
    warnings = []
    for kind, by_group in sorted(formats.items()):
        if len(by_group) > 1 and len({frozenset(types) for types in by_group.values()}) > 1:
            listed = "; ".join(
                f"{group}: {', '.join(sorted(types))}" for group, types in sorted(by_group.items())
            )
            warnings.append(
                f"{kind} formats differ by group ({listed}), so raters could tell the groups "
                "apart; convert them to one format"
            )
    return warnings
