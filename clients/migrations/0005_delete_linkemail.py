from django.db import migrations


class Migration(migrations.Migration):
    """Fresh-link e-mails are outbox rows now (worksheets.Reminder, kind "link")."""

    dependencies = [
        ("clients", "0004_couple_individual_work_only"),
        ("worksheets", "0008_outbox_for_every_message"),
    ]

    operations = [
        migrations.DeleteModel(name="LinkEmail"),
    ]
