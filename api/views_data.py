"""The API's data endpoints: a study's samples (add, upload, list), its ratings export,
and its analyses (start, list, read, plots). The study endpoints are in `api.views`."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from analysis import services as analysis_services
from analysis.models import AnalysisRun
from analysis.selectors import analysis_run_list_visible
from analysis.views import plot_response
from api import examples, serializers
from api.errors import validation_error
from api.filters import AnalysisRunFilter, SampleFilter
from api.parsers import JSONParser, MultiPartParser
from api.renderers import PNGRenderer
from api.services import api_sample_upload, api_samples_add
from api.views import ApiView
from studies.models import Sample


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
