from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "blindrate"
admin.site.site_title = "blindrate"
admin.site.index_title = "Studies, samples and ratings"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("studies/", include("studies.urls")),
    path("analysis/", include("analysis.urls")),
    path("s/", include("ratings.urls")),
]
