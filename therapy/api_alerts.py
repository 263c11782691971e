"""The API's alerts: listed, read and acknowledged, by the dashboard's rules
(therapy.alerts.acknowledge: an urgent alert needs a note on the follow-up).

Scoped like the dashboard (therapy.access.alerts_for): an alert of a couple outside the
caller's scope answers 404. An alert's reason names the worksheet, never an answer.
"""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.forms import FollowUpForm
from therapy import access, api_problems, idempotency
from therapy.alerts import AcknowledgementError, acknowledge
from therapy.api import page_body
from therapy.api_auth import KeyAwareView
from therapy.api_pages import rows_page
from therapy.api_problems import valid_body, valid_query
from therapy.models import Alert
from therapy.serializers import (
    AcknowledgeSerializer,
    AlertDetailSerializer,
    AlertPageSerializer,
    AlertQuerySerializer,
)

TAGS = ["alerts"]
READ = api_problems.responses(401, 403, 404, 429)


def alerts_with_details(user):
    return access.alerts_for(user).select_related("couple", "acknowledged_by__user")


def get_alert_for(user, alert_id) -> Alert:
    try:
        return alerts_with_details(user).get(pk=alert_id)
    except Alert.DoesNotExist:
        raise Http404("No such alert.") from None


class AlertsView(KeyAwareView, APIView):
    """GET: the caller's alerts, newest first, a page at a time; `?couple=` one couple's,
    `?state=open` or `acknowledged`."""

    @extend_schema(
        tags=TAGS,
        operation_id="alerts_list",
        parameters=[AlertQuerySerializer],
        responses={200: AlertPageSerializer, **api_problems.responses(400, 401, 403, 429)},
    )
    def get(self, request):
        query = valid_query(AlertQuerySerializer, request)
        rows = alerts_with_details(request.user)
        if "couple" in query:
            rows = rows.filter(couple_id=query["couple"])
        if "state" in query:
            rows = rows.filter(acknowledged_at__isnull=query["state"] == "open")
        page = rows_page(rows, order=("-created_at", "-pk"), cursor=query.get("cursor"))
        return Response(AlertPageSerializer(page_body(request, page)).data)


class AlertView(KeyAwareView, APIView):
    """GET: one alert."""

    @extend_schema(tags=TAGS, responses={200: AlertDetailSerializer, **READ})
    def get(self, request, alert_id: int):
        return Response(AlertDetailSerializer(get_alert_for(request.user, alert_id)).data)


class AlertAcknowledgeView(KeyAwareView, APIView):
    """POST: acknowledge the alert, with what was done to follow up (`note`, required for an
    urgent alert). An alert acknowledged already stays as it was."""

    @extend_schema(
        tags=TAGS,
        parameters=[idempotency.HEADER_PARAMETER],
        request=AcknowledgeSerializer,
        responses={200: AlertDetailSerializer, **api_problems.WRITE_REFUSALS},
    )
    def post(self, request, alert_id: int):
        alert = get_alert_for(request.user, alert_id)
        body = valid_body(AcknowledgeSerializer, request)
        counselor = access.counselor_for(request.user)
        if counselor is None:
            raise exceptions.PermissionDenied("Only a counselor acknowledges alerts.")
        form = FollowUpForm({f"alert-{alert.pk}-note": body.get("note", "")}, alert=alert)
        if not form.is_valid():
            raise exceptions.ValidationError({"note": form.errors["note"]})
        try:
            acknowledge(
                alerts=Alert.objects.filter(pk=alert.pk),
                # A key's counselor stands in memory only: its acknowledgement is named in the
                # change history, under the key's account.
                counselor=counselor if counselor.pk is not None else None,
                now=timezone.now(),
                note=form.cleaned_data["note"],
            )
        except AcknowledgementError as error:
            raise exceptions.ValidationError({"note": [str(error)]}) from None
        return Response(AlertDetailSerializer(get_alert_for(request.user, alert.pk)).data)
