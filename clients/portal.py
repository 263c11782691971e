"""Who is signed in to the client portal.

A partner's portal session is separate from staff sign-in: it holds only the partner's id and
the link that opened it, and reaches nothing but that partner's own pages.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache

from clients.models import Partner, PortalLink

PARTNER_KEY = "portal_partner_id"
LINK_KEY = "portal_link_id"
PENDING_LINK_KEY = "portal_pending_link"


def sign_in(request, link: PortalLink) -> None:
    # A fresh session key, so a session id planted before sign-in is worthless afterwards.
    request.session.cycle_key()
    request.session.pop(PENDING_LINK_KEY, None)
    request.session[PARTNER_KEY] = link.partner_id
    request.session[LINK_KEY] = link.pk
    request.session.set_expiry(settings.PORTAL_SESSION_SECONDS)


def sign_out(request) -> None:
    for key in (PARTNER_KEY, LINK_KEY, PENDING_LINK_KEY):
        request.session.pop(key, None)


def signed_in_partner(request) -> Partner | None:
    partner_id = request.session.get(PARTNER_KEY)
    link_id = request.session.get(LINK_KEY)
    if partner_id is None or link_id is None:
        return None
    link = (
        PortalLink.objects.select_related("partner__couple")
        .filter(pk=link_id, partner_id=partner_id)
        .first()
    )
    # A revoked link or a changed address ends the sessions it opened, not only the link.
    if link is None or link.revoked_at is not None:
        return None
    if link.email.lower() != link.partner.email.lower() or link.partner.removed_at is not None:
        return None
    return link.partner


def partner_required(view):
    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        partner = signed_in_partner(request)
        if partner is None:
            # Keep a pending link: a partner may open the portal before pressing Continue.
            request.session.pop(PARTNER_KEY, None)
            request.session.pop(LINK_KEY, None)
            return redirect("portal:signed-out")
        request.partner = partner
        request.now = timezone.now()
        return view(request, *args, **kwargs)

    return wrapper
