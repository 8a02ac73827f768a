"""Query filters (django-filter) of the list endpoints."""

from datetime import UTC, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from analysis.models import AnalysisRun
from ratings.models import Comparison, Rating
from studies.models import Sample, Study

MAX_OFFSET = timedelta(hours=16)
OUT_OF_RANGE = "Must be an ISO 8601 time from year 1 to 9999, with an offset under 16 hours."


class UTCDateTimeField(forms.DateTimeField):
    """An ISO 8601 time, in UTC. Python reads times no database can take: an offset of
    17 hours (PostgreSQL allows less than 16), or year 1 at +05:00, which is year 0 in
    UTC. Those are a 400 here, not a database error."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is None or result.tzinfo is None:
            return result
        if abs(result.utcoffset()) >= MAX_OFFSET:
            raise ValidationError(OUT_OF_RANGE, code="invalid")
        try:
            return result.astimezone(UTC)
        except OverflowError as error:
            raise ValidationError(OUT_OF_RANGE, code="invalid") from error


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = type(
        "IsoUTCDateTimeField", (django_filters.fields.IsoDateTimeField, UTCDateTimeField), {}
    )


class StudyFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Study.Status.choices)

    class Meta:
        model = Study
        fields = ["status"]


class SampleFilter(django_filters.FilterSet):
    group = django_filters.CharFilter(field_name="group__key", max_length=40, help_text="Key.")
    brief = django_filters.CharFilter(field_name="brief__key", max_length=80, help_text="Key.")
    kind = django_filters.ChoiceFilter(choices=Sample.Kind.choices)
    attention = django_filters.BooleanFilter(field_name="is_attention_check")

    class Meta:
        model = Sample
        fields = ["group", "brief", "kind", "attention"]


class RatingFilter(django_filters.FilterSet):
    group = django_filters.CharFilter(
        field_name="assignment__sample__group__key", max_length=40, help_text="A group key."
    )
    participant = django_filters.CharFilter(
        field_name="assignment__participant__pseudonym",
        max_length=32,
        help_text="A participant's pseudonym (as in the export).",
    )
    criterion = django_filters.CharFilter(max_length=40)
    created_after = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601, inclusive."
    )
    created_before = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO 8601, exclusive."
    )

    class Meta:
        model = Rating
        fields = ["group", "participant", "criterion", "created_after", "created_before"]


class ComparisonFilter(django_filters.FilterSet):
    """The ratings' filters for a pairwise study's comparisons: `group` matches either
    sample of the pair."""

    group = django_filters.CharFilter(
        method="group_filter", max_length=40, help_text="A group key (of either sample)."
    )
    participant = RatingFilter.base_filters["participant"]
    criterion = django_filters.CharFilter(max_length=40)
    created_after = RatingFilter.base_filters["created_after"]
    created_before = RatingFilter.base_filters["created_before"]

    class Meta:
        model = Comparison
        fields = ["group", "participant", "criterion", "created_after", "created_before"]

    def group_filter(self, queryset, name, value):
        return queryset.filter(
            Q(assignment__sample__group__key=value) | Q(assignment__sample_b__group__key=value)
        )


class AnalysisRunFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AnalysisRun.Status.choices)

    class Meta:
        model = AnalysisRun
        fields = ["status"]
