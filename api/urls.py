from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import exports, views, views_data

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("studies/", views.StudyList.as_view(), name="study-list"),
    path("studies/<slug:slug>/", views.StudyDetail.as_view(), name="study-detail"),
    path("studies/<slug:slug>/open/", views.StudyOpen.as_view(), name="study-open"),
    path("studies/<slug:slug>/close/", views.StudyClose.as_view(), name="study-close"),
    path("studies/<slug:slug>/plan/", views.StudyPlan.as_view(), name="study-plan"),
    path("studies/<slug:slug>/samples/", views_data.SampleList.as_view(), name="sample-list"),
    path("studies/<slug:slug>/ratings/", exports.RatingExport.as_view(), name="rating-export"),
    path("studies/<slug:slug>/analyses/", views_data.AnalysisList.as_view(), name="analysis-list"),
    path("analyses/<int:run_id>/", views_data.AnalysisDetail.as_view(), name="analysis-detail"),
    path("plans/<int:job_id>/", views.PlanDetail.as_view(), name="plan-detail"),
    path(
        "analyses/<int:run_id>/plots/<slug:key>.png",
        views_data.AnalysisPlot.as_view(),
        name="analysis-plot",
    ),
    # Any other path, even one with a line break in it: a JSON 404.
    re_path(r"^(?P<path>[\s\S]*)\Z", views.not_found),
]
