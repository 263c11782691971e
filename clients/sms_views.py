"""What Twilio posts to us: reports on the texts we sent, and the texts partners send back.

Both are signed by Twilio with our auth token (X-Twilio-Signature) over the address it posted
to and the form it sent; a request without a good signature is refused with 403. Neither the
message nor the phone number is ever logged.
"""

import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from clients.preferences import follow_text_keyword
from worksheets.delivery_reports import record_sms_status

logger = logging.getLogger(__name__)


def signed_by_twilio(request) -> bool:
    """Whether Twilio signed this request with our auth token.

    The signature covers the public address Twilio posted to, query included, which is
    SITE_URL and this path: behind a proxy, the address this process sees is another one.
    Only the auth-token signature (HMAC-SHA1) is accepted; Twilio's shared-key signatures are
    not set up.
    """
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    url = settings.SITE_URL + request.path_info
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST, signature)


@csrf_exempt  # Twilio signs its requests instead; it has no CSRF token to give.
@require_POST
def delivery_status(request):
    """Twilio's report on a text we sent. Any report Twilio signed gets 200, even one about a
    message we do not know: asking again would not make it known."""
    if not signed_by_twilio(request):
        return HttpResponseForbidden()
    record_sms_status(
        provider_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
        row_key=request.GET.get("row", ""),
        now=timezone.now(),
    )
    return HttpResponse()


@csrf_exempt  # Twilio signs its requests instead; it has no CSRF token to give.
@require_POST
def incoming_text(request):
    """A text a partner sent to our number: STOP and START turn their reminders off and on.
    The answer is empty TwiML, since Twilio itself confirms these keywords to the sender."""
    if not signed_by_twilio(request):
        return HttpResponseForbidden()
    changed = follow_text_keyword(
        phone=request.POST.get("From", ""), text=request.POST.get("Body", "")
    )
    if changed:
        logger.info("A keyword texted to us changed the reminders of %s partner(s)", changed)
    return HttpResponse(str(MessagingResponse()), content_type="text/xml")
