"""Prepare the load bench's database: `python -m bench.load.seed --agents 50 --clients 300`,
run by bench/load/__init__.py with DJANGO_SETTINGS_MODULE=bench.load.settings and
DATABASE_URL pointing at the bench's own (freshly created) database.

Migrates, collects the static files (the manifest the production storage renders with),
then seeds `agents` agents in one team, each with a book of `clients` clients (birthdays over
the year, half with a policy, a third contacted a month ago, the rest not for two years) and
builds their touches the way the nightly job does (`touch_build_now`: the week behind, today
and the week ahead). Clients without a recent contact get a "not contacted for a long time"
touch, so every dashboard starts with a couple of hundred open touches. Prints one JSON line
with the counts.
"""

import argparse
import datetime
import json
import os
import random
import time


def seed(*, agents: int, clients: int, today: datetime.date) -> dict:
    """Agents with their books and their touches; returns counts. Needs Django set up."""
    from django.contrib.auth.hashers import make_password
    from django.db.models import Count
    from django.utils import timezone

    from agentcrm.accounts.models import Team, User
    from agentcrm.core.calendar import month_day_key
    from clients.models import Client, Interaction, birth_md_for
    from clients.services import client_last_contact_refresh
    from policies.models import Insurer, Policy
    from touches.build import touch_build_now
    from touches.models import Touch

    from .agent import PASSWORD, agent_username

    rng = random.Random(6)
    team = Team.objects.create(name="load bench")
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        [
            User(
                username=agent_username(n),
                password=password,
                display_name=f"压测代理人{n:03d}",
                role=User.Role.AGENT,
                team=team,
            )
            for n in range(1, agents + 1)
        ]
    )
    born_from = datetime.date(1950, 1, 1)
    book = []
    for user in users:
        for i in range(clients):
            born = born_from + datetime.timedelta(days=rng.randrange(365 * 55))
            book.append(
                Client(
                    owner=user,
                    name=f"客户{user.pk}-{i:04d}",
                    mobile=f"+86139{user.pk:03d}{i:05d}",
                    birth_date=born,
                    birth_md=birth_md_for(born),
                    stage=Client.Stage.CLIENT,
                )
            )
    Client.objects.bulk_create(book, batch_size=2000)
    # Clients of two years' standing: the build's "not contacted for a long time" reads it.
    Client.objects.filter(owner__in=users).update(
        created_at=timezone.now() - datetime.timedelta(days=730)
    )
    ids = list(Client.objects.filter(owner__in=users).values_list("id", "owner_id"))
    Interaction.objects.bulk_create(
        [
            Interaction(
                client_id=cid,
                created_by_id=owner_id,
                kind=Interaction.Kind.CALL,
                date=today - datetime.timedelta(days=30),
                summary="回访",
            )
            for cid, owner_id in ids[::3]
        ],
        batch_size=2000,
    )
    client_last_contact_refresh(client_ids=[cid for cid, _owner in ids])
    insurer, _ = Insurer.objects.get_or_create(name="压测保险公司")
    policies = []
    for cid, owner_id in ids[::2]:
        effective = datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(3650))
        policies.append(
            Policy(
                owner_id=owner_id,
                holder_id=cid,
                insured_client_id=cid,
                insurer=insurer,
                number=f"L{cid:09d}",
                product_name="终身寿险",
                policy_type=Policy.Type.LIFE,
                sum_assured=500000,
                premium=10000,
                payment_frequency=Policy.Frequency.ANNUAL,
                effective_date=effective,
                anniversary_md=month_day_key(effective.month, effective.day),
                status=Policy.Status.IN_FORCE,
            )
        )
    Policy.objects.bulk_create(policies, batch_size=2000)
    written = touch_build_now(today=today)
    # Open touches a dashboard can show (overdue, today, the coming week), per agent.
    shown = Touch.objects.filter(
        owner__in=users,
        status=Touch.Status.OPEN,
        due_date__lte=today + datetime.timedelta(days=7),
    )
    counted = list(shown.values("owner").annotate(n=Count("id")).values_list("n", flat=True))
    per_agent = counted + [0] * (len(users) - len(counted))
    return {
        "agents": len(users),
        "clients": len(ids),
        "policies": len(policies),
        "touches_written": written,
        "open_shown_min": min(per_agent),
        "open_shown_max": max(per_agent),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--clients", type=int, default=300, help="clients per agent")
    args = parser.parse_args()

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.load.settings")
    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    timings = {}
    start = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    call_command("collectstatic", verbosity=0, interactive=False, clear=True)
    timings["collectstatic_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    counts = seed(agents=args.agents, clients=args.clients, today=timezone.localdate())
    timings["seed_s"] = round(time.perf_counter() - start, 1)
    print(json.dumps(counts | timings), flush=True)


if __name__ == "__main__":
    main()
