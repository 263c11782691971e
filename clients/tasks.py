from celery import shared_task
from django.utils import timezone

from clients import links


@shared_task(ignore_result=True)
def send_portal_link(link_email_id: int) -> str:
    """E-mail a fresh personal link a partner asked for (a `LinkEmail` row)."""
    return links.send_link_email(link_email_id=link_email_id, now=timezone.now())
