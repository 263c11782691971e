"""A partner's rights over what the practice holds about them: a copy of it, and its erasure.

**Export** (`export_partner`) gathers everything held about one partner: their details and
choices, every worksheet with its answers (drafts included) and scores, every message sent to
them (kind, channel, when, outcome; never a link), their personal links (when made and used;
never the token), the alerts about them, the couple's sessions, and the change history of
their own record. It leaves out what belongs to the other partner, and the counselors' notes,
which are about both partners and may hold what the other said in confidence: a counselor
asked for them decides what to release.

**Erasure** follows one rule (docs/privacy.md, "Erasure"):
- deleted: the partner, with their answers, scores, messages, links, their assignments for
  them alone, the alerts raised about them, and the gap and pattern alerts of the couple (worked out
  from both partners' answers); the history rows of all of these; in the demo's mail folder,
  the messages sent to them;
- cleared: the gap figure kept on the other partner's responses, since it was worked out
  from this partner's answers;
- kept: the other partner's own data, the counselors' notes (the counselor's record, to be
  reviewed by hand), and the access log, which names only ids;
- written down: an `Erasure` row saying who erased which ids, when and why, with no personal
  data.

Erasing a couple erases each partner, then the couple with its sessions, notes, assignments
and alerts, and their history.
"""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import transaction

from clients.models import Couple, Partner, PortalLink
from therapy.models import Alert, CounselingSession, CounselorNote, Erasure
from worksheets.answers import answer_text
from worksheets.models import Assignment, Reminder, Response

FORMAT_VERSION = 1


def export_partner(partner: Partner, *, now: dt.datetime) -> dict:
    couple = partner.couple
    responses = (
        Response.objects.filter(partner=partner)
        .select_related("assignment__template")
        .prefetch_related("assignment__template__items")
        .order_by("due_at", "pk")
    )
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": now.isoformat(),
        "note": "Everything this practice holds about you. Worksheets are reflective "
        "exercises for use with your counselor, not a diagnosis.",
        "partner": {
            "name": partner.display_name,
            "email": partner.email,
            "phone": partner.phone,
            "time_zone": partner.time_zone,
            "quiet_hours": [partner.quiet_hours_start.isoformat(),
                            partner.quiet_hours_end.isoformat()],
            "preferred_hour": partner.preferred_hour,
            "channel": partner.channel,
            "reminders_enabled": partner.reminders_enabled,
            "consented_at": _when(partner.consented_at),
            "removed_at": _when(partner.removed_at),
        },
        "couple": {"name": couple.label, "practice": couple.practice.name},
        "worksheets": [_response(r) for r in responses],
        "messages": [
            {
                "kind": m.get_kind_display(),
                "channel": m.channel,
                "due_at": _when(m.due_at),
                "sent_at": _when(m.sent_at),
                "status": m.get_status_display(),
            }
            for m in Reminder.objects.filter(partner=partner).order_by("due_at", "pk")
        ],
        "links": [
            {
                "created_at": _when(link.created_at),
                "expires_at": _when(link.expires_at),
                "used_at": _when(link.used_at),
                "revoked_at": _when(link.revoked_at),
            }
            for link in PortalLink.objects.filter(partner=partner).order_by("created_at")
        ],
        "alerts": [
            {
                "kind": a.get_kind_display(),
                "reason": a.reason,
                "created_at": _when(a.created_at),
                "acknowledged_at": _when(a.acknowledged_at),
                "follow_up_note": a.follow_up_note,
            }
            for a in _alerts_about(partner).order_by("created_at")
        ],
        "sessions": [
            {"starts_at": _when(s.starts_at)}
            for s in CounselingSession.objects.filter(couple=couple).order_by("starts_at")
        ],
        "record_changes": [
            {"at": _when(h.history_date), "change": h.get_history_type_display(),
             "reason": h.history_change_reason or ""}
            for h in Partner.history.filter(id=partner.pk).order_by("history_date")
        ],
    }


def _response(response: Response) -> dict:
    template = response.assignment.template
    return {
        "worksheet": template.title,
        "version": template.version,
        "occurrence": response.occurrence,
        "due_at": _when(response.due_at),
        "status": response.get_status_display(),
        "submitted_at": _when(response.submitted_at),
        "answers": [
            {
                "question": item.prompt,
                "answer": answer_text(item, response.answers.get(item.key)),
                "kept_private": item.key in response.withheld,
            }
            for item in template.items.all()
            if item.key in response.answers
        ],
        "scores": response.scores,
    }


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _alerts_about(partner: Partner):
    return Alert.objects.filter(response__partner=partner)


@transaction.atomic
def erase_partner(partner: Partner, *, by, reason: str, now: dt.datetime) -> Erasure:
    """Erase `partner` by the rule above. `by` is the user who asked, or None (retention)."""
    couple, partner_id = partner.couple, partner.pk
    record = Erasure.objects.create(
        practice_id=couple.practice_id,
        couple_id=couple.pk,
        partner_id=partner.pk,
        erased_by=by,
        reason=reason[:200],
        at=now,
    )
    message_ids = list(Reminder.objects.filter(partner=partner).values_list("pk", flat=True))
    alerts = Alert.objects.filter(couple=couple).filter(
        response__partner=partner
    ) | Alert.objects.filter(couple=couple, kind__in=[Alert.Kind.GAP_WIDENED, Alert.Kind.PATTERN])
    alert_ids = list(alerts.values_list("pk", flat=True))
    assignment_ids = list(
        Assignment.objects.filter(only_partner=partner).values_list("pk", flat=True)
    )
    Alert.objects.filter(pk__in=alert_ids).delete()
    Response.objects.filter(assignment__couple=couple).exclude(partner=partner).update(
        balance_gap=None
    )
    partner.delete()  # answers, messages, links and single-partner assignments go with it
    Alert.history.filter(id__in=alert_ids).delete()
    Assignment.history.filter(id__in=assignment_ids).delete()
    Partner.history.filter(id=partner_id).delete()
    _forget_mail(message_ids)
    return record


@transaction.atomic
def erase_couple(couple: Couple, *, by, reason: str, now: dt.datetime) -> Erasure:
    for partner in list(couple.partners.all()):
        erase_partner(partner, by=by, reason=reason, now=now)
    record = Erasure.objects.create(
        practice_id=couple.practice_id,
        couple_id=couple.pk,
        erased_by=by,
        reason=reason[:200],
        at=now,
    )
    ids = {
        model: list(model.objects.filter(couple=couple).values_list("pk", flat=True))
        for model in (Assignment, Alert, CounselingSession, CounselorNote)
    }
    couple_id = couple.pk
    couple.delete()
    for model, pks in ids.items():
        model.history.filter(id__in=pks).delete()
    Couple.history.filter(id=couple_id).delete()  # its counselors' history rows go with it
    return record


def _forget_mail(message_ids: list[int]) -> None:
    """The demo's mail folder keeps each message as a file: those to an erased partner go."""
    from therapy.mail_folder import read_message, uses_file_outbox

    if not uses_file_outbox() or not message_ids:
        return
    wanted = set(message_ids)
    for path in Path(settings.EMAIL_FILE_PATH).glob("*.eml"):
        if read_message(path).outbox_row in wanted:
            path.unlink(missing_ok=True)
