"""The results document in words: one plain sentence per claim, the rows of the tables of
the results page, and the summaries of `analyze`, `analyze_csv` and `plan`. Pure functions
over the document, in modules by section: `formats` (numbers, p values, intervals),
`ratings` (claims, groups, variance, the summary), `detection`, `pairwise`, `planning` and
`diversity`. This package re-exports what other code imports.
"""

from analysis.presentation.detection import (  # noqa: F401
    detection_group_rows,
    detection_majority_sentence,
    detection_sentence,
    signal_detection_sentence,
)
from analysis.presentation.diversity import (  # noqa: F401
    DIVERSITY_MEASURES,
    diversity_rows,
    diversity_sentence,
)
from analysis.presentation.formats import (  # noqa: F401
    MODEL_METHODS,
    NOT_CHECKED,
    ci2,
    decimals_for,
    interval,
    model_method,
    number,
    p_phrase,
    p_value,
    percent,
    percent_interval,
)
from analysis.presentation.pairwise import (  # noqa: F401
    ORDERING_EXPLANATIONS,
    ordering_sentence,
    pairwise_summary_lines,
    pairwise_view,
)
from analysis.presentation.planning import (  # noqa: F401
    plan_lines,
    plan_rows,
    planned_design,
    planned_rows,
)
from analysis.presentation.ratings import (  # noqa: F401
    VERDICT_EXPLANATIONS,
    claim_rows,
    claim_sentence,
    group_rows,
    summary_lines,
    variance_rows,
    verdict_legend,
)
