from django.contrib import admin
from django.urls import include, path

from config import health

handler400 = "ratings.views.bad_request"
handler404 = "ratings.views.not_found"
handler500 = "config.unavailable.server_error"

admin.site.site_header = "blindrate"
admin.site.site_title = "blindrate"
admin.site.index_title = "Studies, samples and ratings"


urlpatterns = [
    path("healthz/", health.ready),
    path("healthz/live/", health.live),
    path("admin/", admin.site.urls),
    path("studies/", include("studies.urls")),
    path("analysis/", include("analysis.urls")),
    path("s/", include("ratings.urls")),
    path("api/", include("api.urls")),
]
