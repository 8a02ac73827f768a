"""The results document: `analyze`, which codes the ratings and assembles every section
(groups, tests, model, claims, reliability, rater quality, z-scores, exclusions,
detection) with the study-wide counts, parameters and notes."""

from collections.abc import Callable, Sequence

import numpy as np

from analysis.engine.agreement import _reliability
from analysis.engine.claims import _claims
from analysis.engine.comparisons import _tests
from analysis.engine.exclusions import _with_exclusions
from analysis.engine.groups import _groups
from analysis.engine.guess_detection import _detection
from analysis.engine.inputs import (
    ClaimSpec,
    RatingsFrame,
    _codes_in_order,
    _columns,
    _group_keys,
    _Ratings,
)
from analysis.engine.model import _fit, _model_section
from analysis.engine.parameters import CI_LEVEL, ENGINE_VERSION, N_BOOTSTRAP, QUALITY
from analysis.engine.rater_quality import _quality, _zscores
from analysis.engine.reasons import _clean
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
    cols = _columns(frame)
    keys = _group_keys(cols["group"], group_order, notes)
    k = len(keys)
    group_code = _codes_in_order(cols["group"], keys)
    is_check = np.isfinite(cols["attention_low"]) | np.isfinite(cols["attention_high"])
    regular = ~is_check & np.isfinite(cols["score"])
    if np.any(~is_check & ~np.isfinite(cols["score"])):
        missing = int(np.count_nonzero(~is_check & ~np.isfinite(cols["score"])))
        notes.append(f"{missing} ratings without a finite score left out")
    names, participant = np.unique(cols["participant"], return_inverse=True)
    participant = participant.ravel()
    sample = np.unique(cols["sample"], return_inverse=True)[1].ravel()
    main = _Ratings.build(
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
    doc["groups"], boots = _groups(main, keys, seed, stream=0)
    report("tests", 30)
    doc["omnibus"], doc["pairwise"] = _tests(main, keys, boots)
    report("model", 50)
    fit, model_reason = _fit(main, k, model_method)
    doc["model"] = _model_section(fit, model_reason, keys)
    doc["claims"] = _claims(claims, fit, model_reason, main, keys, alpha, margin)
    report("reliability", 70)
    doc["reliability"] = _reliability(main, fit, model_reason)
    report("quality", 85)
    doc["rater_quality"] = _quality(cols, is_check, participant, names)
    doc["zscores"] = _zscores(main, keys)
    flagged_names = set(doc["rater_quality"]["excluded_participants"])
    doc["with_exclusions"] = _with_exclusions(
        doc, main, flagged_names, keys, claims, alpha, margin, seed, model_method
    )
    guessed = regular & (cols["guess"] != "")
    if np.any(guessed):
        doc["detection"] = _detection(
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
    return _clean(doc)
