"""The nightly build reads indexes, not tables (issue 16, "a read-light night"): the plans
PostgreSQL makes for each kind's statement, with sequential scans priced out
(`enable_seqscan = off`, so a table scan shows only where no index can serve the query).

PostgreSQL only: the figures of the night are defined there; SQLite has no EXPLAIN in
this shape."""

import datetime
import json

import pytest
from django.db import connection, transaction
from django.utils import timezone

from clients.models import Client
from policies.models import Policy
from touches.build import AgentRange, _rows, lead_groups
from touches.occasions import NEGLECT_DEFAULT_DAYS
from touches.registry import BuildScope, occasion_kinds

from .factories import ClientFactory, InteractionFactory
from .policy_factories import PolicyFactory
from .touch_factories import TouchFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's plans (DATABASE_URL)"
    ),
]
DUE = datetime.date(2026, 11, 24)
# The tables that grow with the book: a kind's statement must reach them by an index.
BIG_TABLES = {
    "clients_client",
    "clients_familymember",
    "clients_interaction",
    "policies_policy",
    "touches_touch",
}


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _plans(kind_key: str, *, agents: AgentRange) -> list[list[dict]]:
    """The plan nodes of each statement of a kind for DUE, sequential scans priced out."""
    kind = occasion_kinds()[kind_key]
    plans = []
    for lead, only, leave_out in lead_groups(kind=kind, agents=agents):
        for qs in _rows(
            kind=kind,
            scope=BuildScope(due=DUE, lead_days=lead),
            agents=agents,
            only=only,
            leave_out=leave_out,
            client_ids=None,
            now=timezone.now(),
        ):
            sql, params = qs.query.sql_with_params()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                document = cursor.fetchone()[0]
            if isinstance(document, str):
                document = json.loads(document)
            plans.append(list(_nodes(document[0]["Plan"])))
    return plans


def _seq_scans(nodes: list[dict]) -> set[str]:
    return {n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"}


def _indexes(nodes: list[dict]) -> set[str]:
    return {n["Index Name"] for n in nodes if "Index Name" in n}


@pytest.fixture
def book(owner):
    """A few clients: contacted long ago, recently, never; one already touched."""
    old = ClientFactory(owner=owner, stage="client")
    InteractionFactory(client=old, date=DUE - datetime.timedelta(days=400))
    recent = ClientFactory(owner=owner, stage="client")
    InteractionFactory(client=recent, date=DUE - datetime.timedelta(days=3))
    ClientFactory(owner=owner, stage="client")
    touched = ClientFactory(owner=owner, stage="client")
    InteractionFactory(client=touched, date=DUE - datetime.timedelta(days=300))
    TouchFactory(client=touched, kind="neglect", occasion_date=DUE - datetime.timedelta(days=100))
    for client in (old, recent, touched):  # as client_last_contact_refresh keeps it
        latest = client.interactions.order_by("-date").values_list("date", flat=True)[0]
        Client.objects.filter(pk=client.pk).update(last_contact_on=latest)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clients_client")
        cursor.execute("ANALYZE touches_touch")
    return owner


def test_neglect_is_two_index_ranges_and_one_index_probe_per_silent_client(book):
    """The clients contacted before the shortest cadence: a range on (agent, last contact);
    the clients never contacted: a range on their own partial index; the touch already
    made for this silence: an index-only probe. Neither table is scanned."""
    agents = AgentRange(book.pk, book.pk)
    contacted, never = _plans("neglect", agents=agents)
    for nodes in (contacted, never):
        assert not _seq_scans(nodes) & BIG_TABLES, _seq_scans(nodes)
        # The probe (a few rows here: the planner may take any of the touch indexes).
        probe = [n for n in nodes if n.get("Relation Name") == "touches_touch"]
        assert probe and probe[0]["Node Type"] in ("Index Scan", "Index Only Scan"), probe
    # An index scan, or a bitmap index scan under a heap scan: either way this index.
    scan = next(n for n in contacted if n.get("Index Name") == "client_neglect_contacted")
    # The range bound on the last contact is an index condition, not a filter.
    assert "last_contact_on <=" in scan["Index Cond"]
    assert any(n.get("Index Name") == "client_neglect_never" for n in never)


def test_neglect_still_finds_every_silence_it_found(book):
    """The ranges leave out nobody owed a touch: the long-silent and the never-contacted
    (added long ago) are found; the recent and the already-touched are not."""
    agents = AgentRange(book.pk, book.pk)
    Client.objects.filter(owner=book, last_contact_on__isnull=True).update(
        created_at=timezone.make_aware(datetime.datetime(2025, 1, 1))
    )
    kind = occasion_kinds()["neglect"]
    found = set()
    for qs in kind.source(BuildScope(due=DUE, lead_days=NEGLECT_DEFAULT_DAYS)):
        found |= set(qs.filter(agents.q()).values_list("t_client", flat=True))
    expected = set(
        Client.objects.filter(owner=book)
        .exclude(last_contact_on__gt=DUE - datetime.timedelta(days=NEGLECT_DEFAULT_DAYS))
        .exclude(touches__kind="neglect")
        .values_list("pk", flat=True)
    )
    assert found == expected and len(found) == 2


def test_every_kind_reaches_the_big_tables_by_index(book):
    """Each kind's statement for one day is index probes: with sequential scans priced out,
    no table that grows with the book is scanned."""
    agents = AgentRange(book.pk, book.pk)
    scanned = set()
    for key in occasion_kinds():
        for nodes in _plans(key, agents=agents):
            scanned |= {(key, table) for table in _seq_scans(nodes) & BIG_TABLES}
    assert scanned == set()


def test_cooling_off_kind_is_a_range_of_its_own_index(book):
    """The cooling-off kind asks for the policies of (agent, day): the partial index on
    (owner, cooling_off_end) answers it, the day an index condition, not a filter over
    every policy of the agent (a year of sales here, so that the plan is the one a real
    book gets and not a walk of a tiny table)."""
    holder = ClientFactory(owner=book, stage="client")
    sold = PolicyFactory(owner=book, holder=holder, cooling_off_end=DUE)
    year = []
    for n in range(1, 400):
        copy = Policy.objects.get(pk=sold.pk)
        copy.pk, copy.number = None, f"{sold.number}-{n}"
        copy.cooling_off_end = DUE - datetime.timedelta(days=n) if n % 10 else None
        year.append(copy)
    Policy.objects.bulk_create(year)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE policies_policy")
    (nodes,) = _plans("cooling_off_end", agents=AgentRange(book.pk, book.pk))
    scan = next(n for n in nodes if n.get("Index Name") == "policy_owner_cooling_off")
    assert "cooling_off_end =" in scan["Index Cond"], scan
    assert not _seq_scans(nodes) & BIG_TABLES
