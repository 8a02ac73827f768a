"""The `with_exclusions` section: groups, model and claims again without the participants
flagged in `rater_quality`."""

import numpy as np

from analysis.engine.claims import claims_section
from analysis.engine.groups import groups_section
from analysis.engine.inputs import CodedRatings
from analysis.engine.model import model_fit, model_section


def exclusions_section(doc, main, flagged, keys, claims, alpha, margin, seed, method) -> dict:
    excluded = sorted(flagged & set(main.participant_names.tolist()))
    if not excluded:
        return {
            "excluded_participants": [],
            "n_ratings": doc["n_ratings"],
            "n_participants": doc["n_participants"],
            "identical_to_main": True,
            "groups": doc["groups"],
            "claims": doc["claims"],
            "model": doc["model"],
        }
    keep = ~np.isin(main.participant_names[main.participant], excluded)
    sub = CodedRatings.build(
        main.score[keep],
        main.group[keep],
        main.participant[keep],
        main.participant_names,
        main.sample[keep],
        len(keys),
    )
    groups, _ = groups_section(sub, keys, seed, stream=1)
    fit, reason = model_fit(sub, len(keys), method)
    return {
        "excluded_participants": excluded,
        "n_ratings": int(sub.score.size),
        "n_participants": int(sub.participant_names.size),
        "identical_to_main": False,
        "groups": groups,
        "claims": claims_section(claims, fit, reason, sub, keys, alpha, margin),
        "model": model_section(fit, reason, keys),
    }
