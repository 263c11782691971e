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
