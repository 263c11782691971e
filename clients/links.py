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

from clients.models import Partner, PortalLink
from therapy.encryption import email_digest


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(*, partner: Partner, now: dt.datetime) -> str:
    """Create a link for `partner` and return its token (shown once, in the message)."""
    return issue_links(partners=[partner], now=now)[0]


def issue_links(*, partners: list[Partner], now: dt.datetime) -> list[str]:
    """One new link for each of `partners` (in order), written in one statement: a batch of
    messages needs a link each."""
    tokens = [secrets.token_urlsafe(32) for _ in partners]
    PortalLink.objects.bulk_create(
        PortalLink(
            partner=partner,
            token_hash=hash_token(token),
            email=partner.email,
            created_at=now,
            expires_at=now + settings.PORTAL_LINK_LIFETIME,
        )
        for partner, token in zip(partners, tokens, strict=True)
    )
    return tokens


def link_url(token: str) -> str:
    return settings.SITE_URL + reverse("portal:open-link", args=[token])


def find_usable_link(token_hash: str, now: dt.datetime) -> PortalLink | None:
    link = (
        PortalLink.objects.select_related("partner__couple").filter(token_hash=token_hash).first()
    )
    if link is None or not link.is_usable(now):
        return None
    return link


def spend(link: PortalLink, now: dt.datetime) -> bool:
    """Use up the link to sign in. Of two requests at once, only one gets True."""
    return bool(
        PortalLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
    )


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
        email_digest=email_digest(email), removed_at__isnull=True, couple__status="active"
    )


def link_email(partner: Partner, token: str, idempotency_key: str):
    """The e-mail that carries a fresh link a partner asked for."""
    from clients.messaging import OutgoingMessage

    body = render_to_string(
        "clients/email/new_link.txt",
        {
            "partner": partner,
            "link": link_url(token),
            "days": settings.PORTAL_LINK_LIFETIME.days,
            "unsubscribe": unsubscribe_url(partner),
        },
    )
    return OutgoingMessage(
        subject="Your new link to your worksheets",
        body=body,
        idempotency_key=idempotency_key,
        unsubscribe_url=unsubscribe_url(partner),
    )


def revoke_links(*, partners, now: dt.datetime) -> int:
    """Make every unexpired link of these partners stop working, and end their sessions."""
    return PortalLink.objects.filter(
        partner__in=partners, revoked_at__isnull=True, expires_at__gt=now
    ).update(revoked_at=now)
