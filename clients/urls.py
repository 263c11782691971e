from django.urls import path

from clients import views, worksheet_views

app_name = "portal"

urlpatterns = [
    path("p/<str:token>/", views.open_link, name="open-link"),
    path("portal/welcome/", views.welcome, name="welcome"),
    path("portal/signed-out/", views.signed_out, name="signed-out"),
    path("portal/sign-out/", views.sign_out_view, name="sign-out"),
    path("portal/", views.home, name="home"),
    path("portal/new-link/", views.new_link, name="new-link"),
    path("portal/consent/", views.consent, name="consent"),
    path("portal/preferences/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("portal/worksheets/<int:response_id>/", worksheet_views.worksheet, name="worksheet"),
    path("portal/worksheets/<int:response_id>/review/", worksheet_views.review, name="review"),
    path("portal/worksheets/<int:response_id>/result/", worksheet_views.result, name="result"),
]
