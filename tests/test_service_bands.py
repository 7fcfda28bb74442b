"""Contacts per client by premium band (the deck: 不能忽视小客户) on the manager's service
pages: the figures against a hand-built book, the nightly summary after missed nights, the
agent's own page agreeing with the summary, the export, the query count and the scoping."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agentcrm.accounts.models import User
from agentcrm.core.masking import mask_phone
from clients.models import Client
from discipline import bands, summary
from discipline.models import ServiceMonthBand
from discipline.selectors import own
from discipline.selectors.team import team_service
from discipline.services import service_summary_refresh
from policies.models import Policy, PolicyStatusChange
from referrals.periods import Period

from .factories import ClientFactory, InteractionFactory, TeamFactory, UserFactory
from .import_factories import read_xlsx
from .policy_factories import PolicyFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 15)
JUNE, MARCH = datetime.date(2026, 6, 1), datetime.date(2026, 3, 1)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def travel(day: datetime.date, hour: int = 10):
    return time_machine.travel(at(day, hour), tick=False)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def contacts(client, *days: str) -> None:
    for day in days:
        InteractionFactory(client=client, date=d(day))


def policy(holder, premium: str, *, status=Policy.Status.IN_FORCE, **kw) -> Policy:
    return PolicyFactory(holder=holder, premium=Decimal(premium), status=status, **kw)


@pytest.fixture
def book(owner, teammate):
    """The owner's book as of TODAY (15 June 2026; the 12 months: after 15 June 2025):

    - none: no policy; no contact (under the floor);
    - small: ¥2,000 a year in force, plus ¥90,000 sold by others (left out); contacts on
      2025-07-01 and 2026-01-10, and one on 2025-06-15 (a year back to the day: outside);
    - medium: ¥1,000 a month (¥12,000) in force, and ¥30,000 that lapsed on 1 April 2026
      (in force at the end of March: then 42,000, the large band); one contact (under);
    - large: ¥15,000 + ¥10,000; three contacts;
    - top: ¥60,000; no contact (under);
    - left out: a prospect with a policy, a client archived on 10 April 2026 (in March's
      figures), a client entered in May 2026 (not in March's), a policy the teammate sold
      to the owner's client (not the client's agent's own), and the teammate's own client
      (¥8,000: medium, one contact).
    """
    with travel(datetime.date(2025, 1, 1)):
        ClientFactory(owner=owner, name="无保单")
        small = ClientFactory(owner=owner, name="小客户")
        medium = ClientFactory(owner=owner, name="中客户")
        large = ClientFactory(owner=owner, name="大客户")
        top = ClientFactory(owner=owner, name="顶级客户")
        prospect = ClientFactory(owner=owner, name="准客户", stage="prospect")
        archived = ClientFactory(owner=owner, name="已归档")
        theirs = ClientFactory(owner=teammate, name="同事的客户")
    with travel(datetime.date(2026, 5, 3)):
        late = ClientFactory(owner=owner, name="五月新客户")
    Client.objects.filter(pk=archived.pk).update(archived_at=at(d("2026-04-10")))
    policy(small, "2000")
    policy(small, "90000", sold_by_others=True)
    policy(small, "70000", owner=teammate)  # sold by the teammate: not the owner's own
    policy(medium, "1000", payment_frequency=Policy.Frequency.MONTHLY)
    lapsed = policy(medium, "30000", status=Policy.Status.LAPSED)
    PolicyStatusChange.objects.create(
        policy=lapsed, from_status="", to_status="in_force", at=at(d("2024-03-15"))
    )
    PolicyStatusChange.objects.create(
        policy=lapsed, from_status="in_force", to_status="grace", at=at(d("2026-03-20"))
    )
    PolicyStatusChange.objects.create(
        policy=lapsed, from_status="grace", to_status="lapsed", at=at(d("2026-04-01"), 1)
    )
    policy(large, "15000")
    policy(large, "10000")
    policy(top, "60000")
    policy(prospect, "3000")
    policy(archived, "4000")
    policy(late, "4000")
    policy(theirs, "8000")
    contacts(small, "2025-06-15", "2025-07-01", "2026-01-10")
    contacts(medium, "2026-02-01")
    contacts(large, "2025-09-01", "2026-03-01", "2026-06-10")
    contacts(prospect, "2026-06-01", "2026-06-02")
    contacts(archived, "2026-03-05", "2026-03-06")
    contacts(theirs, "2026-06-01")
    return {"small": small, "medium": medium, "archived": archived, "late": late}


# 15 June 2026: the client of May counts (¥4,000: small, no contact).
JUNE_FIGURES = {
    "none": {"clients": 1, "contacts": 0, "below_floor": 1},
    "small": {"clients": 2, "contacts": 2, "below_floor": 1},
    "medium": {"clients": 1, "contacts": 1, "below_floor": 1},
    "large": {"clients": 1, "contacts": 3, "below_floor": 0},
    "top": {"clients": 1, "contacts": 0, "below_floor": 1},
}
# 31 March 2026 (12 months: after 31 March 2025): the medium client was large then (the
# lapsed policy still in grace), the archived client still counted (¥4,000: small, two
# contacts), the client of May not yet entered; the small client's contact of 15 June 2025
# inside the 12 months, the large client's of June 2026 not yet.
MARCH_FIGURES = {
    "none": {"clients": 1, "contacts": 0, "below_floor": 1},
    "small": {"clients": 2, "contacts": 5, "below_floor": 0},
    "large": {"clients": 2, "contacts": 3, "below_floor": 1},
    "top": {"clients": 1, "contacts": 0, "below_floor": 1},
}


def _mine(figures: dict, owner, month) -> dict:
    return {band: v for (o, m, band), v in figures.items() if o == owner.pk and m == month}


def test_band_figures_against_the_hand_built_book(owner, teammate, book):
    figures = bands.band_figures(months=[MARCH, JUNE], today=TODAY)
    assert _mine(figures, owner, JUNE) == JUNE_FIGURES
    assert _mine(figures, owner, MARCH) == MARCH_FIGURES
    assert _mine(figures, teammate, JUNE) == {
        "medium": {"clients": 1, "contacts": 1, "below_floor": 1}
    }
    # A month after the day of the run is not written.
    assert not bands.band_figures(months=[datetime.date(2026, 7, 1)], today=TODAY)


def test_the_band_sql_matches_the_python_bounds():
    def band_of(premium: Decimal) -> str:
        if premium <= 0:
            return "none"
        return next(k for k, _l, upper in bands.BANDS[1:] if upper is None or premium < upper)

    amounts = ["0", "0.01", "4999.99", "5000", "19999.99", "20000", "49999.99", "50000", "1e7"]
    case = bands.band_case_sql("v")
    with connection.cursor() as cursor:
        for amount in amounts:
            cursor.execute(
                f"SELECT {case} FROM (SELECT CAST(%s AS DECIMAL(14, 2)) AS v) x", [amount]
            )
            assert cursor.fetchone()[0] == band_of(Decimal(amount)), amount


def test_the_agents_own_page_agrees_with_the_summary(owner, book):
    with travel(TODAY, hour=2):
        service_summary_refresh(TODAY)
    for end, month in ((TODAY, JUNE), (datetime.date(2026, 3, 31), MARCH)):
        mine = own.small_clients(agent=owner, end=end)
        table = {
            r.band: {"clients": r.clients, "contacts": r.contacts, "below_floor": r.below_floor}
            for r in ServiceMonthBand.objects.filter(owner=owner, month=month)
        }
        page = {
            b.key: {"clients": b.clients, "contacts": b.contacts, "below_floor": b.below_floor}
            for b in mine.bands
            if b.clients
        }
        assert page == table
    assert [row[1] for row in own.small_clients(agent=owner, end=TODAY).below] == [
        "无保单",
        "五月新客户",
        "中客户",
        "顶级客户",
    ]


def _table() -> dict:
    return {
        (r.owner_id, r.month, r.band): {
            "clients": r.clients,
            "contacts": r.contacts,
            "below_floor": r.below_floor,
        }
        for r in ServiceMonthBand.objects.all()
    }


def _fresh(day: datetime.date) -> dict:
    return bands.band_figures(months=summary.months_from(datetime.date(2024, 3, 1), day), today=day)


def test_summary_after_missed_nights_equals_a_fresh_computation(owner, book):
    first = datetime.date(2026, 5, 30)
    with travel(first, hour=2):
        service_summary_refresh(first)
    assert _table() == _fresh(first)
    # Two nights missed. Meanwhile: a contact dated back in August 2025 (it changes the
    # next 12 months), a policy set to lapsed with the day it lapsed in February, an old
    # policy entered late, and a client archived with an earlier day.
    with travel(datetime.date(2026, 6, 1)):
        contacts(book["medium"], "2025-08-20")
        small = Policy.objects.get(holder=book["small"], premium=Decimal("2000"))
        PolicyStatusChange.objects.create(
            policy=small, from_status="in_force", to_status="lapsed", at=at(d("2026-02-10"))
        )
        small.status = Policy.Status.LAPSED
        small.save()
        policy(book["late"], "30000", effective_date=d("2026-05-05"))
        late = Client.objects.get(pk=book["late"].pk)
        late.archived_at = at(d("2026-05-20"))
        late.save()
    night = datetime.date(2026, 6, 2)
    with travel(night, hour=23):
        months = service_summary_refresh(night)
    assert datetime.date(2025, 8, 1) in months
    assert _table() == _fresh(night)
    assert ServiceMonthBand.objects.get(owner=owner, month=MARCH, band="none").clients == 2
    # The same night again changes nothing.
    with travel(night, hour=23):
        service_summary_refresh(night)
    assert _table() == _fresh(night)


def test_team_service_rows_total_and_trend(owner, teammate, book):
    with travel(TODAY, hour=2):
        service_summary_refresh(TODAY)
    stats = team_service(agents=[owner, teammate], period=Period(MARCH, TODAY), today=TODAY)
    mine, theirs = stats.rows
    got = {c.key: (c.clients, c.contacts, c.below_floor) for c in mine.bands.cells}
    assert got == {k: tuple(v.values()) for k, v in JUNE_FIGURES.items()}
    assert mine.bands.cell("large").per_client == 3.0
    total = stats.total.bands
    assert total.cell("medium").clients == 2 and total.cell("medium").below_floor == 2
    assert (total.clients, total.below_floor) == (7, 5)
    march = next(m for m in stats.trend if m.month == MARCH)
    assert (march.band_clients, march.band_below_floor) == (6 + 1, 3 + 1)
    series = stats.chart_data()["discipline"]["series"][-1]["data"]
    assert series[0] == round(4 * 100 / 7, 1) and series[-1] == round(5 * 100 / 7, 1)


def test_team_page_drill_down_and_export(client, owner, teammate, manager, book):
    with travel(TODAY, hour=2):
        service_summary_refresh(TODAY)
    client.force_login(manager)
    with travel(TODAY):
        page = client.get(reverse("team_service:overview"))
        drill = client.get(reverse("team_service:agent", args=[owner.pk]))
        export = client.get(reverse("team_service:export"))
    body = page.content.decode()
    assert 'id="service-bands-agents"' in body and 'id="service-bands-formula"' in body
    assert f'<tr data-agent="{owner.pk}">' in body
    drill_body = drill.content.decode()
    assert 'id="service-bands-total"' in drill_body
    assert 'id="service-bands-agents"' not in drill_body
    # The drill-down's band table is the manager's row for the agent.
    start = drill_body.index('id="service-bands-total"')
    row = drill_body[drill_body.index('data-band="medium"', start) :]
    assert '<td class="text-end" data-col="clients">1</td>' in row[:400]
    # Phones masked, on the band panel's list too.
    phone = str(book["medium"].mobile)
    assert phone and phone not in drill_body and phone[3:] not in drill_body
    assert mask_phone(phone) in drill_body
    rows = read_xlsx(b"".join(export.streaming_content))
    # The band columns close the sheet: four a band (clients, contacts, per client, under
    # the floor), then the clients under the floor in every band.
    header = rows[0]
    floor = len(header) - 1
    first_band = floor - 4 * len(bands.BANDS)
    medium_clients = first_band + 4 * bands.BAND_KEYS.index("medium")
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name[str(owner)][floor] == 4
    assert by_name[str(teammate)][floor] == 1
    assert rows[-1][floor] == 5  # the total
    assert by_name[str(owner)][medium_clients : medium_clients + 4] == [1, 1, 1.0, 1]
    assert by_name[str(teammate)][medium_clients : medium_clients + 4] == [1, 1, 1.0, 1]
    assert rows[-1][medium_clients] == 2


def test_team_page_query_count_does_not_grow_with_agents(client, manager, team):
    def seed(n: int) -> None:
        with travel(datetime.date(2026, 6, 1)):
            for i in range(n):
                agent = UserFactory(username=f"b{User.objects.count()}-{i}", team=team)
                c = ClientFactory(owner=agent)
                policy(c, "3000")
                InteractionFactory(client=c, date=d("2026-06-01"))
        with travel(TODAY, hour=2):
            service_summary_refresh(TODAY, full=True)

    client.force_login(manager)
    counts = []
    for n in (1, 7):
        seed(n)
        with travel(TODAY), CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("team_service:overview")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert ServiceMonthBand.objects.filter(month=JUNE).count() == 8


def test_scoping(client, owner, outsider):
    with travel(TODAY):
        client.force_login(outsider)
        assert client.get(reverse("team_service:overview")).status_code == 403
        assert client.get(reverse("team_service:export")).status_code == 403
        assert client.get(reverse("team_service:agent", args=[owner.pk])).status_code == 403
        other_manager = UserFactory(username="m3", role=User.Role.MANAGER)
        TeamFactory(name="深圳四部", manager=other_manager)
        client.force_login(other_manager)
        assert client.get(reverse("team_service:agent", args=[owner.pk])).status_code == 404
