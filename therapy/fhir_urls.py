"""The FHIR R4 endpoints (therapy/api_fhir.py), under /api/fhir/."""

urlpatterns = []
