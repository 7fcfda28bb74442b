"""`manage.py touch_kinds`: every registered occasion kind, with what feeds it."""

from django.core.management.base import BaseCommand

from touches.registry import Priority, client_triggers, occasion_kinds


class Command(BaseCommand):
    help = "List the registered occasion kinds: query function, triggers, default lead, priority."

    def handle(self, *args, **options):
        triggers = client_triggers()
        for kind in occasion_kinds().values():
            source = f"{kind.source.__module__}.{kind.source.__qualname__}"
            fed_by = sorted(
                t.model._meta.label for t in triggers if t.kinds is None or kind.key in t.kinds
            )
            lead = f"{kind.default_lead_days}" + ("" if kind.lead_configurable else " (fixed)")
            self.stdout.write(
                f"{kind.key}\n"
                f"  label:    {kind.label}\n"
                f"  query:    {source}\n"
                f"  triggers: {', '.join(fed_by) or '-'}\n"
                f"  lead:     {lead} days\n"
                f"  priority: {kind.priority} ({Priority(kind.priority).label})\n"
            )
