"""The one place that decides whose client data a requester may see.

The admin, the portal and the API all read client data through these functions. Rows outside
the requester's scope are simply absent, and a lookup of one answers 404, never 403, so that
nobody learns that a couple exists on another caseload.
"""

from django.db.models import QuerySet
from django.http import Http404

from clients.models import Couple, Partner
from therapy.models import AccessLog, Alert, CounselingSession, Counselor
from worksheets.models import Assignment, Reminder, Response


def counselor_for(user) -> Counselor | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        return user.counselor
    except Counselor.DoesNotExist:
        return None


def is_operator(user) -> bool:
    """A superuser runs the service and sees every practice."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def can_use_dashboard(user) -> bool:
    return is_operator(user) or (user.is_staff and counselor_for(user) is not None)


def couples_for(user) -> QuerySet[Couple]:
    couples = Couple.objects.all()
    if is_operator(user):
        return couples
    counselor = counselor_for(user)
    if counselor is None or not user.is_staff:
        return couples.none()
    if counselor.is_practice_admin:
        return couples.filter(practice_id=counselor.practice_id)
    return couples.filter(counselors=counselor)


def get_couple_for(user, couple_id) -> Couple:
    try:
        return couples_for(user).get(pk=couple_id)
    except (Couple.DoesNotExist, ValueError, TypeError):
        raise Http404("No such couple.") from None


def partners_for(user) -> QuerySet[Partner]:
    return Partner.objects.filter(couple__in=couples_for(user))


def assignments_for(user) -> QuerySet[Assignment]:
    return Assignment.objects.filter(couple__in=couples_for(user))


def responses_for(user) -> QuerySet[Response]:
    return Response.objects.filter(assignment__couple__in=couples_for(user))


def reminders_for(user) -> QuerySet[Reminder]:
    return Reminder.objects.filter(response__assignment__couple__in=couples_for(user))


def sessions_for(user) -> QuerySet[CounselingSession]:
    return CounselingSession.objects.filter(couple__in=couples_for(user))


def alerts_for(user) -> QuerySet[Alert]:
    return Alert.objects.filter(couple__in=couples_for(user))


def responses_of_partner(partner: Partner) -> QuerySet[Response]:
    """A signed-in partner's own responses, and nothing of their partner's."""
    return Response.objects.filter(partner=partner)


def get_response_of_partner(partner: Partner, response_id) -> Response:
    try:
        return (
            responses_of_partner(partner)
            .select_related("assignment__template", "assignment__couple")
            .get(pk=response_id)
        )
    except (Response.DoesNotExist, ValueError, TypeError):
        raise Http404("No such worksheet.") from None


def record_view(request, couple: Couple, what: str, now) -> None:
    """Write down that this user looked at this couple's data. Rows are never changed."""
    AccessLog.objects.create(
        user=request.user,
        couple=couple,
        what=what[:200],
        path=request.get_full_path()[:500],
        at=now,
    )


def can_read_access_log(user) -> bool:
    counselor = counselor_for(user)
    return is_operator(user) or (counselor is not None and counselor.is_practice_admin)


def access_logs_for(user) -> QuerySet[AccessLog]:
    """Practice admins read their practice's log; operators read all; counselors none."""
    if is_operator(user):
        return AccessLog.objects.all()
    counselor = counselor_for(user)
    if counselor is None or not counselor.is_practice_admin:
        return AccessLog.objects.none()
    return AccessLog.objects.filter(couple__practice_id=counselor.practice_id)
