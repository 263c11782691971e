from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from therapy import api
from therapy.api_docs import ApiDocsView
from therapy.views import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/caseload/", api.CaseloadView.as_view(), name="api-caseload"),
    path(
        "api/v1/couples/<int:couple_id>/scores/",
        api.CoupleScoresView.as_view(),
        name="api-scores",
    ),
    path("api/v1/couples/<int:couple_id>/brief/", api.BriefView.as_view(), name="api-brief"),
    path("api/v1/exports/caseload.csv", api.CaseloadCsvView.as_view(), name="api-caseload-csv"),
    path(
        "api/v1/couples/<int:couple_id>/scores.csv",
        api.CoupleScoresCsvView.as_view(),
        name="api-scores-csv",
    ),
    path(
        "api/v1/exports/completion.csv",
        api.CompletionCsvView.as_view(),
        name="api-completion-csv",
    ),
    path("api/v1/", include("therapy.api_worksheet_urls")),
    path("api/fhir/", include("therapy.fhir_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("clients.urls")),
]
