from django.core.management.base import BaseCommand

from therapy.encryption import encrypted_fields, rewrite_rows


class Command(BaseCommand):
    help = (
        "Encrypt every encrypted field again under the first key in FIELD_ENCRYPTION_KEYS, and "
        "work out the contact digests again under FIELD_LOOKUP_KEY. Run it after adding a new "
        "key in front; once it has finished, the old key can be dropped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        total = 0
        for model, names in encrypted_fields():
            rows = rewrite_rows(model, names, batch_size=batch_size)
            total += rows
            self.stdout.write(f"{model._meta.label}: {rows} rows ({', '.join(names)})")
        self.stdout.write(f"Re-encrypted {total} rows under the current key.")
