"""The API's worksheet endpoints (therapy/api_worksheets.py), under /api/v1/."""

urlpatterns = []
