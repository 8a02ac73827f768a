"""A run's results document, built in the worker: the engine on the study's ratings (or a
pairwise study's comparisons), then the diversity section on its text samples, then the
input block. `analysis.services.analysis_execute` calls these; the progress argument is
its run progress (stage and percent), or None.

The engine (NumPy, SciPy) and the embeddings are imported where a job uses them, so web
processes never load them."""

from typing import TYPE_CHECKING

from analysis import selectors
from analysis.models import TextEmbedding
from analysis.snapshot import comparisons_checksum, input_checksum, input_counts
from studies.models import Study

if TYPE_CHECKING:
    from analysis.services import RunProgress

EMBED_CHUNK = 1000  # hashes per cache query


def analysis_document(
    *, study: Study, parameters: dict, frame, rating_ids, progress: "RunProgress | None" = None
) -> tuple[dict, dict, str]:
    """Run the engine on a loaded frame, and the diversity section on the study's samples:
    (results document, input counts, input SHA-256)."""
    from analysis import engine

    checksum = input_checksum(frame, rating_ids)
    document = engine.analyze(
        frame,
        claims=selectors.analysis_claims(study=study),
        scale_min=study.scale_min,
        scale_max=study.scale_max,
        alpha=parameters["alpha"],
        margin=parameters["margin"],
        seed=parameters["seed"],
        group_order=selectors.analysis_group_order(study=study),
        model_method=parameters["model_method"],
        progress=progress.engine if progress is not None else None,
    )
    counts = _document_finish(document, study, parameters, checksum, progress)
    return document, counts, checksum


def analysis_pairwise_document(
    *, study: Study, parameters: dict, header, rows, progress: "RunProgress | None" = None
) -> tuple[dict, dict, str, object]:
    """Run the pairwise engine on a pairwise study's comparisons, given as the comparisons
    export's header and rows, and the diversity section on the study's samples: (results
    document, input counts, input SHA-256, frame). Bad rows raise ComparisonsFileError
    naming line and field."""
    from analysis import engine
    from analysis.comparisons_csv import comparisons_rows_read

    comparisons = comparisons_rows_read(
        header, rows, name=f"comparisons of {study.slug}", criterion=parameters["criterion"]
    )
    checksum = comparisons_checksum(comparisons.frame, comparisons.comparison_ids)
    document = engine.analyze_pairwise(
        comparisons.frame,
        claims=selectors.analysis_claims(study=study),
        alpha=parameters["alpha"],
        seed=parameters["seed"],
        group_order=selectors.analysis_group_order(study=study),
        ties_allowed=study.allow_ties,
        progress=progress.engine if progress is not None else None,
    )
    counts = _document_finish(document, study, parameters, checksum, progress)
    return document, counts, checksum, comparisons.frame


def _document_finish(document, study, parameters, checksum, progress) -> dict:
    """What every protocol's document ends with: the diversity section and the input block
    (criterion, checksum, counts). Returns the input counts."""
    document["diversity"] = analysis_diversity(
        study=study, seed=parameters["seed"], progress=progress
    )
    counts = input_counts(document)
    document["input"] = {"criterion": parameters["criterion"], "sha256": checksum, **counts}
    return counts


def text_embeddings(
    *, texts: list[str], hashes: list[str], progress: "RunProgress | None" = None
) -> tuple:
    """Unit-length embeddings of `texts` (one row each) and how many were embedded now:
    vectors already in the cache (`TextEmbedding`, by model and content SHA-256) are read,
    the others embedded and stored, so a second analysis embeds nothing."""
    import numpy as np

    from analysis import embeddings

    model = embeddings.model_id()
    wanted = list(dict.fromkeys(hashes))
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(wanted), EMBED_CHUNK):
        rows = TextEmbedding.objects.filter(
            model=model, content_sha256__in=wanted[start : start + EMBED_CHUNK]
        ).values_list("content_sha256", "vector")
        found.update((digest, np.frombuffer(bytes(vector), dtype="<f4")) for digest, vector in rows)
    missing = [digest for digest in wanted if digest not in found]
    if progress is not None:
        progress.report(
            f"embedding {len(missing)} texts ({len(found)} cached)", 0, part="embedding"
        )
    if missing:
        text_of = dict(zip(hashes, texts, strict=True))

        def told(done: int, total: int) -> None:
            if progress is not None:
                progress.report(f"embedding {total} texts", 100 * done / total, part="embedding")

        vectors = embeddings.embed([text_of[digest] for digest in missing], progress=told)
        TextEmbedding.objects.bulk_create(
            [
                TextEmbedding(
                    model=model, content_sha256=digest, vector=vector.astype("<f4").tobytes()
                )
                for digest, vector in zip(missing, vectors, strict=True)
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
        found.update(zip(missing, vectors, strict=True))
    matrix = np.vstack([found[digest] for digest in hashes]) if hashes else None
    return matrix, len(missing)


def analysis_diversity(*, study: Study, seed: int, progress: "RunProgress | None" = None) -> dict:
    """The `diversity` section of a study's analysis: its text samples embedded (through
    the cache), then measured by the engine."""
    from analysis import embeddings
    from analysis.engine.diversity import diversity_section

    samples, hashes = selectors.analysis_diversity_samples(study=study)
    index = samples.text_index.tolist()
    vectors, model = None, None
    if index:
        model = embeddings.model_id()
        vectors, _ = text_embeddings(
            texts=[samples.text[i] for i in index],
            hashes=[hashes[i] for i in index],
            progress=progress,
        )
    if progress is not None:
        progress.report("diversity", 0, part="diversity")
    return diversity_section(
        samples,
        embeddings=vectors,
        model=model,
        group_order=selectors.analysis_group_order(study=study),
        seed=seed,
    )
