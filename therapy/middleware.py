from zoneinfo import ZoneInfo

from django.utils import timezone

from therapy.access import counselor_for


class PracticeTimeZoneMiddleware:
    """Show staff pages in the practice's own time zone; everything is stored in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counselor = counselor_for(request.user) if request.path.startswith("/admin/") else None
        if counselor is not None:
            timezone.activate(ZoneInfo(counselor.practice.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
