"""The diversity measures (analysis.stats.diversity) on examples worked out by hand, on a
published TF-IDF matrix, and on constructed studies whose answer is known: groups that
differ only in which briefs they answer, and a group of identical texts."""

import math

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from analysis.engine.diversity import DiversitySamples, diversity_section
from analysis.stats import diversity
from tests.reference import reference


def test_distinct_n_counts_distinct_ngrams_over_all_ngrams_inside_each_text():
    texts = ["The cat sat", "the cat ran"]
    # Words (lower-cased): the cat sat | the cat ran.
    # 1-grams: the, cat, sat, the, cat, ran: 6 in all, 4 distinct -> 4/6.
    assert diversity.distinct_n(texts, 1) == diversity.Count(4, 6)
    # 2-grams: (the cat) (cat sat) (the cat) (cat ran): 4, 3 distinct -> 3/4. None spans the
    # end of a text: (sat the) is not counted.
    assert diversity.distinct_n(texts, 2).value == 0.75
    # 3-grams: (the cat sat) (the cat ran): 2, both distinct -> 1.
    assert diversity.distinct_n(texts, 3).value == 1.0
    # A text shorter than n adds nothing; no n-gram at all is NaN, not 0.
    assert diversity.distinct_n(["one two"], 3) == diversity.Count(0, 0)
    assert math.isnan(diversity.distinct_n(["one two"], 3).value)


def test_lexical_measures_count_within_briefs_and_pool_over_them():
    texts = ["the cat sat", "the cat ran", "the dog"]
    brief = np.array(["x", "x", "y"])
    found = diversity.lexical(texts, brief)
    # Brief x: 4 distinct of 6 words; brief y: the, dog: 2 of 2. "the" counts once in each
    # brief (as distinct in its own brief): (4 + 2) / (6 + 2) = 0.75.
    assert found.distinct[1] == pytest.approx(6 / 8)
    # 2-grams: x has 3 of 4, y has (the dog): 1 of 1 -> 4/5.
    assert found.distinct[2] == pytest.approx(4 / 5)
    # 3-grams: x has 2 of 2, y none -> 2/2.
    assert found.distinct[3] == pytest.approx(1.0)


def test_compression_ratio_is_size_over_gzip_size():
    # "ab" in a gzip member: 10 bytes of header, 8 of trailer (CRC-32, size) and a deflate
    # block with fixed Huffman codes: 3 header bits + 'a' and 'b' (8 bits each, literals
    # 0-143) + end of block (7 bits) = 26 bits = 4 bytes. 2 / (10 + 4 + 8) = 2/22.
    assert diversity.compression(["ab"]) == diversity.Count(2, 22)
    # "abc\nabc\nabc" (11 bytes): literals a, b, c, \n; then 'a' again as a literal (zlib's
    # hash chains use position 0 as "none", so the first bytes can never be matched); then
    # "bc\nabc" (length 6, code 260: 7 bits) from 4 bytes back (distance code 3: 5 bits).
    # 3 + 5 * 8 + 7 + 5 + 7 (end of block) = 62 bits = 8 bytes; 10 + 8 + 8 = 26.
    found = diversity.compression(["abc", "abc", "abc"])
    assert found == diversity.Count(11, 26)
    assert found.value == pytest.approx(11 / 26)
    # Pooled over briefs, the sizes add up: (2 + 11) / (22 + 26).
    assert diversity.pooled([diversity.compression(["ab"]), found]) == pytest.approx(13 / 48)


def test_tfidf_cosine_of_two_short_texts_worked_by_hand():
    # "cat dog" and "cat fish", n = 2 documents. Smooth idf = ln((1 + n) / (1 + df)) + 1:
    # cat (df 2): ln(3/3) + 1 = 1; dog, fish (df 1): ln(3/2) + 1 = 1.405465.
    # Rows (cat, dog, fish): (1, 1.405465, 0) and (1, 0, 1.405465); their cosine is
    # 1 / (1 + 1.405465^2) = 1 / 2.975332 = 0.336097.
    vectors = diversity.tfidf_vectors(["cat dog", "cat fish"])
    assert diversity.gram(vectors, np.arange(2))[0, 1] == pytest.approx(0.336097, abs=1e-6)
    found = diversity.similarity(
        vectors,
        np.zeros(2, dtype=int),
        np.zeros(2, dtype=int),
        1,
        rng=np.random.default_rng(0),
        n_resamples=10,
        n_permutations=0,
    )
    assert found.within[0].value == pytest.approx(0.336097, abs=1e-6)


def _published_texts(case: dict) -> list[str]:
    terms = case["data"]["terms"]
    return [
        " ".join(term for term, count in zip(terms, row, strict=True) for _ in range(count))
        for row in case["data"]["counts"]
    ]


def test_tfidf_matches_the_scikit_learn_user_guide_and_its_pairwise_cosines():
    case = reference("tfidf_sklearn_user_guide_counts.json")
    texts = _published_texts(case)
    tolerance = case["tolerance"]
    vectors = diversity.tfidf_vectors(texts)
    published = np.array(case["expected"]["tfidf"])
    assert np.allclose(vectors.toarray(), published, atol=tolerance)
    # The mean over the 15 pairs of the six documents (one group, one brief) is the mean
    # of the off-diagonal cosines of the published matrix, and of scikit-learn's own.
    expected = published @ published.T
    mean = expected[np.triu_indices(6, 1)].mean()
    library = cosine_similarity(TfidfVectorizer().fit_transform(texts))
    assert library[np.triu_indices(6, 1)].mean() == pytest.approx(mean, abs=1e-7)
    found = diversity.similarity(
        vectors,
        np.zeros(6, dtype=int),
        np.zeros(6, dtype=int),
        1,
        rng=np.random.default_rng(0),
        n_resamples=200,
        n_permutations=0,
    )
    assert found.within[0].value == pytest.approx(mean, abs=1e-7)
    assert found.within[0].low <= mean <= found.within[0].high


def _equicorrelated(n: int, cosine: float, offset: int, dims: int = 64) -> np.ndarray:
    """n unit vectors whose pairwise cosines are all `cosine`: a shared direction plus
    each vector's own orthogonal direction (axes offset.. of a 64-dimensional space)."""
    shared = np.zeros(dims)
    shared[0] = 1
    out = np.zeros((n, dims))
    for i in range(n):
        own = np.zeros(dims)
        own[1 + offset + i] = 1
        out[i] = math.sqrt(cosine) * shared + math.sqrt(1 - cosine) * own
    return out


def _study(brief_x: tuple[int, int], brief_y: tuple[int, int]):
    """Vectors of groups 0 and 1 in two briefs: brief x's samples all at cosine 0.9 to
    each other, brief y's at 0, whatever their group; (samples of group 0, samples of
    group 1) per brief."""
    (x0, x1), (y0, y1) = brief_x, brief_y
    x = _equicorrelated(x0 + x1, 0.9, offset=0)
    y = _equicorrelated(y0 + y1, 0.0, offset=30)
    vectors = np.vstack([x, y])
    group = np.array([0] * x0 + [1] * x1 + [0] * y0 + [1] * y1)
    brief = np.array([0] * (x0 + x1) + [1] * (y0 + y1))
    return vectors, group, brief


def test_groups_differing_only_in_which_briefs_they_answer_show_no_difference():
    # Group 0 answers the "alike" brief x six times and brief y twice, group 1 the other way
    # round; within each brief, both groups' samples are exactly as alike (0.9 in x, 0 in
    # y). Pooled, group 0 looks far more homogeneous ((15 * 0.9 + 1 * 0) / 16 = 0.84375
    # against (1 * 0.9 + 15 * 0) / 16 = 0.05625), but compared within briefs they do not
    # differ at all.
    vectors, group, brief = _study((6, 2), (2, 6))
    found = diversity.similarity(
        vectors,
        group,
        brief,
        2,
        rng=np.random.default_rng(3),
        n_resamples=500,
        n_permutations=500,
    )
    assert found.within[0].value == pytest.approx(0.84375)
    assert found.within[1].value == pytest.approx(0.05625)
    gap = found.differences[(0, 1)]
    assert gap.value == pytest.approx(0.0, abs=1e-12)
    assert gap.p == 1.0
    assert gap.low == pytest.approx(0.0, abs=1e-12) and gap.high == pytest.approx(0, abs=1e-12)


def test_a_group_more_alike_within_the_same_briefs_is_found_with_a_small_p():
    # The control of the test above: group 0's samples are alike (0.9) in both briefs,
    # group 1's unrelated (0) in both; 5 samples each per brief.
    x0 = _equicorrelated(5, 0.9, offset=0)
    x1 = _equicorrelated(5, 0.0, offset=10)
    y0 = _equicorrelated(5, 0.9, offset=20)
    y1 = _equicorrelated(5, 0.0, offset=30)
    vectors = np.vstack([x0, x1, y0, y1])
    group = np.repeat([0, 1, 0, 1], 5)
    brief = np.repeat([0, 0, 1, 1], 5)
    found = diversity.similarity(
        vectors,
        group,
        brief,
        2,
        rng=np.random.default_rng(3),
        n_resamples=500,
        n_permutations=500,
    )
    gap = found.differences[(0, 1)]
    # Group 1's vectors still share nothing but group 0's shared direction is not theirs:
    # their pairwise cosine is 0 (own axes) -> difference 0.9 - 0 = 0.9.
    assert gap.value == pytest.approx(0.9)
    # Of the C(10, 5) = 252 labellings of a brief, only the observed one and its mirror
    # reach |d| = 0.9 in both briefs at once: p is about 1 / 501, far below 0.05.
    assert gap.p < 0.01
    assert gap.low > 0.5


def _section(texts, groups, briefs, *, seed=0, kinds=None):
    from analysis.embeddings import embed, model_id

    samples = DiversitySamples(groups, briefs, kinds or ["text"] * len(texts), texts)
    index = samples.text_index.tolist()
    return diversity_section(
        samples,
        embeddings=embed([texts[i] for i in index]),
        model=model_id(),
        group_order=["human", "collaboration", "ai"],
        seed=seed,
        n_resamples=300,
        n_permutations=300,
    )


IDENTICAL = "The river took the old bridge in the night, and the village woke to the noise."
VARIED = [
    "A fox crossed the frozen field at dawn, leaving a line of small blue shadows.",
    "My aunt sold umbrellas at the station and never once carried one herself.",
    "The committee voted to paint the lighthouse green, to nobody's delight.",
    "Under the floorboards we found a tin of buttons and a letter nobody could read.",
]


def test_identical_texts_in_a_group_give_it_similarity_one():
    texts = [IDENTICAL] * 4 + VARIED
    groups = ["collaboration"] * 4 + ["human"] * 4
    section = _section(texts, groups, ["b"] * 8)
    same = section["groups"]["collaboration"]
    for measure in ("semantic_similarity", "tfidf_similarity"):
        assert same[measure]["mean"] == pytest.approx(1.0, abs=1e-6)
        assert same[measure]["ci95"] == pytest.approx([1.0, 1.0], abs=1e-6)
        assert section["groups"]["human"][measure]["mean"] < 0.5
    # Four copies of a 16-word text with 12 distinct words ("the" five times): 12 of 64.
    assert same["distinct_1"] == pytest.approx(12 / 64)
    assert same["compression_ratio"] > section["groups"]["human"]["compression_ratio"]
    (semantic,) = [d for d in section["differences"] if d["measure"] == "semantic_similarity"]
    assert semantic["groups"] == ["human", "collaboration"] and semantic["difference"] < -0.5


def test_the_section_is_reproducible_with_the_same_seed_and_says_which_samples_it_left_out():
    texts = [IDENTICAL, VARIED[0], VARIED[1], VARIED[2], VARIED[3], "", ""]
    groups = ["collaboration", "collaboration", "collaboration", "human", "human", "ai", "human"]
    kinds = ["text"] * 5 + ["image", "audio"]
    briefs = ["b", "b", "b", "b", "b", "b", "b"]
    first = _section(texts, groups, briefs, seed=11, kinds=kinds)
    again = _section(texts, groups, briefs, seed=11, kinds=kinds)
    other = _section(texts, groups, briefs, seed=12, kinds=kinds)
    assert first == again
    assert first != other  # the seed drives the resampling
    assert first["groups"]["human"]["n_samples"] == 2
    ai = first["groups"]["ai"]
    assert ai["semantic_similarity"] is None and "image" in ai["reasons"]["semantic_similarity"]
    assert first["reasons"]["not_text"].startswith("2 audio and image samples left out")
    assert [row["groups"] for row in first["between_groups"]] == [["human", "collaboration"]]
