"""A study's design: its scale, criteria and settings, and the frozen pre-registration.

When a study opens, `design_document` describes everything that decides what the study
measures (groups, claims, scale, criteria, settings, briefs and every sample's content
hash) as canonical JSON; its SHA-256 is the pre-registration the researcher can cite.
"""

import hashlib
import json
import math
import re

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, gettext_noop

from studies.models import Study

DESIGN_FORMAT = "blindrate-design/1"
ENGLISH = "en"
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

# Parts of a study that opening freezes; the rest (title, texts shown around the study,
# completion codes, redirect) stays editable because it does not change what is measured.
FROZEN_STUDY_FIELDS = (
    "slug",
    "scale_min",
    "scale_max",
    "scale_step",
    "scale_anchors",
    "criteria",
    "ratings_per_sample",
    "samples_per_rater",
    "lease_minutes",
    "attention_check_rate",
    "attention_fail_limit",
    "ask_source_guess",
    "guess_labels",
    "rater_language",
    "protocol",
    "allow_ties",
    "ask_strength",
    "allow_same_group_pairs",
    "alpha",
    "equivalence_margin",
)
EDITABLE_WHEN_OPEN = (
    "title",
    "instructions",
    "consent_text",
    "completion_code",
    "screenout_code",
    "partial_code",
    "redirect_url",
    "min_items_for_code",
    "min_median_seconds",
    "screen_out_speeders",
    "starts_per_address_hour",
    "leases_per_address",
    "first_lease_minutes",
)


def canonical_json(document: dict) -> bytes:
    """The one byte form of a document: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def text_sha256(text: str) -> str:
    return sha256_hex(text.encode("utf-8"))


def equivalence_margin(study: Study) -> float:
    """The TOST margin: as set, or 0.5 points on a 10-point scale, scaled with the range."""
    if study.equivalence_margin is not None:
        return study.equivalence_margin
    return 0.5 * (study.scale_max - study.scale_min) / 9


def scale_points(study: Study) -> list[float]:
    count = round((study.scale_max - study.scale_min) / study.scale_step)
    return [study.scale_min + i * study.scale_step for i in range(count + 1)]


# Raters read these too (ratings.services.submission), in the study's rater language.
NOT_A_NUMBER = gettext_noop("must be a number")
OFF_SCALE = gettext_noop("must be between {low} and {high}")
OFF_STEP = gettext_noop("must be on the scale's steps of {step} from {low}")


def score_problem(study: Study, score: float) -> str | None:
    """Why `score` is not on the study's scale, or None when it is (in the language active
    when the text is read: English on the researcher's side)."""
    if not math.isfinite(score):
        return gettext_lazy(NOT_A_NUMBER)
    low, high, step = study.scale_min, study.scale_max, study.scale_step
    if score < low or score > high:
        return format_lazy(gettext_lazy(OFF_SCALE), low=f"{low:g}", high=f"{high:g}")
    steps = (score - low) / step
    if abs(steps - round(steps)) > 1e-9:
        return format_lazy(gettext_lazy(OFF_STEP), step=f"{step:g}", low=f"{low:g}")
    return None


def settings_problems(study: Study) -> dict[str, str]:
    """Field -> problem for scale, criteria and settings that the database cannot check."""
    problems: dict[str, str] = {}
    if study.scale_min >= study.scale_max:
        problems["scale_max"] = "must be above scale_min"
    elif study.scale_step <= 0:
        problems["scale_step"] = "must be positive"
    elif study.scale_step < 1e-6 or not math.isfinite(study.scale_max - study.scale_min):
        problems["scale_step"] = "is too small for the range (at least 0.000001)"
    else:
        steps = (study.scale_max - study.scale_min) / study.scale_step
        if abs(steps - round(steps)) > 1e-9:
            problems["scale_step"] = "must divide the range from scale_min to scale_max"
        elif round(steps) > 1000:
            problems["scale_step"] = "gives more than 1001 points; use a larger step"
    anchors = study.scale_anchors or {}
    if not isinstance(anchors, dict):
        problems["scale_anchors"] = 'must be an object of score -> label, e.g. {"1": "Poor"}'
    elif "scale_max" not in problems and "scale_step" not in problems:
        for score, label in anchors.items():
            try:
                bad = score_problem(study, float(score))
            except ValueError:
                bad = "is not a number"
            if bad:
                problems["scale_anchors"] = f"anchor {score!r} {bad}"
                break
            if not isinstance(label, str) or not label.strip():
                problems["scale_anchors"] = f"anchor {score!r} needs a label"
                break
    criteria = study.criteria
    if not isinstance(criteria, list) or not criteria:
        problems["criteria"] = 'must be a non-empty list of {"key": ..., "label": ...}'
    else:
        keys = []
        for index, criterion in enumerate(criteria, start=1):
            key = criterion.get("key") if isinstance(criterion, dict) else None
            if not isinstance(key, str) or not KEY_PATTERN.match(key):
                problems["criteria"] = (
                    f"criterion {index}: key must be lowercase letters, digits, - or _"
                )
                break
            if not isinstance(criterion.get("label", ""), str):
                problems["criteria"] = f"criterion {index}: label must be text"
                break
            keys.append(key)
        else:
            if len(set(keys)) != len(keys):
                problems["criteria"] = "criterion keys must be unique"
            elif {"item", "guess", "csrfmiddlewaretoken"} & set(keys):
                problems["criteria"] = "item, guess and csrfmiddlewaretoken are reserved keys"
    if not 0 <= study.attention_check_rate <= 0.5:
        problems["attention_check_rate"] = "must be between 0 and 0.5"
    if not 0 < study.alpha < 0.5:
        problems["alpha"] = "must be between 0 and 0.5"
    if study.equivalence_margin is not None and study.equivalence_margin <= 0:
        problems["equivalence_margin"] = "must be positive"
    if study.ask_source_guess:
        labels = study.guess_labels
        if not isinstance(labels, dict) or not labels:
            problems["guess_labels"] = 'must name the choices, e.g. {"human": "A person"}'
        elif not all(isinstance(k, str) and KEY_PATTERN.match(k) for k in labels):
            problems["guess_labels"] = "keys must be lowercase letters, digits, - or _"
    return problems


def design_settings(study: Study) -> dict:
    """How the study runs, as frozen. The rater language (what raters read around the
    samples may change how they score) is named when it is not English: a study frozen
    before the setting existed ran in English, and its document keeps its hash."""
    settings = {
        "ratings_per_sample": study.ratings_per_sample,
        "samples_per_rater": study.samples_per_rater,
        "lease_minutes": study.lease_minutes,
        "attention_check_rate": study.attention_check_rate,
        "attention_fail_limit": study.attention_fail_limit,
        "ask_source_guess": study.ask_source_guess,
        "guess_labels": study.guess_labels if study.ask_source_guess else {},
    }
    if study.rater_language != ENGLISH:
        settings["rater_language"] = study.rater_language
    if study.protocol != Study.Protocol.RATING:
        # Named only for pairwise studies: a rating study keeps the document (and hash) it
        # had before the setting existed.
        settings["protocol"] = {
            "name": study.protocol,
            "allow_ties": study.allow_ties,
            "ask_strength": study.ask_strength,
            "allow_same_group_pairs": study.allow_same_group_pairs,
        }
    return settings


def design_document(study: Study) -> dict:
    """The canonical description of everything opening freezes, with the power plan when
    one was computed (a study without one keeps the document it always had)."""
    groups = list(study.groups.order_by("key"))
    claims = study.claims.select_related("group", "other_group").order_by("id")
    briefs = study.briefs.order_by("key")
    samples = study.samples.select_related("group", "brief").order_by("token")
    plan = {"plan": study.plan} if study.plan else {}
    return {
        **plan,
        "format": DESIGN_FORMAT,
        "study": study.slug,
        "scale": {
            "min": study.scale_min,
            "max": study.scale_max,
            "step": study.scale_step,
            "anchors": study.scale_anchors or {},
        },
        "criteria": study.criteria,
        "settings": design_settings(study),
        "analysis_plan": {"alpha": study.alpha, "equivalence_margin": equivalence_margin(study)},
        "groups": [{"key": g.key, "label": g.label} for g in groups],
        "claims": [
            {
                "kind": c.kind,
                "groups": [c.group.key] + ([c.other_group.key] if c.other_group else []),
                "value": c.value,
                "source": c.source,
            }
            for c in claims
        ],
        "briefs": [
            {
                "key": b.key,
                "title": b.title,
                "text_sha256": text_sha256(b.text),
                "show_to_raters": b.show_to_raters,
            }
            for b in briefs
        ],
        "samples": [
            {
                "token": s.token,
                "id": s.external_id,
                "group": s.group.key,
                "brief": s.brief.key if s.brief else None,
                "kind": s.kind,
                "content_sha256": s.content_sha256,
                "attention_check": s.is_attention_check,
                "expected": [s.expected_min, s.expected_max] if s.is_attention_check else None,
            }
            for s in samples
        ],
    }
