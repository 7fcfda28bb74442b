"""`manage.py service_summary_rebuild`: rebuild the whole service summary from the history (after
a handover moved books between agents, or a restore). The nightly step keeps it otherwise."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from discipline.services import service_summary_refresh


class Command(BaseCommand):
    help = "Rebuild the monthly service summary and the persistency cohorts from the history."

    def handle(self, *args, **options):
        months = service_summary_refresh(timezone.localdate(), full=True)
        self.stdout.write(f"{len(months)} months rebuilt")
