"""How alike the samples of a group are: similarity within and between groups, within briefs.

Pure functions over texts and vectors; no Django. The measures:

- Mean pairwise cosine similarity of vectors (sentence embeddings, or TF-IDF rows), between
  samples of the same group and brief, pooled over briefs: the sum over briefs of the
  pairwise similarities divided by the number of pairs, so every within-brief pair counts
  once (Doshi & Hauser 2024, "Generative AI enhances individual creativity but reduces the
  collective diversity of novel content", Science Advances 10, eadn5290: similarity of
  stories written for the same prompt). Between two groups: the mean over pairs (one
  sample of each group, same brief).
- TF-IDF vectors: scikit-learn's `TfidfVectorizer` with its defaults (raw counts, smooth
  idf = ln((1 + n) / (1 + df)) + 1, rows scaled to unit length), fitted on all the texts
  compared, so the cosine is the dot product of two rows.
- distinct-n (Li et al. 2016, "A diversity-promoting objective function for neural
  conversation models", NAACL): distinct n-grams over all n-grams of a set of texts,
  n-grams never crossing a text's end; words are runs of letters and digits (`\\w+`),
  lower-cased.
- Compression ratio (Shaib et al. 2024, "Standardizing the measurement of text
  diversity", arXiv:2403.00553): size of the texts joined by newlines over its gzip size
  (level 9, no file name, mtime 0); higher means more repetitive.

Within briefs: every statistic is computed in each brief's cell (group x brief) and
pooled over briefs (pairs, n-grams and bytes add up), so a group is compared with itself
only on the same task. The difference of two groups uses only the briefs both answer with
at least two samples each: the mean over those briefs of (similarity of a - similarity of
b), weighted by the two groups' samples in the brief. So groups that differ only in which
briefs they answer differ by nothing.

Uncertainty: 95% percentile intervals from resampling samples with replacement within each
cell (group x brief); a resample's pairs are those of two different original samples (a
sample drawn twice is not a pair with itself), and a resample that drew only one sample
(no pair) is drawn again. Tests of a difference permute group labels
within briefs (the two groups' samples of each brief are shuffled between them) and
report the two-sided p = (1 + #{|d*| >= |d|}) / (1 + permutations). All draws come from
the seeded generator given.
"""

import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WORD = re.compile(r"\w+")
NAN = float("nan")
PERMUTATION_CHUNK = 250
TOO_FEW_PAIRS = "no brief has two samples of this group, so there is no pair to compare"
NO_COMMON_BRIEF = "no brief has two samples of both groups, so they cannot be compared"
NO_SHARED_BRIEF = "the groups answer no brief in common"
FEW_RESAMPLES = "too few samples per brief to resample: most resamples drew the same sample twice"
NO_WORDS = "the texts have no word sequences of this length"


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


@dataclass(frozen=True)
class Count:
    """A ratio of two counts that pools by adding them up (over briefs)."""

    part: int
    whole: int

    @property
    def value(self) -> float:
        return self.part / self.whole if self.whole else NAN


def _word_codes(texts: Sequence[str]) -> list[np.ndarray]:
    """Each text's words as integer codes (one code per distinct word of the texts)."""
    vocabulary: dict[str, int] = {}
    return [
        np.array([vocabulary.setdefault(w, len(vocabulary)) for w in words(t)], dtype=np.int64)
        for t in texts
    ]


def _distinct(codes: list[np.ndarray], n: int) -> Count:
    """Distinct n-grams and all n-grams of texts given as word codes: each n-gram is one
    integer, sum of code_i * V^(n-1-i) (V words; exact while V^n < 2^63)."""
    size = 1 + max((int(c.max()) for c in codes if c.size), default=0)
    grams = []
    for c in codes:
        if c.size < n:
            continue
        gram = np.zeros(c.size - n + 1, dtype=np.int64)
        for i in range(n):
            gram = gram * size + c[i : c.size - n + 1 + i]
        grams.append(gram)
    if not grams:
        return Count(0, 0)
    joined = np.concatenate(grams)
    return Count(int(np.unique(joined).size), int(joined.size))


def distinct_n(texts: Sequence[str], n: int) -> Count:
    """Distinct n-grams and all n-grams of the texts (n-grams inside each text)."""
    return _distinct(_word_codes(texts), n)


def compression(texts: Sequence[str]) -> Count:
    """Bytes of the texts joined by newlines (UTF-8) and of their gzip (level 9)."""
    data = "\n".join(texts).encode("utf-8")
    return Count(len(data), len(gzip.compress(data, compresslevel=9, mtime=0)))


def pooled(counts: Sequence[Count]) -> float:
    """Sum of parts over sum of wholes (NaN when nothing was counted)."""
    return Count(sum(c.part for c in counts), sum(c.whole for c in counts)).value


def tfidf_vectors(texts: Sequence[str]):
    """Unit-length TF-IDF rows (scikit-learn's defaults), a sparse matrix; an empty
    vocabulary (no text has a word of two letters) gives zero rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        return TfidfVectorizer().fit_transform(list(texts))
    except ValueError:  # "empty vocabulary"
        from scipy import sparse

        return sparse.csr_matrix((len(texts), 1))


def gram(vectors, index: np.ndarray) -> np.ndarray:
    """Cosines of the rows `index` of unit-length `vectors` (dense or sparse), as float64."""
    rows = vectors[index]
    if hasattr(rows, "toarray"):
        product = (rows @ rows.T).toarray()
    else:
        rows = np.asarray(rows, dtype=np.float64)
        product = rows @ rows.T
    return np.clip(product, -1.0, 1.0)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float = NAN
    high: float = NAN
    p: float = NAN
    reason: str | None = None  # why value is NaN
    ci_reason: str | None = None  # why the interval is NaN

    @property
    def ci(self) -> list[float]:
        return [self.low, self.high]


@dataclass(frozen=True)
class Similarity:
    within: dict[int, Estimate]  # by group code
    between: dict[tuple[int, int], Estimate]  # (a, b) with a < b
    differences: dict[tuple[int, int], Estimate]  # a - b, with p uncorrected


def _interval(draws: np.ndarray, level: float) -> tuple[float, float, str | None]:
    finite = draws[np.isfinite(draws)]
    if draws.size == 0 or finite.size < draws.size / 2:
        return NAN, NAN, FEW_RESAMPLES
    low, high = np.percentile(finite, [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high), None


def _draws(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """How often each of n samples is drawn in `size` resamples with replacement; a
    resample that drew one sample n times (no pair left) is drawn again, so every
    resample of a cell of two or more samples has a pair."""
    counts = _counts(rng, n, size)
    if n >= 2:
        single = np.flatnonzero(counts.max(axis=1) == n)
        while single.size:
            counts[single] = _counts(rng, n, single.size)
            single = single[counts[single].max(axis=1) == n]
    return counts


def _counts(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    drawn = rng.integers(0, n, size=(size, n)) + n * np.arange(size)[:, None]
    return np.bincount(drawn.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)


def _within_sums(g: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of cosines over pairs of different originals (times 2), and pairs (times 2),
    for each row of `counts` (how often each sample was drawn)."""
    num = np.einsum("ij,ij->i", counts @ g, counts) - (counts**2) @ np.diag(g)
    n = counts.sum(axis=1)
    return num, n**2 - (counts**2).sum(axis=1)


def _ratio(num, den):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def similarity(
    vectors,
    group: np.ndarray,
    brief: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator,
    n_resamples: int,
    n_permutations: int,
    level: float = 0.95,
) -> Similarity:
    """Within-group and between-group mean pairwise cosine of unit-length `vectors` (one
    row per sample; `group` codes 0..k-1 and `brief` codes per row), pooled over briefs,
    with resampled intervals and permutation tests of each pair of groups."""
    group, brief = np.asarray(group), np.asarray(brief)
    briefs = np.unique(brief)
    within_num = np.zeros((k, 1 + n_resamples))
    within_den = np.zeros((k, 1 + n_resamples))
    between_num = {(a, b): np.zeros(1 + n_resamples) for a in range(k) for b in range(a + 1, k)}
    between_den = {pair: np.zeros(1 + n_resamples) for pair in between_num}
    # Per brief and group, the cell's similarity (observed and resampled), for differences.
    cell_s: dict[tuple[int, int], np.ndarray] = {}
    cell_n: dict[tuple[int, int], int] = {}
    grams: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for b in briefs.tolist():
        members = np.flatnonzero(brief == b)
        g_all = gram(vectors, members)
        codes = group[members]
        grams[b] = (g_all, codes)
        draws: dict[int, np.ndarray] = {}
        for a in np.unique(codes).tolist():
            local = np.flatnonzero(codes == a)
            n = local.size
            counts = np.vstack([np.ones((1, n)), _draws(rng, n, n_resamples)])
            draws[a] = counts
            num, den = _within_sums(g_all[np.ix_(local, local)], counts)
            within_num[a] += num
            within_den[a] += den
            cell_s[(a, b)] = _ratio(num, den)
            cell_n[(a, b)] = n
        for (a, c), num_total in between_num.items():
            if a in draws and c in draws:
                la, lc = np.flatnonzero(codes == a), np.flatnonzero(codes == c)
                block = g_all[np.ix_(la, lc)]
                num_total += np.einsum("ij,ij->i", draws[a] @ block, draws[c])
                between_den[(a, c)] += draws[a].sum(axis=1) * draws[c].sum(axis=1)

    within = {}
    for a in range(k):
        means = _ratio(within_num[a], within_den[a])
        if not np.isfinite(means[0]):
            within[a] = Estimate(NAN, reason=TOO_FEW_PAIRS, ci_reason=TOO_FEW_PAIRS)
            continue
        low, high, why = _interval(means[1:], level)
        within[a] = Estimate(float(means[0]), low, high, ci_reason=why)
    between = {}
    for pair, num in between_num.items():
        means = _ratio(num, between_den[pair])
        if not np.isfinite(means[0]):
            between[pair] = Estimate(NAN, reason=NO_SHARED_BRIEF, ci_reason=NO_SHARED_BRIEF)
            continue
        low, high, why = _interval(means[1:], level)
        between[pair] = Estimate(float(means[0]), low, high, ci_reason=why)
    differences = {}
    for a, c in between_num:
        common = [
            b for b in briefs.tolist() if cell_n.get((a, b), 0) >= 2 and cell_n.get((c, b), 0) >= 2
        ]
        if not common:
            differences[(a, c)] = Estimate(NAN, reason=NO_COMMON_BRIEF, ci_reason=NO_COMMON_BRIEF)
            continue
        weights = np.array([cell_n[(a, b)] + cell_n[(c, b)] for b in common], dtype=float)
        gaps = np.vstack([cell_s[(a, b)] - cell_s[(c, b)] for b in common])
        finite = np.all(np.isfinite(gaps), axis=0)
        with np.errstate(invalid="ignore"):
            d = np.where(finite, weights @ np.nan_to_num(gaps) / weights.sum(), np.nan)
        low, high, why = _interval(d[1:], level)
        p = _permutation_p(grams, common, a, c, weights, float(d[0]), rng, n_permutations)
        differences[(a, c)] = Estimate(float(d[0]), low, high, p=p, ci_reason=why)
    return Similarity(within, between, differences)


def _permutation_p(grams, common, a, c, weights, observed, rng, n_permutations) -> float:
    """Two-sided permutation p of the weighted within-brief difference a - c, shuffling the
    two groups' labels within each brief."""
    if n_permutations <= 0:
        return NAN
    total = np.zeros(n_permutations)
    for weight, b in zip(weights, common, strict=True):
        g_all, codes = grams[b]
        pool = np.flatnonzero((codes == a) | (codes == c))
        g = g_all[np.ix_(pool, pool)]
        n_a = int(np.count_nonzero(codes[pool] == a))
        m = pool.size
        n_c = m - n_a
        diag, row_sums, whole = np.diag(g), g.sum(axis=1), g.sum()
        for start in range(0, n_permutations, PERMUTATION_CHUNK):
            stop = min(start + PERMUTATION_CHUNK, n_permutations)
            ranks = np.argsort(rng.random((stop - start, m)), axis=1)
            z = (ranks < n_a).astype(np.float64)
            zg = z @ g
            in_a = np.einsum("ij,ij->i", zg, z) - z @ diag
            # (1 - z)' G (1 - z) = 1'G1 - 2 z'G1 + z'Gz, without a second product.
            in_c = (
                whole - 2 * (z @ row_sums) + np.einsum("ij,ij->i", zg, z) - (diag.sum() - z @ diag)
            )
            total[start:stop] += weight * (in_a / (n_a * n_a - n_a) - in_c / (n_c * n_c - n_c))
    permuted = total / weights.sum()
    extreme = np.count_nonzero(np.abs(permuted) >= abs(observed) - 1e-12)
    return float((1 + extreme) / (1 + n_permutations))


@dataclass(frozen=True)
class Lexical:
    distinct: dict[int, float]  # n -> pooled distinct-n
    compression_ratio: float
    reasons: dict[str, str]


def lexical(texts: Sequence[str], brief: np.ndarray) -> Lexical:
    """distinct-1..3 and the compression ratio of one group's texts, each counted within
    briefs and pooled over them."""
    brief = np.asarray(brief)
    cells = [[texts[i] for i in np.flatnonzero(brief == b)] for b in np.unique(brief).tolist()]
    codes = [_word_codes(cell) for cell in cells]
    distinct = {n: pooled([_distinct(cell, n) for cell in codes]) for n in (1, 2, 3)}
    ratio = pooled([compression(cell) for cell in cells])
    reasons = {f"distinct_{n}": NO_WORDS for n, value in distinct.items() if not np.isfinite(value)}
    return Lexical(distinct, ratio, reasons)
