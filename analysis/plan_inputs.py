"""Where a plan's assumptions come from, with no database: the stated defaults, variance
components estimated from a ratings CSV (the analysis's own model), and the command line's
truths (its claims: `analysis.ratings_csv.claims_parse`). The study-bound sources (a
study's design, a pilot study's finished analysis) are in `analysis.selectors`."""

import math

import numpy as np

from analysis.ratings_csv import RatingsFileError, ratings_file_read

VARIANCE_DEFAULT_SOURCE = (
    "default: the demo's simulated raters (ratings.simulation.RaterModel: rater leniency SD "
    "{participant_sd:g}, sample quality SD {sample_sd:g}, noise SD {residual_sd:g} on a 1-10 "
    "scale): an assumption, not a measurement; give --variance, a pilot study or a ratings "
    "CSV to plan with numbers of your own"
)


def default_variance():
    """The variance components assumed when nothing is known, and where they come from."""
    from analysis.planning import Variance
    from ratings.simulation import RaterModel

    model = RaterModel(group_means={})
    variance = Variance(model.leniency_sd**2, model.quality_sd**2, model.noise_sd**2)
    source = VARIANCE_DEFAULT_SOURCE.format(
        participant_sd=model.leniency_sd, sample_sd=model.quality_sd, residual_sd=model.noise_sd
    )
    return variance, source


def variance_parse(text: str):
    """`P,S,R`: participant, sample and residual variance."""
    from analysis.planning import Variance

    parts = [part.strip() for part in text.split(",")]
    try:
        values = [float(part) for part in parts]
    except ValueError:
        raise ValueError(f"--variance {text!r}: expected three numbers P,S,R") from None
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"--variance {text!r}: expected three numbers P,S,R")
    return Variance(*values)


def variance_from_csv(path: str, *, criterion: str | None = None):
    """The variance components of a ratings CSV, fitted with the analysis's crossed model
    (attention checks and missing scores left out, as the analysis does)."""
    from analysis.planning import Variance
    from analysis.stats.mixed import fit_crossed

    try:
        ratings = ratings_file_read(path, criterion=criterion)
    except RatingsFileError as error:
        raise ValueError("\n".join(error.errors)) from error
    frame = ratings.frame
    regular = (
        ~np.isfinite(frame.attention_low)
        & ~np.isfinite(frame.attention_high)
        & np.isfinite(frame.score)
    )
    codes = [
        np.unique(np.asarray(a)[regular], return_inverse=True)
        for a in (frame.group, frame.participant, frame.sample)
    ]
    fit = fit_crossed(
        frame.score[regular],
        codes[0][1].ravel(),
        codes[1][1].ravel(),
        codes[2][1].ravel(),
        n_groups=len(codes[0][0]),
    )
    values = [fit.variance[key] for key in ("participant", "sample", "residual")]
    if not all(math.isfinite(v) for v in values):
        raise ValueError(
            f"{path}: the design of these ratings does not identify all three variance "
            f"components ({'; '.join(fit.notes)})"
        )
    return Variance(*values), f"estimated from {path} ({fit.method} fit, {regular.sum()} ratings)"


def truth_parse(texts: list[str]) -> dict[str, float]:
    truth = {}
    for text in texts:
        name, sep, value = text.partition("=")
        try:
            truth[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip() or not math.isfinite(truth.get(name.strip(), 0.0)):
            raise ValueError(f"--truth {text!r}: expected GROUP=VALUE")
    return truth
