from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q


def keep_what_paused_couples_see(apps, schema_editor):
    """Until now a pause hid every side-by-side view of the couple while it lasted. So that
    nothing a partner sees changes on the day this is deployed, the handed-in work of couples
    paused today stays kept for the session; from now on each pair is settled when it
    completes."""
    Couple = apps.get_model("clients", "Couple")
    Alert = apps.get_model("therapy", "Alert")
    Response = apps.get_model("worksheets", "Response")
    urgent_open = Alert.objects.filter(
        couple=OuterRef("pk"), kind="safety", acknowledged_at__isnull=True
    )
    paused = Couple.objects.filter(Q(individual_work_only=True) | Exists(urgent_open))
    Response.objects.filter(assignment__couple__in=paused, status="submitted").update(
        kept_for_session=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("worksheets", "0014_webhooks"),
        ("therapy", "0013_webhooks"),
        ("clients", "0011_encrypt_stored_contact_details"),
    ]

    operations = [
        migrations.AddField(
            model_name="response",
            name="kept_for_session",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(keep_what_paused_couples_see, migrations.RunPython.noop),
    ]
