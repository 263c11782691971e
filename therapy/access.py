"""The one place that decides whose client data a requester may see.

The admin, the portal and the API all read client data through these functions. Rows outside
the requester's scope are simply absent, and a lookup of one answers 404, never 403, so that
nobody learns that a couple exists on another caseload.
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from clients.models import Couple, Partner
from therapy.models import AccessLog, Alert, CounselingSession, Counselor, Practice
from worksheets.models import Assignment, Reminder, Response, WorksheetItem
from worksheets.responses import other_partners_response
from worksheets.scoring import BalanceGap, balance_gap, guess_accuracy


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
    """The outbox rows of the user's couples: to their partners, or about them."""
    return Reminder.objects.of_couples(couples_for(user))


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
        practice_id=couple.practice_id,
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
    return AccessLog.objects.filter(practice_id=counselor.practice_id)


# --- What one partner may see of the other's answers -------------------------------------------
#
# A partner sees the other's answer to an item only where the item is shared in this assignment
# and the other partner did not keep it back, and only once both have submitted. Every figure
# built from answers (the gap, guess accuracy) is worked out from visible answers alone, so no
# figure gives away a private answer. The portal, the e-mails, the brief and the API all read
# the other partner's answers through these functions.


def joint_work_paused(couple: Couple, *, open_alerts: list | None = None) -> bool:
    """Joint features pause while the counselor has chosen individual work only, or while an
    urgent safety alert about either partner is open. A pair of responses completed while
    they are paused is kept for the session for good (Response.kept_for_session), and shows
    exactly what work the counselor keeps for the session shows; what was shown before stays
    shown, so nothing changes when a pause begins or ends, and nothing tells the partners why.
    `open_alerts`: the couple's open alerts, when the caller has them already."""
    if couple.individual_work_only:
        return True
    if open_alerts is not None:
        return any(alert.kind == Alert.Kind.SAFETY for alert in open_alerts)
    return Alert.objects.filter(
        couple_id=couple.pk, kind=Alert.Kind.SAFETY, acknowledged_at__isnull=True
    ).exists()


def reveals_in_session(response: Response) -> bool:
    """Whether the partners see each other's shared answers to this occurrence only with the
    counselor: the counselor's choice for the assignment, or joint work was paused when the
    pair completed. The page is the same either way."""
    return response.assignment.reveal == Assignment.Reveal.IN_SESSION or response.kept_for_session


def answers_visible_to_partner(response: Response, items) -> dict:
    """The answers of `response` that the other partner may see once both have submitted."""
    assignment = response.assignment
    withheld = set(response.withheld)
    return {
        item.key: response.answers[item.key]
        for item in items
        if assignment.visibility_of(item) == WorksheetItem.Visibility.SHARED
        and item.key not in withheld
        and response.answers.get(item.key) not in (None, "", [], {})
    }


@dataclass(frozen=True)
class SharedView:
    """What a partner sees of the two of them together, after both have submitted."""

    other: Partner
    # (question, my answer or None if I kept it back, theirs or None if they kept it back)
    rows: list[tuple[WorksheetItem, object, object]]
    balance: BalanceGap | None
    i_guessed_them: int | None
    they_guessed_me: int | None


def shared_view_for(response: Response) -> SharedView | None:
    """The side-by-side view of a partner's own submitted `response`, or None when there is
    none to show: the other partner has not submitted, or answers are kept for the session
    (the counselor's choice, or joint work is paused: the partner cannot tell which)."""
    if not response.is_submitted or reveals_in_session(response):
        return None
    other = other_partners_response(response)
    if other is None or not other.is_submitted:
        return None
    items = list(response.assignment.template.items.all())
    mine = answers_visible_to_partner(response, items)
    theirs = answers_visible_to_partner(other, items)
    shared = [
        item
        for item in items
        if response.assignment.visibility_of(item) == WorksheetItem.Visibility.SHARED
    ]
    return SharedView(
        other=other.partner,
        rows=[(item, mine.get(item.key), theirs.get(item.key)) for item in shared],
        balance=_visible_gap(response, other, theirs),
        i_guessed_them=guess_accuracy(
            response.scores.get("guesses", []),
            _visible_only(other.scores.get("guessable_answers", {}), theirs),
        ),
        they_guessed_me=guess_accuracy(
            _visible_guesses(other.scores.get("guesses", []), theirs, items),
            response.scores.get("guessable_answers", {}),
        ),
    )


def _visible_gap(response: Response, other: Response, theirs: dict) -> BalanceGap | None:
    balance_item = (response.assignment.template.scoring.get("balance") or {}).get("item")
    if not balance_item or balance_item not in theirs:
        return None
    gap = balance_gap(response.preferred_balance, other.preferred_balance)
    return gap if gap.gap is not None else None


def _visible_only(answers: dict, visible: dict) -> dict:
    """The other partner's answers to guessed items, less those the viewer may not see."""
    return {key: value for key, value in answers.items() if key in visible}


def _visible_guesses(guesses: list[dict], visible: dict, items) -> list[dict]:
    """The other partner's guesses, less those (perception answers) the viewer may not see."""
    perception_key = {
        item.options.get("about"): item.key
        for item in items
        if item.kind == WorksheetItem.Kind.PERCEPTION
    }
    return [guess for guess in guesses if perception_key.get(guess["about"]) in visible]


def has_raised_safety_signal(partner: Partner) -> bool:
    """Whether this partner's own answers ever raised a safety alert: they, and no one else,
    are shown the practice's support resources."""
    return Alert.objects.filter(kind=Alert.Kind.SAFETY, response__partner=partner).exists()


def support_resources_for(partner: Partner) -> Practice | None:
    if not has_raised_safety_signal(partner):
        return None
    return partner.couple.practice


@dataclass(frozen=True)
class CounselorOnlyAnswer:
    partner: Partner
    worksheet: str
    item: WorksheetItem
    answer: object
    handed_in: bool
    at: object


def counselor_only_answers(responses) -> list[CounselorOnlyAnswer]:
    """What partners told the counselor privately: every written answer the other partner
    does not see (counselor-only, never shared, or kept back), every answer a worksheet marks
    "for your counselor", and every safety-signal answer. Drafts count: a partner may write
    to the counselor and never submit. `responses` come with their template's items."""
    found = []
    for response in responses:
        if response.status == Response.Status.NOT_STARTED:
            continue
        items = list(response.assignment.template.items.all())
        visible = answers_visible_to_partner(response, items)
        for item in items:
            answer = response.answers.get(item.key)
            if answer in (None, "", [], {}):
                continue
            private_text = item.kind == WorksheetItem.Kind.TEXT and item.key not in visible
            if private_text or item.for_counselor or item.signals_in(answer):
                found.append(
                    CounselorOnlyAnswer(
                        partner=response.partner,
                        worksheet=response.assignment.template.title,
                        item=item,
                        answer=answer,
                        handed_in=response.is_submitted,
                        at=response.submitted_at or response.updated_at,
                    )
                )
    return sorted(found, key=lambda a: (a.at is None, a.at), reverse=True)
