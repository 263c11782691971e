import therapy.encryption
from django.db import migrations


class Migration(migrations.Migration):
    """Encrypts the contact details already stored and fills in their digests. Apart from the
    schema change, so that PostgreSQL has no pending trigger events when either is reversed."""

    dependencies = [
        ('clients', '0010_encrypted_contact_details'),
    ]

    operations = [
        therapy.encryption.migration_operations('clients', {'partner': ['email', 'phone'], 'historicalpartner': ['email', 'phone'], 'portallink': ['email']}),
    ]
