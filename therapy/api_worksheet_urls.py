"""The API's worksheet endpoints (therapy/api_worksheets.py), under /api/v1/."""

from django.urls import path

from therapy import api_worksheets as views

urlpatterns = [
    path("worksheets/", views.WorksheetListView.as_view(), name="api-worksheets"),
    path("worksheets/<slug:slug>/", views.WorksheetDetailView.as_view(), name="api-worksheet"),
    path(
        "worksheets/<slug:slug>/versions/<int:version>/",
        views.WorksheetVersionView.as_view(),
        name="api-worksheet-version",
    ),
    path(
        "couples/<int:couple_id>/responses/",
        views.CoupleResponsesView.as_view(),
        name="api-couple-responses",
    ),
    path("responses/<int:response_id>/", views.ResponseDetailView.as_view(), name="api-response"),
    path(
        "couples/<int:couple_id>/assignments/",
        views.CoupleAssignmentsView.as_view(),
        name="api-couple-assignments",
    ),
    path(
        "assignments/<int:assignment_id>/",
        views.AssignmentDetailView.as_view(),
        name="api-assignment",
    ),
    path(
        "assignments/<int:assignment_id>/pause/",
        views.PauseAssignmentView.as_view(),
        name="api-assignment-pause",
    ),
    path(
        "assignments/<int:assignment_id>/cancel/",
        views.CancelAssignmentView.as_view(),
        name="api-assignment-cancel",
    ),
]
