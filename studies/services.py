"""Every write to a study's design and every step of its lifecycle (draft -> open -> closed).

Views, the admin, commands and the API call these; none of them writes a design row by
itself, so the freeze holds everywhere.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from studies import design
from studies.giveaways import source_warnings
from studies.media_files import media_delete, media_write
from studies.models import Brief, Claim, Group, Sample, Study, sample_media_path

FROZEN_MESSAGE = (
    "Study '{slug}' is {status}: its design was frozen when it opened, so {what} cannot "
    "change. Create a new study to change the design."
)
STATE_MESSAGE = "Study '{slug}' is {status}; only a {required} study can be {action}."
OPEN_NEEDS_SAMPLES = "a study needs at least one sample in every group before it opens"
OPEN_NEEDS_GROUPS = "a study needs at least one group before it opens"
OPEN_NEEDS_PAIRS = (
    "a pairwise study needs two groups before it opens, or allow_same_group_pairs with "
    "two samples in a group"
)


class StudyConflict(Exception):
    """The study's state forbids the change (HTTP 409 in the API)."""


class DesignFrozen(StudyConflict):
    pass


def study_assert_editable(*, study: Study, what: str) -> None:
    """Refuse a change to a frozen part of the design with a message saying why."""
    if study.status != Study.Status.DRAFT:
        raise DesignFrozen(FROZEN_MESSAGE.format(slug=study.slug, status=study.status, what=what))


def _validate_study(study: Study) -> None:
    problems = design.settings_problems(study)
    try:
        study.full_clean(exclude=["owner"] if study.owner_id is None else None)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            problems.setdefault(field, " ".join(messages))
    if problems:
        raise ValidationError({field: [message] for field, message in problems.items()})


class ItemInvalid(ValidationError):
    """One of the groups or claims given to `study_create` is invalid: `collection`
    ("groups" or "claims") and `index` (its position in the list) say which."""

    def __init__(self, collection: str, index: int, error: ValidationError) -> None:
        super().__init__(error.message_dict if hasattr(error, "error_dict") else error.messages)
        self.collection, self.index = collection, index


@transaction.atomic
def study_create(
    *,
    owner,
    slug: str,
    title: str,
    groups: Iterable[dict] = (),
    claims: Iterable[dict] = (),
    **fields,
) -> Study:
    """Create a draft study with its groups (`key`, `label`, optional `claimed_mean` and
    `claim_source`) and further claims (see `claim_create`)."""
    study = Study(owner=owner, slug=slug, title=title, **fields)
    _validate_study(study)
    study.save()
    steps = (("groups", group_create, groups), ("claims", claim_create, claims))
    for collection, create, items in steps:
        for index, item in enumerate(items):
            try:
                create(study=study, **item)
            except ValidationError as error:
                raise ItemInvalid(collection, index, error) from error
    return study


@transaction.atomic
def study_update(*, study: Study, **fields) -> Study:
    frozen = sorted(
        name
        for name, value in fields.items()
        if name in design.FROZEN_STUDY_FIELDS and getattr(study, name) != value
    )
    if frozen:
        study_assert_editable(study=study, what=", ".join(frozen))
    unknown = set(fields) - set(design.FROZEN_STUDY_FIELDS) - set(design.EDITABLE_WHEN_OPEN)
    if unknown:
        raise ValidationError({name: ["cannot be set here"] for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(study, name, value)
    _validate_study(study)
    study.save()
    return study


def group_create(
    *,
    study: Study,
    key: str,
    label: str = "",
    claimed_mean: float | None = None,
    claim_source: str = "",
) -> Group:
    study_assert_editable(study=study, what="its groups")
    group = Group(study=study, key=key, label=label or key.replace("-", " ").capitalize())
    group.full_clean(exclude=["study"])
    if study.groups.filter(key=key).exists():
        raise ValidationError({"key": [f"group '{key}' already exists in this study"]})
    group.save()
    if claimed_mean is not None:
        claim_create(study=study, kind="mean", group=key, value=claimed_mean, source=claim_source)
    return group


def claim_create(
    *,
    study: Study,
    group: str,
    value: float,
    kind: str = Claim.Kind.MEAN,
    other_group: str | None = None,
    source: str = "",
) -> Claim:
    """Add a claim: `group`'s mean is `value`, or (difference) `group - other_group = value`."""
    study_assert_editable(study=study, what="its claims")
    groups = {g.key: g for g in study.groups.all()}
    known = ", ".join(sorted(groups)) or "none yet"
    problems = {}
    if kind not in Claim.Kind.values:
        problems["kind"] = f"must be one of {', '.join(Claim.Kind.values)}"
    if group not in groups:
        problems["group"] = f"unknown group '{group}' (known: {known})"
    if kind == Claim.Kind.DIFFERENCE:
        if not other_group:
            problems["other_group"] = "a difference needs the group it is measured against"
        elif other_group not in groups:
            problems["other_group"] = f"unknown group '{other_group}' (known: {known})"
        elif other_group == group:
            problems["other_group"] = "must differ from group"
    elif other_group:
        problems["other_group"] = "only a difference claim names a second group"
    try:
        value = float(value)
    except (TypeError, ValueError):
        problems["value"] = "must be a number"
    if problems:
        raise ValidationError({field: [message] for field, message in problems.items()})
    claim = Claim(
        study=study,
        kind=kind,
        group=groups[group],
        other_group=groups[other_group] if kind == Claim.Kind.DIFFERENCE else None,
        value=value,
        source=source,
    )
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError as error:
        raise ValidationError({"group": [f"the study already has this claim: {claim}"]}) from error
    return claim


def brief_create(
    *, study: Study, key: str, title: str = "", text: str = "", show_to_raters: bool = True
) -> Brief:
    study_assert_editable(study=study, what="its briefs")
    brief = Brief(study=study, key=key, title=title, text=text, show_to_raters=show_to_raters)
    brief.full_clean(exclude=["study"])
    if study.briefs.filter(key=key).exists():
        raise ValidationError({"key": [f"brief '{key}' already exists in this study"]})
    brief.save()
    return brief


@transaction.atomic
def sample_delete(*, sample: Sample) -> None:
    """Delete a draft study's sample; its media file goes once the deletion is committed."""
    study_assert_editable(study=sample.study, what="its samples")
    media = sample.media.name if sample.media else None
    sample.delete()
    if media:
        transaction.on_commit(lambda: media_delete(media))


@transaction.atomic
def study_open(*, study: Study) -> Study:
    """Freeze the design as the pre-registration and start taking raters."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.status != Study.Status.DRAFT:
        raise StudyConflict(
            STATE_MESSAGE.format(
                slug=study.slug, status=study.status, required="draft", action="opened"
            )
        )
    _validate_study(study)
    groups = list(study.groups.all())
    if not groups:
        raise ValidationError({"groups": [OPEN_NEEDS_GROUPS]})
    empty = [g.key for g in groups if not g.samples.filter(is_attention_check=False).exists()]
    if empty:
        raise ValidationError(
            {"samples": [f"{OPEN_NEEDS_SAMPLES}; none in: {', '.join(sorted(empty))}"]}
        )
    if (
        study.protocol == Study.Protocol.PAIRWISE
        and len(groups) < 2
        and (
            not study.allow_same_group_pairs
            or study.samples.filter(is_attention_check=False).count() < 2
        )
    ):
        raise ValidationError({"groups": [OPEN_NEEDS_PAIRS]})
    document = design.design_document(study)
    study.frozen_design = document
    study.frozen_sha256 = design.sha256_hex(design.canonical_json(document))
    study.status = Study.Status.OPEN
    study.opened_at = timezone.now()
    study.save(update_fields=["frozen_design", "frozen_sha256", "status", "opened_at"])
    return study


@transaction.atomic
def study_plan_save(*, study: Study, plan: dict) -> Study:
    """Keep a draft's latest power plan; opening freezes it with the design."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    study_assert_editable(study=study, what="its plan")
    study.plan = plan
    study.save(update_fields=["plan"])
    return study


@transaction.atomic
def study_close(*, study: Study) -> Study:
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.status != Study.Status.OPEN:
        raise StudyConflict(
            STATE_MESSAGE.format(
                slug=study.slug, status=study.status, required="open", action="closed"
            )
        )
    study.status = Study.Status.CLOSED
    study.closed_at = timezone.now()
    study.save(update_fields=["status", "closed_at"])
    return study


def study_verify_preregistration(*, study: Study) -> bool:
    """Whether the stored design still matches its hash and the current rows."""
    if not study.frozen_design:
        return False
    stored = design.sha256_hex(design.canonical_json(study.frozen_design))
    current = design.sha256_hex(design.canonical_json(design.design_document(study)))
    return stored == study.frozen_sha256 == current


@transaction.atomic
def sample_save(
    *,
    sample: Sample,
    media_data: bytes | None = None,
    media_extension: str = "",
    media_type: str = "",
) -> Sample:
    """Create or change one sample of a draft study; media arrive already cleaned."""
    study_assert_editable(study=sample.study, what="its samples")
    if sample.group.study_id != sample.study_id:
        raise ValidationError({"group": ["belongs to another study"]})
    if sample.brief is not None and sample.brief.study_id != sample.study_id:
        raise ValidationError({"brief": ["belongs to another study"]})
    written = None
    if media_data is not None:
        old = sample.media.name if sample.media else None
        written = media_write(sample_media_path(sample, f"x.{media_extension}"), media_data)
        sample.media.name = written
        sample.media_type = media_type
        sample.text = ""
        sample.content_sha256 = design.sha256_hex(media_data)
        if old:
            transaction.on_commit(lambda: media_delete(old))
    elif sample.kind == Sample.Kind.TEXT:
        sample.content_sha256 = design.text_sha256(sample.text)
    sample.source_warnings = source_warnings(sample.text) if sample.text else []
    try:
        sample.full_clean()
        sample.save()
    except BaseException:
        if written:
            media_delete(written)
        raise
    return sample
