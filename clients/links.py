"""Personal sign-in links for partners.

The token is 256 random bits and only its SHA-256 hash is stored, so a copy of the database
cannot be turned into working links.
"""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse

from clients.models import LinkEmail, Partner, PortalLink


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(*, partner: Partner, now: dt.datetime) -> str:
    """Create a link for `partner` and return its token (shown once, in the message)."""
    token = secrets.token_urlsafe(32)
    PortalLink.objects.create(
        partner=partner,
        token_hash=hash_token(token),
        email=partner.email,
        created_at=now,
        expires_at=now + settings.PORTAL_LINK_LIFETIME,
    )
    return token


def link_url(token: str) -> str:
    return settings.SITE_URL + reverse("portal:open-link", args=[token])


def find_usable_link(token_hash: str, now: dt.datetime) -> PortalLink | None:
    link = (
        PortalLink.objects.select_related("partner__couple").filter(token_hash=token_hash).first()
    )
    if link is None or not link.is_usable(now):
        return None
    return link


def mark_used(link: PortalLink, now: dt.datetime) -> None:
    PortalLink.objects.filter(pk=link.pk).update(last_used_at=now)


_UNSUBSCRIBE_SALT = "clients.unsubscribe"


def unsubscribe_token(partner: Partner) -> str:
    """A signed token naming the partner, for the one-click unsubscribe link in every message.

    It carries no secret beyond the signature and only turns reminders off, so it does not
    expire: an old e-mail's unsubscribe link must keep working.
    """
    return signing.dumps(partner.pk, salt=_UNSUBSCRIBE_SALT)


def partner_from_unsubscribe_token(token: str) -> Partner | None:
    try:
        partner_id = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Partner.objects.filter(pk=partner_id).first()


def unsubscribe_url(partner: Partner) -> str:
    return settings.SITE_URL + reverse("portal:unsubscribe", args=[unsubscribe_token(partner)])


def partners_with_address(email: str):
    """The partners a link may be sent to at `email`: current, in an open couple."""
    return Partner.objects.filter(
        email__iexact=email.strip(), removed_at__isnull=True, couple__status="active"
    )


def request_fresh_link(*, partner: Partner, now: dt.datetime) -> LinkEmail:
    """Record that `partner` asked for a fresh link; `send_link_email` sends it."""
    return LinkEmail.objects.create(partner=partner, requested_at=now)


def send_link_email(*, link_email_id: int, now: dt.datetime) -> str:
    """Send a requested link once and record the outcome: "sent", "failed", or "done
    before" for a task delivered again."""
    from clients.messaging import (
        OutgoingMessage,
        PermanentDeliveryError,
        TransientDeliveryError,
        send_email,
    )

    pending = LinkEmail.objects.filter(pk=link_email_id, status=LinkEmail.Status.PENDING)
    if not pending.update(status=LinkEmail.Status.SENDING):
        return "done before"
    row = LinkEmail.objects.select_related("partner").get(pk=link_email_id)
    partner = row.partner
    token = issue_link(partner=partner, now=now)
    body = render_to_string(
        "clients/email/new_link.txt",
        {
            "partner": partner,
            "link": link_url(token),
            "days": settings.PORTAL_LINK_LIFETIME.days,
            "unsubscribe": unsubscribe_url(partner),
        },
    )
    message = OutgoingMessage(
        subject="Your new link to your worksheets",
        body=body,
        idempotency_key=f"link-{row.pk}",
        unsubscribe_url=unsubscribe_url(partner),
    )
    try:
        send_email([partner.email], message)
    except (PermanentDeliveryError, TransientDeliveryError) as error:
        # The partner can ask again; the error names the failure, never the link.
        row.status, row.last_error = LinkEmail.Status.FAILED, str(error)[:200]
        row.save(update_fields=["status", "last_error"])
        return "failed"
    row.status, row.sent_at = LinkEmail.Status.SENT, now
    row.save(update_fields=["status", "sent_at"])
    return "sent"


def revoke_links(*, partners, now: dt.datetime) -> int:
    """Make every unexpired link of these partners stop working, and end their sessions."""
    return PortalLink.objects.filter(
        partner__in=partners, revoked_at__isnull=True, expires_at__gt=now
    ).update(revoked_at=now)
