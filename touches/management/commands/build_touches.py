"""`manage.py build_touches`: build the touches now, in-process (the days not built yet, or
given days)."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from touches.build import touch_build_now


class Command(BaseCommand):
    help = (
        "Build service touches now, in this process. Without options: every day not built yet "
        "up to the coming week, as the nightly job does. With --date (and --days): exactly "
        "those due days, again; existing touches are never doubled."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="first due day to build, YYYY-MM-DD")
        parser.add_argument("--days", type=int, default=1, help="number of days (default 1)")

    def handle(self, *args, **options):
        days_count = options["days"]
        if days_count < 1 or days_count > 366:
            raise CommandError("--days must be between 1 and 366")
        today = timezone.localdate()
        if options["date"]:
            try:
                first = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from exc
            days = [first + timedelta(days=i) for i in range(days_count)]
            written = touch_build_now(today=today, days=days)
            span = f"{days[0]}–{days[-1]}" if len(days) > 1 else str(days[0])
        else:
            if options["days"] != 1:
                raise CommandError("--days needs --date")
            written = touch_build_now(today=today)
            span = "pending days"
        self.stdout.write(f"{written} touches written ({span})")
