"""The `diversity` section: how alike the samples of each group are (homogenisation), from
the samples' texts and their sentence embeddings (`analysis.stats.diversity`).

Text samples only: image and audio samples are counted out with the reason. Attention
checks are not samples of a group and are left out by the caller. The embeddings are made
(and cached) by the caller; this stays pure: the same samples, vectors and seed give the
same section.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from analysis.engine.parameters import CI_LEVEL, N_BOOTSTRAP
from analysis.engine.reasons import json_safe, with_reasons
from analysis.stats import diversity, inference

N_PERMUTATIONS = 1000
STREAM = 7  # the section's own random stream beside the other sections' (seed, stream)
MEASURES = ("semantic_similarity", "tfidf_similarity")
NOT_TEXT = "not computed: the group's samples are {kinds}; the measures are for text"
NO_TEXT = "no text samples: the measures are for text"
LEFT_OUT = "{n} {kinds} samples left out ({groups}): the measures are for text"


@dataclass(frozen=True)
class DiversitySamples:
    """One entry per sample (attention checks excluded): group key, brief key ("" for
    none), kind ("text", "image", "audio") and text ("" for media)."""

    group: Sequence[str]
    brief: Sequence[str]
    kind: Sequence[str]
    text: Sequence[str]

    @property
    def text_index(self) -> np.ndarray:
        return np.flatnonzero(np.asarray(self.kind, dtype=object) == "text")


def _estimate(e: diversity.Estimate) -> dict:
    return with_reasons(
        {"mean": e.value, "ci95": e.ci}, None, mean=e.reason, ci95=e.ci_reason or e.reason
    )


def _kinds(kinds) -> str:
    return " and ".join(sorted(set(kinds)))


def diversity_section(
    samples: DiversitySamples,
    *,
    embeddings: np.ndarray | None,
    model: str | None,
    group_order: Sequence[str] = (),
    seed: int = 0,
    n_resamples: int = N_BOOTSTRAP,
    n_permutations: int = N_PERMUTATIONS,
) -> dict:
    """The section; `embeddings` holds one unit-length row per text sample, in the order
    of `samples.text_index`; `model` names the model that made them."""
    groups = np.asarray(samples.group, dtype=object)
    present = list(dict.fromkeys(groups.tolist()))
    keys = [key for key in group_order if key in present] + [
        key for key in present if key not in group_order
    ]
    texts = samples.text_index
    reasons: dict[str, str] = {}
    other = np.setdiff1d(np.arange(groups.size), texts)
    if other.size:
        kinds = [samples.kind[i] for i in other.tolist()]
        left = ", ".join(
            f"{key} {int(np.count_nonzero(groups[other] == key))}"
            for key in keys
            if np.any(groups[other] == key)
        )
        reasons["not_text"] = LEFT_OUT.format(n=other.size, kinds=_kinds(kinds), groups=left)
    section: dict = {"model": model if texts.size else None, "groups": {}}
    if not texts.size:
        reasons["model"] = NO_TEXT
    text_keys = [key for key in keys if np.any(groups[texts] == key)]
    code = {key: i for i, key in enumerate(text_keys)}
    k = len(text_keys)
    group = np.array([code[key] for key in groups[texts].tolist()], dtype=np.int64)
    brief = np.asarray([samples.brief[i] for i in texts.tolist()], dtype=object)
    text_list = [samples.text[i] for i in texts.tolist()]
    results = {}
    if k:
        rng = np.random.default_rng([int(seed) % 2**63, STREAM])
        vectors = {
            "semantic_similarity": np.asarray(embeddings, dtype=np.float64),
            "tfidf_similarity": diversity.tfidf_vectors(text_list),
        }
        brief_codes = np.unique(brief.astype(str), return_inverse=True)[1].ravel()
        for measure in MEASURES:
            results[measure] = diversity.similarity(
                vectors[measure],
                group,
                brief_codes,
                k,
                rng=rng,
                n_resamples=n_resamples,
                n_permutations=n_permutations,
                level=CI_LEVEL,
            )
    for key in keys:
        if key not in code:
            kinds = [samples.kind[i] for i in np.flatnonzero(groups == key).tolist()]
            why = NOT_TEXT.format(kinds=_kinds(kinds))
            nulls = {
                "n_samples": 0,
                "n_briefs": 0,
                "semantic_similarity": None,
                "tfidf_similarity": None,
                "distinct_1": None,
                "distinct_2": None,
                "distinct_3": None,
                "compression_ratio": None,
            }
            section["groups"][key] = with_reasons(nulls, why)
            continue
        mine = np.flatnonzero(group == code[key])
        lexical = diversity.lexical([text_list[i] for i in mine.tolist()], brief[mine].astype(str))
        entry = {
            "n_samples": int(mine.size),
            "n_briefs": int(np.unique(brief[mine].astype(str)).size),
            **{m: _estimate(results[m].within[code[key]]) for m in MEASURES},
            **{f"distinct_{n}": lexical.distinct[n] for n in (1, 2, 3)},
            "compression_ratio": lexical.compression_ratio,
        }
        section["groups"][key] = with_reasons(entry, None, **lexical.reasons)
    section["between_groups"] = [
        {
            "groups": [a, b],
            "semantic_similarity": _estimate(
                results["semantic_similarity"].between[(code[a], code[b])]
            ),
        }
        for a, b in combinations(text_keys, 2)
    ]
    differences = []
    for measure in MEASURES:
        pairs = list(combinations(text_keys, 2))
        found = [results[measure].differences[(code[a], code[b])] for a, b in pairs]
        adjusted = inference.holm([e.p for e in found])
        for (a, b), e, p_holm in zip(pairs, found, adjusted, strict=True):
            row = {
                "groups": [a, b],
                "measure": measure,
                "difference": e.value,
                "ci95": e.ci,
                "p": e.p,
                "p_holm": p_holm,
            }
            why = e.reason or "not computable"
            differences.append(with_reasons(row, why, ci95=e.ci_reason or e.reason))
    section["differences"] = differences
    section["reasons"] = reasons
    return json_safe(section)
