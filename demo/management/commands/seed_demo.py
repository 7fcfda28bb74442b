"""`manage.py seed_demo`: the demo teams, agents and their books (demo.seed)."""

from django.core.management.base import BaseCommand

from demo.builders.clients import CLIENTS_PER_AGENT
from demo.seed import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = (
        "Load demo data: team 华东区 (director1) with 上海一部 (manager1) nested under it, agents "
        f"agent1 and agent2 with about {CLIENTS_PER_AGENT} Chinese demo clients each (family, "
        "lunar birthdays, interactions, promises, and what other apps add to a new book: "
        "policies, claims, reviews), and the superuser admin. Safe to run again: users and teams "
        "are matched by name and only created when missing, and an agent who already has "
        "clients is skipped. The password "
        f"'{DEMO_PASSWORD}' is set only when a user is created; an existing user's password is "
        "never changed. Birthdays and due dates are laid out around today."
    )

    def handle(self, *args, **options):
        report = seed_demo()
        out = self.stdout
        for label, created, present in (
            ("Teams", report.teams_created, report.teams_present),
            ("Users", report.users_created, report.users_present),
        ):
            out.write(
                f"{label}: created {', '.join(created) or 'none'}; "
                f"already present {', '.join(present) or 'none'}"
            )
        for username, count in report.clients_created.items():
            out.write(self.style.SUCCESS(f"{username}: created {count} demo clients"))
            for step, rows in report.steps_created.get(username, {}).items():
                out.write(self.style.SUCCESS(f"{username}: {step}: created {rows}"))
        for username, count in report.clients_present.items():
            out.write(f"{username}: already has {count} clients, left unchanged")
        out.write(f"Touches built: {report.touches_built}")
        out.write("")
        out.write(f"Logins (password '{DEMO_PASSWORD}' for accounts created by seed_demo):")
        for user in report.logins:
            team = user.team.name if user.team else "-"
            out.write(f"  {user.username:<10} {user.role:<8} {team:<6} {user}")
