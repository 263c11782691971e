from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clients", "0006_phones_in_e164")]

    operations = [
        migrations.RenameField(model_name="portallink", old_name="last_used_at", new_name="used_at"),
    ]
