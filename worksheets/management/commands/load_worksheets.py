from django.core.management.base import BaseCommand, CommandError

from worksheets.library import WorksheetFileError, load_library


class Command(BaseCommand):
    help = "Load the worksheet library; unchanged files change nothing, changed ones add a version."

    def handle(self, *args, **options):
        try:
            results = load_library()
        except WorksheetFileError as error:
            raise CommandError(str(error)) from error
        for result in results:
            state = "new version" if result.created else "unchanged"
            self.stdout.write(f"{result.slug} v{result.version}: {state}")
