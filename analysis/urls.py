from django.urls import path

from analysis import views

app_name = "analysis"
urlpatterns = [
    # Results pages and downloads for a study's researcher.
    path("<slug:slug>/", views.study_results, name="study_results"),
    path("<slug:slug>/runs/<int:run_id>/", views.study_results, name="run_results"),
    path("<slug:slug>/start/", views.run_start, name="run_start"),
    path("<slug:slug>/plan/", views.study_plan, name="study_plan"),
    path("<slug:slug>/plan.png", views.study_plan_plot, name="study_plan_plot"),
    path("runs/<int:run_id>/results.json", views.run_results_json, name="run_results_json"),
    path("runs/<int:run_id>/plots/<slug:key>.png", views.run_plot, name="run_plot"),
]
