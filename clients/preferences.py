"""Changes a partner makes to how they are contacted."""

from clients.models import Partner
from therapy.encryption import lookup_digest
from therapy.history import record_update


def turn_off_reminders(partner: Partner) -> bool:
    """Stop reminders for `partner`; returns False when they were already off.

    Pending reminders stay in the outbox and are skipped at send time, where the partner's
    choice is checked again, so a send already under way cannot slip past it.
    """
    updated = Partner.objects.filter(pk=partner.pk, reminders_enabled=True).update(
        reminders_enabled=False
    )
    if updated:
        record_update(Partner, [partner.pk], reason="Reminders turned off by the partner")
    return bool(updated)


def turn_on_reminders(partner: Partner) -> bool:
    """Send `partner` reminders again; returns False when they were already on. Reminders
    skipped while they were off stay skipped; the ones still to come go out."""
    updated = Partner.objects.filter(pk=partner.pk, reminders_enabled=False).update(
        reminders_enabled=True
    )
    if updated:
        record_update(Partner, [partner.pk], reason="Reminders turned on by the partner")
    return bool(updated)


# Twilio's standard opt-out and opt-in keywords. Twilio answers them itself and, after a STOP,
# refuses every text to that number (error 21610) until it texts START.
STOP_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})


def follow_text_keyword(*, phone: str, text: str) -> int:
    """A text sent to our number from `phone` (E.164): STOP or another opt-out keyword turns
    reminders off for every current partner with that number, START or another opt-in keyword
    turns them on again; any other text changes nothing. Returns how many partners changed."""
    keyword = text.strip().upper()
    if keyword in STOP_KEYWORDS:
        change = turn_off_reminders
    elif keyword in START_KEYWORDS:
        change = turn_on_reminders
    else:
        return 0
    if not phone.startswith("+"):
        return 0  # not a number in E.164 form; "" would match every partner without a phone
    partners = Partner.objects.current().filter(phone_digest=lookup_digest(phone))
    return sum(change(partner) for partner in partners)


def record_consent(partner: Partner, now) -> None:
    if Partner.objects.filter(pk=partner.pk, consented_at__isnull=True).update(consented_at=now):
        record_update(Partner, [partner.pk], reason="Consent given by the partner")


def update_contact_preferences(*, partner: Partner, changes: dict, now) -> Partner:
    """Save a partner's own choices; their pending reminders follow the new times at once."""
    from worksheets.reminders import reschedule_partner

    for name, value in changes.items():
        setattr(partner, name, value)
    partner.save(update_fields=list(changes))
    reschedule_partner(partner=partner, now=now)
    return partner
