"""The demo: the seed article's claims as a study open for rating, a closed twin with
simulated raters, and an empty draft to try an import on (the README's `my-study`), all
built through the same services and importer a researcher uses."""

import json
import math

from django.db import transaction

from analysis.services import analysis_create, analysis_execute
from demo.content import ATTENTION_CHECKS, BRIEFS, EXTRA_SAMPLES
from ratings.simulation import RaterModel, study_simulate_raters
from studies import services
from studies.importing import samples_import
from studies.models import Study

SEED_SLUG = "seed-claim"
SIMULATED_SLUG = "seed-claim-simulated"
PAIRWISE_SLUG = "seed-claim-pairwise"
DRAFT_SLUG = "my-study"
CLAIM_SOURCE = (
    "Seed article: 'human-AI collaboration scores 8.5/10, human-only 6.5/10, AI-only 4.5/10'"
)
GROUPS = [
    {"key": "collaboration", "label": "Human-AI collaboration", "claimed_mean": 8.5},
    {"key": "human", "label": "Human only", "claimed_mean": 6.5},
    {"key": "ai", "label": "AI only", "claimed_mean": 4.5},
]
GROUPS = [{**group, "claim_source": CLAIM_SOURCE} for group in GROUPS]
DIFFERENCES = [
    {"kind": "difference", "group": "collaboration", "other_group": "human", "value": 2.0},
    {"kind": "difference", "group": "human", "other_group": "ai", "value": 2.0},
]
INSTRUCTIONS = (
    "You will read short pieces of creative writing: stories, poems and slogans, each "
    "written for a brief that is shown above it.\n\n"
    "Rate each piece for its **overall quality** on a scale from 1 (very poor) to 10 "
    "(excellent): how well it answers its brief, how well it is written, and how much you "
    "enjoyed it. There are no right answers; we want your own judgement.\n\n"
    "Take the time you need, read every piece in full, and rate each one on its own."
)
CONSENT = (
    "This study is run for research on how people judge creative writing. Taking part "
    "takes about 15 minutes. Your ratings are stored under a random pseudonym; your "
    "platform id is kept only to pay you and is never published. You may stop at any "
    "time.\n\n"
    "By continuing you confirm you are 18 or older and agree to take part."
)
# What the simulated raters are built on: a world where the article overstates its case.
SIMULATED_TRUTH = RaterModel(group_means={"collaboration": 7.0, "human": 6.7, "ai": 5.6})
SIMULATED_SAMPLES_PER_RATER = 18


def demo_samples_jsonl() -> bytes:
    """The demo's samples as the JSONL a researcher would import."""
    lines = []
    for brief in BRIEFS:
        for group, text in brief["samples"].items():
            lines.append(
                {
                    "id": f"{brief['key']}-{group}",
                    "group": group,
                    "brief": brief["key"],
                    "text": text,
                    "meta_author": "blindrate demo",
                }
            )
    taken: dict[tuple[str, str], int] = {}
    for extra in EXTRA_SAMPLES:
        number = taken[(extra["brief"], extra["group"])] = (
            taken.get((extra["brief"], extra["group"]), 1) + 1
        )
        lines.append(
            {
                "id": f"{extra['brief']}-{extra['group']}-{number}",
                "group": extra["group"],
                "brief": extra["brief"],
                "text": extra["text"],
                "meta_author": "blindrate demo",
            }
        )
    for check in ATTENTION_CHECKS:
        low, high = check["expected"]
        lines.append(
            {
                "id": check["id"],
                "group": check["group"],
                "brief": check["brief"],
                "text": check["text"],
                "attention": True,
                "expected": f"{low}-{high}",
            }
        )
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode("utf-8")


def _build_study(*, owner, slug: str, title: str, **settings) -> Study:
    study = services.study_create(
        owner=owner,
        slug=slug,
        title=title,
        instructions=INSTRUCTIONS,
        consent_text=CONSENT,
        groups=GROUPS,
        claims=[{**claim, "source": CLAIM_SOURCE} for claim in DIFFERENCES],
        completion_code=f"{slug.upper().replace('-', '')[:12]}OK",
        screenout_code=f"{slug.upper().replace('-', '')[:12]}SO",
        **settings,
    )
    for brief in BRIEFS:
        services.brief_create(
            study=study, key=brief["key"], title=brief["title"], text=brief["text"]
        )
    samples_import(study=study, file_name="demo-samples.jsonl", data=demo_samples_jsonl())
    return services.study_open(study=study)


@transaction.atomic
def demo_build(*, owner, raters: int, seed: int) -> list[str]:
    """Create whichever demo study is missing; return one line per study saying what it did."""
    said = []
    if Study.objects.filter(slug=SEED_SLUG).exists():
        said.append(f"{SEED_SLUG}: exists, left as it is")
    else:
        _build_study(owner=owner, slug=SEED_SLUG, title="Does collaboration write better?")
        said.append(f"{SEED_SLUG}: created and opened for rating")
    if Study.objects.filter(slug=DRAFT_SLUG).exists():
        said.append(f"{DRAFT_SLUG}: exists, left as it is")
    else:
        services.study_create(
            owner=owner,
            slug=DRAFT_SLUG,
            title="My study (a draft: import samples, then open it)",
            instructions=INSTRUCTIONS,
            consent_text=CONSENT,
            groups=GROUPS,
            claims=[{**claim, "source": CLAIM_SOURCE} for claim in DIFFERENCES],
        )
        said.append(f"{DRAFT_SLUG}: created as a draft with no samples, to import into")
    said += _demo_simulated(owner=owner, raters=raters, seed=seed)
    said += _demo_pairwise(owner=owner, raters=raters, seed=seed)
    return said


def _demo_simulated(*, owner, raters: int, seed: int) -> list[str]:
    existing = Study.objects.filter(slug=SIMULATED_SLUG).first()
    said = []
    if existing is not None:
        said.append(f"{SIMULATED_SLUG}: exists, left as it is")
        if not existing.analysis_runs.exists():
            said.append(_demo_analyze(study=existing, owner=owner))
        return said
    study, count = _simulated_twin(
        owner=owner,
        slug=SIMULATED_SLUG,
        raters=raters,
        seed=seed,
        shown_per_item=1,
        title="Does collaboration write better? (simulated raters)",
    )
    said.append(
        f"{SIMULATED_SLUG}: created with {raters} simulated raters, {count} ratings, closed"
    )
    said.append(_demo_analyze(study=study, owner=owner))
    return said


def _demo_pairwise(*, owner, raters: int, seed: int) -> list[str]:
    """The seed study as a pairwise study ("which of these two is better?"), closed with
    simulated raters who compare pairs through the same services."""
    existing = Study.objects.filter(slug=PAIRWISE_SLUG).first()
    if existing is not None:
        said = [f"{PAIRWISE_SLUG}: exists, left as it is"]
        if not existing.analysis_runs.exists():
            said.append(_demo_analyze(study=existing, owner=owner))
        return said
    study, count = _simulated_twin(
        owner=owner,
        slug=PAIRWISE_SLUG,
        raters=raters,
        seed=seed + 1,
        shown_per_item=2,
        title="Which writes better? (pairwise, simulated raters)",
        protocol=Study.Protocol.PAIRWISE,
        allow_ties=True,
    )
    return [
        f"{PAIRWISE_SLUG}: created with {raters} simulated raters, {count} comparisons, closed",
        _demo_analyze(study=study, owner=owner),
    ]


def _simulated_twin(*, owner, slug, title, raters, seed, shown_per_item, **settings):
    """A twin of the seed study with `raters` simulated raters, closed; each sample's
    slots sized so the raters' regular items (each showing `shown_per_item` samples, and
    each shown sample taking a slot) about fill it. The study and the rows stored."""
    regular = sum(len(brief["samples"]) for brief in BRIEFS) + len(EXTRA_SAMPLES)
    per_rater = SIMULATED_SAMPLES_PER_RATER
    target = max(1, math.ceil(shown_per_item * raters * (per_rater - 2) / regular))
    study = _build_study(
        owner=owner,
        slug=slug,
        title=title,
        ratings_per_sample=target,
        samples_per_rater=per_rater,
        **settings,
    )
    count = study_simulate_raters(study=study, raters=raters, seed=seed, model=SIMULATED_TRUTH)
    return services.study_close(study=study), count


def _demo_analyze(*, study: Study, owner) -> str:
    """Analyze the simulated study here and now, so the demo shows a finished analysis
    without waiting for a worker."""
    run = analysis_execute(run_id=analysis_create(study=study, user=owner).pk)
    if run.status != run.Status.SUCCEEDED:
        return f"{study.slug}: analysis #{run.pk} failed: {run.error}"
    return f"{study.slug}: analysis #{run.pk} finished (results at /analysis/{study.slug}/)"
