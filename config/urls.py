from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache

admin.site.site_header = "blindrate"
admin.site.site_title = "blindrate"
admin.site.index_title = "Studies, samples and ratings"


@never_cache
def healthz(request):
    """Liveness for load balancers and the benchmarks' baseline: no database, no session."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz/", healthz),
    path("admin/", admin.site.urls),
    path("studies/", include("studies.urls")),
    path("analysis/", include("analysis.urls")),
    path("s/", include("ratings.urls")),
    path("api/", include("api.urls")),
]
