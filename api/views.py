"""The REST interface of DESIGN §5. Each view parses, calls one service or selector, and
renders; every error leaves through `api.errors.exception_handler`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import metadata, permissions, status
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from analysis import services as analysis_services
from analysis.models import AnalysisRun
from analysis.selectors import analysis_run_list_visible
from analysis.views import plot_response
from api import examples, serializers
from api.errors import NON_FIELD, validation_error
from api.filters import AnalysisRunFilter, RatingFilter, SampleFilter, StudyFilter
from api.pagination import RatingCursorPagination
from api.parsers import JSONParser, MultiPartParser
from api.paths import field_path
from api.plan_schema import PlanDocumentSerializer, PlanRequestSerializer
from api.renderers import CSVRenderer, PNGRenderer
from api.selectors import api_study_list
from api.services import api_sample_upload, api_samples_add
from api.throttles import ThrottledFirst
from ratings.export import ratings_csv_chunks, ratings_export_queryset, ratings_json_rows
from ratings.models import Rating
from studies import services as study_services
from studies.models import Sample
from studies.selectors import study_list_visible

NOT_A_RESEARCHER = "Only researchers (staff users) use this API."


class IsResearcher(permissions.BasePermission):
    message = NOT_A_RESEARCHER

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


class Metadata(metadata.SimpleMetadata):
    """OPTIONS: name, description, media types; the OpenAPI document has the rest."""

    def determine_actions(self, request, view):
        return {}


class ApiView(ThrottledFirst, GenericAPIView):
    metadata_class = Metadata
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    permission_classes = [permissions.IsAuthenticated, IsResearcher]
    # Methods that can meet a study's state (409), for the OpenAPI document.
    conflict_methods: tuple[str, ...] = ()

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever was asked for (`?format=csv`, `Accept: image/png`).
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def get_study(self, *, queryset=None):
        """The study of the URL, if the user may see it: another's is 404, never 403."""
        studies = queryset if queryset is not None else study_list_visible(user=self.request.user)
        return get_object_or_404(studies, slug=self.kwargs["slug"])


class _Tracked:
    """Items handed to a service, remembering which one it was using when it failed."""

    def __init__(self, name: str, items) -> None:
        self.name, self.items, self.index = name, list(items), None

    def __iter__(self):
        for index, item in enumerate(self.items):
            self.index = index
            yield item
        self.index = None


GROUP_FIELDS = {"value": "claimed_mean", "source": "claim_source"}


def _located(error: DjangoValidationError, *tracked: _Tracked):
    """The service's error under the path of the group or claim it was about."""
    where = next((t for t in reversed(tracked) if t.index is not None), None)
    detail = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    if where is None:
        return error
    fields = {}
    for field, messages in detail.items():
        if where.name == "groups":
            field = GROUP_FIELDS.get(field, field)
        at = (where.name, where.index) if field == "__all__" else (where.name, where.index, field)
        fields[field_path(*at)] = messages
    return validation_error(fields)


def _study_response(request, study, *, status_code=status.HTTP_200_OK) -> Response:
    study = api_study_list(user=request.user).get(pk=study.pk)
    data = serializers.StudySerializer(study, context={"request": request}).data
    response = Response(data, status=status_code)
    if status_code == status.HTTP_201_CREATED:
        response["Location"] = request.build_absolute_uri(
            reverse("api:study-detail", args=[study.slug])
        )
    return response


class StudyList(ApiView):
    """Your studies (all of them for a superuser), newest first; create one."""

    serializer_class = serializers.StudySerializer
    filterset_class = StudyFilter

    def get_queryset(self):
        return api_study_list(user=self.request.user)

    @extend_schema(
        operation_id="studies_list",
        responses=serializers.StudySerializer(many=True),
        examples=[examples.study_response],
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = self.get_serializer(page, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="studies_create",
        request=serializers.StudySerializer,
        responses={201: serializers.StudySerializer},
        examples=[examples.study_create_request, examples.study_response],
    )
    def post(self, request):
        """Create a draft study with its groups (each with an optional claimed mean) and
        further claims, e.g. differences; every setting not given takes its default."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        groups = _Tracked("groups", fields.pop("groups"))
        claims = _Tracked("claims", fields.pop("claims", []))
        try:
            study = study_services.study_create(
                owner=request.user, groups=groups, claims=claims, **fields
            )
        except DjangoValidationError as error:
            raise _located(error, groups, claims) from error
        return _study_response(request, study, status_code=status.HTTP_201_CREATED)


class StudyDetail(ApiView):
    """One study. Its design can change while it is a draft; after opening, only the title,
    the texts around it, the completion codes and the redirect (else 409)."""

    serializer_class = serializers.StudyUpdateSerializer
    conflict_methods = ("PUT", "PATCH")

    @extend_schema(
        operation_id="studies_retrieve",
        responses=serializers.StudySerializer,
        examples=[examples.study_response],
    )
    def get(self, request, slug: str):
        return _study_response(request, self.get_study())

    def _update(self, request, *, partial: bool) -> Response:
        study = self.get_study()
        serializer = self.get_serializer(study, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        study = study_services.study_update(study=study, **serializer.validated_data)
        return _study_response(request, study)

    @extend_schema(
        operation_id="studies_update",
        request=serializers.StudyUpdateSerializer,
        responses=serializers.StudySerializer,
        examples=[examples.study_put_request, examples.study_response],
    )
    def put(self, request, slug: str):
        """Replace the study's fields: those left out take their defaults. Groups and
        claims are set at creation and are read-only here."""
        return self._update(request, partial=False)

    @extend_schema(
        operation_id="studies_partial_update",
        request=serializers.StudyUpdateSerializer,
        responses=serializers.StudySerializer,
        examples=[examples.study_update_request, examples.study_response],
    )
    def patch(self, request, slug: str):
        """Change the fields given."""
        return self._update(request, partial=True)


class StudyOpen(ApiView):
    serializer_class = None
    conflict_methods = ("POST",)

    @extend_schema(
        operation_id="studies_open",
        request=None,
        responses=serializers.StudySerializer,
        examples=[examples.study_open_response],
    )
    def post(self, request, slug: str):
        """Open a draft study for raters: its design is frozen and stored with its SHA-256
        as the pre-registration. 400 when a group has no samples, 409 when it is not a
        draft."""
        return _study_response(request, study_services.study_open(study=self.get_study()))


class StudyClose(ApiView):
    serializer_class = None
    conflict_methods = ("POST",)

    @extend_schema(
        operation_id="studies_close",
        request=None,
        responses=serializers.StudySerializer,
        examples=[examples.study_response],
    )
    def post(self, request, slug: str):
        """Close an open study: no more raters. 409 when it is not open."""
        return _study_response(request, study_services.study_close(study=self.get_study()))


class StudyPlan(ApiView):
    serializer_class = None
    conflict_methods = ("POST",)

    @extend_schema(
        operation_id="studies_plan",
        request=PlanRequestSerializer,
        responses=PlanDocumentSerializer,
        examples=[examples.plan_request, examples.plan_response],
    )
    def post(self, request, slug: str):
        """Plan a draft study before it opens: for each claim the chances of `supported`,
        `contradicted` and `inconclusive` in the study's design under the variances
        assumed, the expected 95% CI half-width, and the smallest design that gets every
        verdict right. The plan is kept on the draft and frozen with the design when it
        opens; 409 once it has opened. A simulation larger than 200,000 ratings in all is
        refused here (400): run it with `manage.py plan`."""
        # NumPy and SciPy load here, not when a web process starts.
        from analysis.plan_services import analysis_plan_compute
        from analysis.planning import PlanError, Variance

        study = self.get_study()
        serializer = PlanRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = {k: v for k, v in serializer.validated_data.items() if v is not None}
        if "variance" in params:
            params["variance"] = Variance(**params["variance"])
        try:
            document = analysis_plan_compute(study=study, user=request.user, **params)
        except PlanError as error:
            raise validation_error({NON_FIELD: error.problems}) from error
        except ValueError as error:
            raise validation_error({NON_FIELD: [str(error)]}) from error
        return Response(document)


class SampleList(ApiView):
    """The study's samples; add one or many, all or nothing, as the importer does."""

    serializer_class = serializers.SampleSerializer
    filterset_class = SampleFilter
    parser_classes = [JSONParser, MultiPartParser]
    conflict_methods = ("POST",)
    media_methods = ("POST",)  # a media file may meet a full volume: 507

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's pass
            return Sample.objects.none()
        return (
            Sample.objects.filter(study=self.get_study())
            .select_related("group", "brief")
            .order_by("id")
        )

    @extend_schema(
        operation_id="samples_list",
        responses=serializers.SampleSerializer(many=True),
        examples=[examples.sample_list_response],
    )
    def get(self, request, slug: str):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="samples_create",
        request={
            "application/json": PolymorphicProxySerializer(
                component_name="SampleInputOrList",
                serializers=[
                    serializers.SampleInputSerializer,
                    serializers.SampleInputSerializer(many=True),
                ],
                resource_type_field_name=None,
                many=False,
            ),
            "multipart/form-data": serializers.SampleUploadSerializer,
        },
        responses={201: serializers.ImportReportSerializer},
        examples=[
            examples.samples_list_request,
            examples.sample_one_request,
            examples.sample_upload_request,
            examples.import_report_response,
        ],
    )
    def post(self, request, slug: str):
        """JSON: one sample or a list. Multipart: one sample with its media `file`. Checked
        like an import (README, Importing samples): every problem is reported at once with
        the item and field (`[2].group`), and then nothing is stored. 409 once the study
        is open."""
        study = self.get_study()
        if request.content_type.startswith("multipart/"):
            fields = {k: v for k, v in request.data.items() if isinstance(v, str)}
            extra = [k for k, v in request.data.items() if not isinstance(v, str) and k != "file"]
            if extra:
                raise validation_error({k: ["Only one file, in `file`."] for k in extra})
            report = api_sample_upload(study=study, fields=fields, upload=request.FILES.get("file"))
        else:
            report = api_samples_add(study=study, data=request.data)
        return Response(report, status=status.HTTP_201_CREATED)


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
    whole CSV (filters apply); JSON comes in pages of rows with the CSV's columns."""

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
            (200, "application/json"): serializers.RatingRowSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
        },
        examples=[examples.ratings_json_response, examples.ratings_csv_response],
    )
    def get(self, request, slug: str):
        study = self.get_study()
        options = serializers.ExportOptionsSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        checks = options.validated_data["include_attention_checks"]
        ratings = self.filter_queryset(
            ratings_export_queryset(study=study, include_attention_checks=checks)
        )
        if request.accepted_renderer.format == "csv":
            chunks = ratings_csv_chunks(
                study=study, ratings=ratings, include_attention_checks=checks
            )
            response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{study.slug}-ratings.csv"'
            response["Cache-Control"] = "private, no-store"
            return response
        page = self.paginate_queryset(ratings.only("id"))
        rows = []
        if page:
            rows = ratings_json_rows(
                study=study,
                ratings=ratings.filter(pk__in=[rating.pk for rating in page]),
                include_attention_checks=checks,
            )
        return self.get_paginated_response(list(rows))


class AnalysisList(ApiView):
    """The study's analyses, newest first; start one."""

    serializer_class = serializers.AnalysisRunSerializer
    filterset_class = AnalysisRunFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's pass
            return AnalysisRun.objects.none()
        return (
            self.get_study()
            .analysis_runs.select_related("study", "requested_by")
            .defer("results")
            .order_by("-created_at", "-id")
        )

    @extend_schema(
        operation_id="analyses_list",
        responses=serializers.AnalysisRunSerializer(many=True),
        examples=[examples.analysis_list_response],
    )
    def get(self, request, slug: str):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="analyses_start",
        request=serializers.AnalysisStartSerializer,
        responses={202: serializers.AnalysisRunDetailSerializer},
        examples=[examples.analysis_start_request, examples.analysis_queued_response],
    )
    def post(self, request, slug: str):
        """Queue an analysis for a worker: 202 with the run; follow its `url` until its
        status is succeeded or failed. A study without ratings yet gives a document of
        nulls, each with its reason."""
        study = self.get_study()
        serializer = serializers.AnalysisStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = {k: v for k, v in serializer.validated_data.items() if v is not None}
        run = analysis_services.analysis_start(study=study, user=request.user, **params)
        data = serializers.AnalysisRunDetailSerializer(run, context={"request": request}).data
        response = Response(data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = data["url"]
        return response


def _run(request, run_id: int):
    runs = analysis_run_list_visible(user=request.user).select_related("study", "requested_by")
    return get_object_or_404(runs, pk=run_id)


class AnalysisDetail(ApiView):
    """An analysis run: status, stage and percent while it runs; the results document and
    the plots' URLs once it succeeded; the error if it failed."""

    serializer_class = serializers.AnalysisRunDetailSerializer

    @extend_schema(operation_id="analyses_retrieve", examples=[examples.analysis_detail_response])
    def get(self, request, run_id: int):
        return Response(self.get_serializer(_run(request, run_id)).data)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([])
@renderer_classes([JSONRenderer])
def not_found(request, path: str = ""):
    """Any other URL under /api/: a 404 in the API's JSON shape, not an HTML page."""
    raise NotFound(f"No API endpoint at {request.path!r}; see /api/docs/.")


class AnalysisPlot(ApiView):
    """One plot of a run, as PNG."""

    serializer_class = None
    renderer_classes = [JSONRenderer, PNGRenderer]

    @extend_schema(
        operation_id="analyses_plot",
        responses={(200, "image/png"): OpenApiTypes.BINARY},
    )
    def get(self, request, run_id: int, key: str):
        return plot_response(_run(request, run_id), key)
