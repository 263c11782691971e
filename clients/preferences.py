"""Changes a partner makes to how they are contacted."""

from clients.models import Partner


def turn_off_reminders(partner: Partner) -> bool:
    """Stop reminders for `partner`; returns False when they were already off.

    Pending reminders stay in the outbox and are skipped at send time, where the partner's
    choice is checked again, so a send already under way cannot slip past it.
    """
    updated = Partner.objects.filter(pk=partner.pk, reminders_enabled=True).update(
        reminders_enabled=False
    )
    return bool(updated)


def record_consent(partner: Partner, now) -> None:
    Partner.objects.filter(pk=partner.pk, consented_at__isnull=True).update(consented_at=now)


def update_contact_preferences(*, partner: Partner, changes: dict, now) -> Partner:
    """Save a partner's own choices; their pending reminders follow the new times at once."""
    from worksheets.reminders import reschedule_partner

    for name, value in changes.items():
        setattr(partner, name, value)
    partner.save(update_fields=list(changes))
    reschedule_partner(partner=partner, now=now)
    return partner
