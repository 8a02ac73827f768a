"""A study's power plan: computed from its own design (`analysis.selectors`) by the
planner (`analysis.planning`) and kept on the draft (`studies.services.study_plan_save`),
so that opening freezes the latest plan into the pre-registration. Refused once the study
has opened: its plan is then the frozen one."""

import math

from analysis import plan_inputs, selectors
from studies import services as study_services
from studies.models import Study

# Simulation runs in the request when it is this small (studies x ratings); larger ones
# belong to the command line or the benchmark.
SIMULATION_BUDGET = 200_000
SIMULATION_TOO_LARGE = (
    "a simulation of {studies} studies of {ratings} ratings is too large to run here "
    "(at most {budget} ratings in all); use fewer simulations, the analytic method, or "
    "`manage.py plan --study {slug} --method simulation`"
)


def _finite(value):
    """The plan as canonical JSON takes it: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def analysis_plan_compute(
    *,
    study: Study,
    user=None,
    variance=None,
    variance_source: str = "given",
    pilot: str | None = None,
    truth: dict | None = None,
    samples_per_group: int | None = None,
    ratings_per_sample: int | None = None,
    method: str = "analytic",
    simulations: int = 200,
    seed: int = 0,
    integer: bool = False,
    target: float | None = None,
    simulation_budget: int | None = SIMULATION_BUDGET,
    workers: int = 1,
    save: bool = True,
) -> dict:
    """Plan a draft study and keep the plan on it. Raises DesignFrozen once the study has
    opened, ValueError (or planning.PlanError, a ValueError with `problems`) for inputs
    that cannot be planned."""
    from analysis.planning import DEFAULT_TARGET, plan

    study_services.study_assert_editable(study=study, what="its plan")
    inputs = selectors.analysis_plan_inputs(study=study, samples_per_group=samples_per_group)
    design = inputs["design"]
    if ratings_per_sample is not None:
        design = design.with_size(design.samples_per_group, ratings_per_sample)
    if variance is not None:
        source = variance_source
    elif pilot:
        variance, source = selectors.analysis_pilot_variance(user=user, slug=pilot)
    else:
        variance, source = plan_inputs.default_variance()
    budget = simulation_budget
    if method == "simulation" and budget is not None and simulations * design.ratings > budget:
        raise ValueError(
            SIMULATION_TOO_LARGE.format(
                studies=simulations, ratings=design.ratings, budget=budget, slug=study.slug
            )
        )
    document = plan(
        design=design,
        variance=variance,
        claims=inputs["claims"],
        truth=truth,
        alpha=inputs["alpha"],
        margin=inputs["margin"],
        scale=inputs["scale"],
        integer=integer,
        method=method,
        simulations=simulations,
        seed=seed,
        target=DEFAULT_TARGET if target is None else target,
        variance_source=source,
        workers=workers,
    )
    document["study"] = study.slug
    document["notes"] = inputs["notes"] + document["notes"]
    document = _finite(document)
    if save:
        study_services.study_plan_save(study=study, plan=document)
    return document
