"""What every portal page needs: where the quick exit goes, and support resources for a
partner whose own answers raised a safety alert (and for no one else)."""

from django.conf import settings

from therapy.access import support_resources_for


def portal(request) -> dict:
    partner = getattr(request, "partner", None)
    return {
        "quick_exit_url": settings.QUICK_EXIT_URL,
        "support": support_resources_for(partner) if partner is not None else None,
    }
