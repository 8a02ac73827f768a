"""The results document: `analyze`, which codes the ratings and assembles every section
(groups, tests, model, claims, reliability, rater quality, z-scores, exclusions,
detection) with the study-wide counts, parameters and notes; and `analyze_pairwise`, the
document of a pairwise study, whose one section is `pairwise_preference` and whose rating
sections are null with a reason."""

from collections.abc import Callable, Sequence

import numpy as np

from analysis.engine.agreement import reliability_section
from analysis.engine.claims import claims_section
from analysis.engine.comparisons import tests_section
from analysis.engine.exclusions import exclusions_section
from analysis.engine.groups import groups_section
from analysis.engine.guess_detection import detection_section
from analysis.engine.inputs import (
    ClaimSpec,
    CodedRatings,
    RatingsFrame,
    codes_in_order,
    frame_columns,
    group_keys_in_order,
)
from analysis.engine.model import model_fit, model_section
from analysis.engine.pairwise import N_PIGEONHOLE, ComparisonsFrame, pairwise_section
from analysis.engine.parameters import CI_LEVEL, ENGINE_VERSION, N_BOOTSTRAP, QUALITY
from analysis.engine.rater_quality import quality_section, zscores_section
from analysis.engine.reasons import json_safe, with_reasons
from analysis.stats import claims as claim_stats
from analysis.stats import descriptives


def analyze(
    frame: RatingsFrame,
    *,
    claims: Sequence[ClaimSpec],
    scale_min: float,
    scale_max: float,
    alpha: float = 0.05,
    margin: float | None = None,
    seed: int = 0,
    group_order: Sequence[str] | None = None,
    model_method: str = "auto",
    progress: Callable[[str, int], None] | None = None,
) -> dict:
    """The results document of one criterion's ratings; see the package docstring."""
    report = progress or (lambda stage, percent: None)
    notes: list[str] = []
    alpha, scale_min, scale_max = float(alpha), float(scale_min), float(scale_max)
    margin = claim_stats.default_margin(scale_min, scale_max) if margin is None else float(margin)
    seed = int(seed) % 2**63
    cols = frame_columns(frame)
    keys = group_keys_in_order(cols["group"], group_order, notes)
    k = len(keys)
    group_code = codes_in_order(cols["group"], keys)
    is_check = np.isfinite(cols["attention_low"]) | np.isfinite(cols["attention_high"])
    regular = ~is_check & np.isfinite(cols["score"])
    if np.any(~is_check & ~np.isfinite(cols["score"])):
        missing = int(np.count_nonzero(~is_check & ~np.isfinite(cols["score"])))
        notes.append(f"{missing} ratings without a finite score left out")
    names, participant = np.unique(cols["participant"], return_inverse=True)
    participant = participant.ravel()
    sample = np.unique(cols["sample"], return_inverse=True)[1].ravel()
    main = CodedRatings.build(
        cols["score"][regular],
        group_code[regular],
        participant[regular],
        names,
        sample[regular],
        k,
    )
    if main.unit_group.size > main.n_samples:
        notes.append("some samples appear in more than one group; each pair is a separate unit")

    doc: dict = {
        "n_ratings": int(main.score.size),
        "n_participants": int(main.participant_names.size),
        "n_samples": main.n_samples,
        "n_attention_check_ratings": int(np.count_nonzero(is_check)),
        "parameters": {
            "alpha": alpha,
            "equivalence_margin": margin,
            "seed": seed,
            "scale": {"min": scale_min, "max": scale_max},
            "model_method": model_method,
            "engine_version": ENGINE_VERSION,
            "confidence_level": CI_LEVEL,
            "n_bootstrap": N_BOOTSTRAP,
            "quantile_method": descriptives.QUANTILE_METHOD,
            "group_order": keys,
            "quality": {
                "attention_max_failures": QUALITY.attention_max_failures,
                "speed_fraction": QUALITY.speed_fraction,
                "straightline_min_items": QUALITY.straightline_min_items,
                "straightline_sd": QUALITY.straightline_sd,
            },
        },
    }
    report("descriptives", 10)
    doc["groups"], boots = groups_section(main, keys, seed, stream=0)
    report("tests", 30)
    doc["omnibus"], doc["pairwise"] = tests_section(main, keys, boots)
    report("model", 50)
    fit, model_reason = model_fit(main, k, model_method)
    doc["model"] = model_section(fit, model_reason, keys)
    doc["claims"] = claims_section(claims, fit, model_reason, main, keys, alpha, margin)
    report("reliability", 70)
    doc["reliability"] = reliability_section(main, fit, model_reason)
    report("quality", 85)
    doc["rater_quality"] = quality_section(cols, is_check, participant, names)
    doc["zscores"] = zscores_section(main, keys)
    flagged_names = set(doc["rater_quality"]["excluded_participants"])
    doc["with_exclusions"] = exclusions_section(
        doc, main, flagged_names, keys, claims, alpha, margin, seed, model_method
    )
    guessed = regular & (cols["guess"] != "")
    if np.any(guessed):
        doc["detection"] = detection_section(
            np.array(keys)[group_code[guessed]],
            cols["guess"][guessed],
            keys,
            participant=participant[guessed],
            names=names,
            sample=sample[guessed],
            alpha=alpha,
        )
    if fit is not None:
        notes.extend(f"model: {note}" for note in fit.notes)
    doc["notes"] = notes
    report("done", 100)
    return json_safe(doc)


RATING_SECTIONS = (
    "groups",
    "omnibus",
    "pairwise",
    "model",
    "claims",
    "reliability",
    "rater_quality",
    "zscores",
    "with_exclusions",
)
PAIRWISE_STUDY = "a pairwise study has comparisons, not ratings: see pairwise_preference"


def analyze_pairwise(
    frame: ComparisonsFrame,
    *,
    claims: Sequence[ClaimSpec],
    alpha: float = 0.05,
    seed: int = 0,
    group_order: Sequence[str] | None = None,
    ties_allowed: bool | None = None,
    reference: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict:
    """The results document of one criterion's comparisons (pure, like `analyze`): the
    `pairwise_preference` section, the rating sections null with a reason, and the same
    counts, parameters and notes where they make sense. `reference` is the group whose
    ability is fixed at 0 (default: the first in the group order)."""
    report = progress or (lambda stage, percent: None)
    notes: list[str] = []
    alpha = float(alpha)
    seed = int(seed) % 2**63
    present = np.concatenate([np.asarray(frame.group_a), np.asarray(frame.group_b)])
    keys = group_keys_in_order(descriptives.string_codes(present)[0], group_order, notes)
    report("comparisons", 5)
    section = pairwise_section(
        frame,
        keys=keys,
        claims=claims,
        ties_allowed=ties_allowed,
        alpha=alpha,
        seed=seed,
        reference=reference,
        notes=notes,
        progress=report,
    )
    doc: dict = {
        "protocol": "pairwise",
        "n_comparisons": section["n_comparisons"],
        "n_ratings": 0,
        "n_participants": section["n_participants"],
        "n_samples": section["n_samples"],
        "n_attention_check_ratings": 0,
        "parameters": {
            "alpha": alpha,
            "seed": seed,
            "engine_version": ENGINE_VERSION,
            "confidence_level": CI_LEVEL,
            "n_bootstrap": N_PIGEONHOLE,
            "group_order": keys,
            "reference": section["bradley_terry"]["reference"],
            "ties_allowed": section["ties_allowed"],
        },
        "pairwise_preference": section,
    }
    doc.update(dict.fromkeys(RATING_SECTIONS))
    doc = with_reasons(doc, PAIRWISE_STUDY)
    doc["notes"] = notes
    report("done", 100)
    return json_safe(doc)
