from celery import shared_task
from django.utils import timezone

from therapy.retention import apply_retention


@shared_task(ignore_result=True)
def apply_records_retention() -> int:
    return apply_retention(now=timezone.now()).couples_erased
