from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from therapy import api, api_alerts, api_couples, api_sessions
from therapy.api_docs import ApiDocsView
from therapy.views import healthz

handler404 = "therapy.views.not_found"

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
    path("api/v1/couples/", api_couples.CouplesView.as_view(), name="api-couples"),
    path("api/v1/couples/<int:couple_id>/", api_couples.CoupleView.as_view(), name="api-couple"),
    path(
        "api/v1/couples/<int:couple_id>/close/",
        api_couples.CoupleCloseView.as_view(),
        name="api-couple-close",
    ),
    path(
        "api/v1/couples/<int:couple_id>/pause/",
        api_couples.CouplePauseView.as_view(),
        name="api-couple-pause",
    ),
    path(
        "api/v1/couples/<int:couple_id>/reopen/",
        api_couples.CoupleReopenView.as_view(),
        name="api-couple-reopen",
    ),
    path(
        "api/v1/couples/<int:couple_id>/partners/",
        api_couples.CouplePartnersView.as_view(),
        name="api-couple-partners",
    ),
    path(
        "api/v1/partners/<int:partner_id>/", api_couples.PartnerView.as_view(), name="api-partner"
    ),
    path(
        "api/v1/couples/<int:couple_id>/sessions/",
        api_sessions.CoupleSessionsView.as_view(),
        name="api-couple-sessions",
    ),
    path(
        "api/v1/sessions/<int:session_id>/", api_sessions.SessionView.as_view(), name="api-session"
    ),
    path(
        "api/v1/sessions/<int:session_id>/cancel/",
        api_sessions.SessionCancelView.as_view(),
        name="api-session-cancel",
    ),
    path("api/v1/alerts/", api_alerts.AlertsView.as_view(), name="api-alerts"),
    path("api/v1/alerts/<int:alert_id>/", api_alerts.AlertView.as_view(), name="api-alert"),
    path(
        "api/v1/alerts/<int:alert_id>/acknowledge/",
        api_alerts.AlertAcknowledgeView.as_view(),
        name="api-alert-acknowledge",
    ),
    path("api/v1/", include("therapy.api_worksheet_urls")),
    path("api/fhir/", include("therapy.fhir_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("clients.urls")),
]
