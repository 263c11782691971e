"""The FHIR R4 endpoints (therapy/api_fhir.py), under /api/fhir/."""

from django.urls import path

from therapy import api_fhir

urlpatterns = [
    path("metadata", api_fhir.MetadataView.as_view(), name="fhir-metadata"),
    path("Questionnaire", api_fhir.QuestionnaireSearchView.as_view(), name="fhir-questionnaires"),
    path(
        "Questionnaire/<str:resource_id>",
        api_fhir.QuestionnaireView.as_view(),
        name="fhir-questionnaire",
    ),
    path(
        "QuestionnaireResponse",
        api_fhir.QuestionnaireResponseSearchView.as_view(),
        name="fhir-questionnaire-responses",
    ),
    path(
        "QuestionnaireResponse/<str:resource_id>",
        api_fhir.QuestionnaireResponseView.as_view(),
        name="fhir-questionnaire-response",
    ),
    path("Observation", api_fhir.ObservationSearchView.as_view(), name="fhir-observations"),
    path(
        "Observation/<str:resource_id>",
        api_fhir.ObservationView.as_view(),
        name="fhir-observation",
    ),
    path("$export", api_fhir.ExportView.as_view(), name="fhir-export"),
]
