"""Stored phone numbers in E.164 form, as the forms now store them, so that a STOP texted from
a number finds its partner. A number that does not parse as a valid one is left as it was."""

import phonenumbers
from django.conf import settings
from django.db import migrations


def in_e164(raw: str, region: str) -> str:
    """`raw` in E.164 form, or "" when it is not a valid number (read as of `region` when it
    has no country code). A copy of clients.phones.normalise_phone as it was when written."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phones_in_e164(apps, schema_editor):
    Partner = apps.get_model("clients", "Partner")
    region = settings.PHONE_DEFAULT_REGION
    changed = []
    # Blank numbers are skipped here rather than in the query, so that the function also runs
    # over today's model, whose phone numbers are encrypted and cannot be searched.
    for partner in Partner.objects.only("pk", "phone").iterator():
        if not partner.phone:
            continue
        e164 = in_e164(partner.phone, region)
        if e164 and e164 != partner.phone:
            partner.phone = e164
            changed.append(partner)
    Partner.objects.bulk_update(changed, ["phone"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("clients", "0005_delete_linkemail")]

    # Going back keeps the numbers in E.164 form: any earlier code read them as well.
    operations = [migrations.RunPython(phones_in_e164, migrations.RunPython.noop)]
