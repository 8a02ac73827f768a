"""The REST interface of DESIGN §5. Each view parses, calls one service or selector, and
renders; every error leaves through `api.errors.exception_handler`."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
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

from analysis.selectors import analysis_plan_job_list_visible
from api import examples, serializers
from api.errors import NON_FIELD, NOT_A_RESEARCHER, validation_error
from api.filters import StudyFilter
from api.parsers import JSONParser
from api.paths import field_path
from api.plan_schema import PlanDocumentSerializer, PlanRequestSerializer
from api.selectors import api_study_list
from api.throttles import ThrottledFirst
from studies import services as study_services
from studies.selectors import study_list_visible


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


GROUP_FIELDS = {"value": "claimed_mean", "source": "claim_source"}


def _located(error: study_services.ItemInvalid):
    """The service's error under the path of the group or claim it was about."""
    fields = {}
    for field, messages in error.message_dict.items():
        if error.collection == "groups":
            field = GROUP_FIELDS.get(field, field)
        at = (error.collection, error.index) + (() if field == "__all__" else (field,))
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
        try:
            study = study_services.study_create(owner=request.user, **fields)
        except study_services.ItemInvalid as error:
            raise _located(error) from error
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
        responses={200: PlanDocumentSerializer, 202: serializers.PlanJobSerializer},
        examples=[examples.plan_request, examples.plan_response, examples.plan_queued_response],
    )
    def post(self, request, slug: str):
        """Plan a draft study before it opens: for each claim the chances of `supported`,
        `contradicted` and `inconclusive` in the study's design under the variances
        assumed, the expected 95% CI half-width, and the smallest design that gets every
        verdict right. The plan is kept on the draft and frozen with the design when it
        opens; 409 once it has opened. 200 with the plan; a simulation of more than
        200,000 ratings in all goes to a worker instead: 202 with the job, whose `url`
        (also in `Location`) gives the plan once its status is `succeeded`."""
        # NumPy and SciPy load here, not when a web process starts.
        from analysis.plan_services import analysis_plan_request
        from analysis.planning import PlanError, Variance

        study = self.get_study()
        serializer = PlanRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = {k: v for k, v in serializer.validated_data.items() if v is not None}
        if "variance" in params:
            params["variance"] = Variance(**params["variance"])
        try:
            answer = analysis_plan_request(study=study, user=request.user, **params)
        except PlanError as error:
            raise validation_error({NON_FIELD: error.problems}) from error
        except ValueError as error:
            raise validation_error({NON_FIELD: [str(error)]}) from error
        if isinstance(answer, dict):
            return Response(answer)
        data = serializers.PlanJobSerializer(answer, context={"request": request}).data
        response = Response(data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = data["url"]
        return response


class PlanDetail(ApiView):
    """A plan computed by a worker: status, stage and percent while it runs; the plan
    document once it succeeded; the error if it failed."""

    serializer_class = serializers.PlanJobSerializer

    @extend_schema(operation_id="plans_retrieve", examples=[examples.plan_job_response])
    def get(self, request, job_id: int):
        jobs = analysis_plan_job_list_visible(user=request.user).select_related(
            "study", "requested_by"
        )
        return Response(self.get_serializer(get_object_or_404(jobs, pk=job_id)).data)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([])
@renderer_classes([JSONRenderer])
def not_found(request, path: str = ""):
    """Any other URL under /api/: a 404 in the API's JSON shape, not an HTML page."""
    raise NotFound(f"No API endpoint at {request.path!r}; see /api/docs/.")
