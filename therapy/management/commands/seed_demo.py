from django.core.management.base import BaseCommand
from django.utils import timezone

from therapy.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo practice, counselors and couples (once)."

    def handle(self, *args, **options):
        created = load_demo(now=timezone.now())
        self.stdout.write("Demo data loaded." if created else "Demo data already present.")
