"""`manage.py festivals YEAR`: the festival dates of a year, as the build computes them."""

import re

from django.core.management.base import BaseCommand, CommandError

from touches.festivals import MAX_YEAR, MIN_YEAR, festival_dates


class Command(BaseCommand):
    help = (
        f"Print the festival dates of YEAR ({MIN_YEAR}–{MAX_YEAR}), one `YYYY-MM-DD<TAB>key` "
        "line each, sorted by date."
    )

    def add_arguments(self, parser):
        # Taken as text and checked here, so a bad value gets one clear message.
        parser.add_argument("year", help=f"a year from {MIN_YEAR} to {MAX_YEAR}")

    def handle(self, *args, year: str, **options):
        # Four ASCII digits only: int() would also take "+2026", "2_026" and full-width digits.
        if not re.fullmatch(r"[0-9]{4}", year) or not MIN_YEAR <= int(year) <= MAX_YEAR:
            raise CommandError(f"YEAR must be a year from {MIN_YEAR} to {MAX_YEAR}, not {year!r}.")
        for day, festival in festival_dates(int(year)):
            self.stdout.write(f"{day.isoformat()}\t{festival.key}")
