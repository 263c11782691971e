import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
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


class StaffIdleTimeoutMiddleware:
    """Sign staff out after `STAFF_IDLE_TIMEOUT` without a request, so that a screen left
    open does not keep showing client data. Partners' portal sessions have a lifetime of
    their own (`PORTAL_SESSION_SECONDS`)."""

    LAST_SEEN = "staff_last_seen"
    # While someone is active, the session is written at most once a minute.
    RESOLUTION = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and request.user.is_staff:
            now = timezone.now().timestamp()
            last_seen = request.session.get(self.LAST_SEEN)
            idle_for = now - last_seen if last_seen is not None else 0
            if idle_for > settings.STAFF_IDLE_TIMEOUT.total_seconds():
                logout(request)
                minutes = round(settings.STAFF_IDLE_TIMEOUT.total_seconds() / 60)
                messages.info(
                    request,
                    f"You were signed out after {minutes} minutes without activity, to keep "
                    "your clients' information private. Sign in again to go on.",
                )
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if last_seen is None or idle_for >= self.RESOLUTION:
                request.session[self.LAST_SEEN] = now
        return self.get_response(request)


def start_idle_clock(sender, request, user, **kwargs):
    """Signing in counts as activity, so the first page after it need not write the session.
    The session's end is fixed now too: the idle clock writes the session as people work,
    and without a fixed end each write would push it back."""
    now = timezone.now()
    request.session[StaffIdleTimeoutMiddleware.LAST_SEEN] = now.timestamp()
    request.session.set_expiry(now + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE))
