from celery import shared_task
from django.utils import timezone

from clients import links


@shared_task(ignore_result=True)
def send_portal_link(partner_id: int) -> bool:
    """E-mail a fresh personal link to a partner who asked for one."""
    return links.send_fresh_link(partner_id=partner_id, now=timezone.now())
