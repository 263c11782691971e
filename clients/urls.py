from django.urls import path

from clients import sms_views, views, worksheet_views

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
    path("portal/progress/", views.progress, name="progress"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Twilio's webhooks: delivery reports (TWILIO_STATUS_CALLBACK_URL) and incoming texts.
    path("sms/status/", sms_views.delivery_status, name="sms-status"),
    path("sms/inbound/", sms_views.incoming_text, name="sms-inbound"),
    path("portal/worksheets/<int:response_id>/", worksheet_views.worksheet, name="worksheet"),
    path("portal/worksheets/<int:response_id>/review/", worksheet_views.review, name="review"),
    path("portal/worksheets/<int:response_id>/result/", worksheet_views.result, name="result"),
]
