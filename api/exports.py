"""The export endpoint: a study's ratings, or a pairwise study's comparisons, as a
streamed CSV or JSON pages (DESIGN §5)."""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer

from api import examples, serializers
from api.filters import ComparisonFilter, RatingFilter
from api.pagination import RatingCursorPagination
from api.renderers import CSVRenderer
from api.views import ApiView
from ratings.comparisons_export import (
    comparisons_csv_chunks,
    comparisons_export_queryset,
    comparisons_json_rows,
)
from ratings.export import ratings_csv_chunks, ratings_export_queryset, ratings_json_rows
from ratings.models import Rating

EXPORT_PARAMETERS = [
    OpenApiParameter(
        "include_attention_checks",
        OpenApiTypes.BOOL,
        description="Also attention checks' ratings, with two more columns "
        "(attention_expected_min, attention_expected_max).",
    ),
]


class RatingExport(ApiView):
    """The study's ratings in the export format of DESIGN §5: `?format=csv` streams the
    whole CSV (filters apply); JSON comes in pages of rows with the CSV's columns. A
    pairwise study's comparisons instead, one row per comparison, with the columns of the
    comparisons CSV (`group` then matches either sample of a pair)."""

    serializer_class = serializers.RatingRowSerializer
    renderer_classes = [JSONRenderer, CSVRenderer]
    filterset_class = RatingFilter
    pagination_class = RatingCursorPagination

    def get_queryset(self):
        return Rating.objects.none()  # the schema's model; the view uses the export's

    @extend_schema(
        operation_id="ratings_export",
        parameters=EXPORT_PARAMETERS,
        responses={
            (200, "application/json"): serializers.ExportRowSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
        },
        examples=[
            examples.ratings_json_response,
            examples.ratings_csv_response,
            examples.comparisons_csv_response,
        ],
    )
    def get(self, request, slug: str):
        study = self.get_study()
        options = serializers.ExportOptionsSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        checks = options.validated_data["include_attention_checks"]
        if study.protocol == study.Protocol.PAIRWISE:
            self.filterset_class = ComparisonFilter
            rows = self.filter_queryset(
                comparisons_export_queryset(study=study, include_attention_checks=checks)
            )
            return self._respond(
                request,
                study,
                rows,
                comparisons_csv_chunks,
                comparisons_json_rows,
                "comparisons",
                checks,
            )
        rows = self.filter_queryset(
            ratings_export_queryset(study=study, include_attention_checks=checks)
        )
        return self._respond(
            request, study, rows, ratings_csv_chunks, ratings_json_rows, "ratings", checks
        )

    def _respond(self, request, study, rows, csv_chunks, json_rows, what, checks):
        """The CSV streamed, or a page of JSON rows; `rows` is the filtered queryset and
        `what` names it (the keyword of the export functions, and the file name)."""
        if request.accepted_renderer.format == "csv":
            chunks = csv_chunks(study=study, **{what: rows}, include_attention_checks=checks)
            response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{study.slug}-{what}.csv"'
            response["Cache-Control"] = "private, no-store"
            return response
        page = self.paginate_queryset(rows.only("id"))
        found = []
        if page:
            found = json_rows(
                study=study,
                **{what: rows.filter(pk__in=[row.pk for row in page])},
                include_attention_checks=checks,
            )
        return self.get_paginated_response(list(found))
