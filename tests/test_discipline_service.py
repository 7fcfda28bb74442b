"""The service view: the lapse guard's queue and actions, tonight's lapse as a touch and a
figure, the monthly summary against fixtures and after missed nights, the agent's pitfalls
and the scoping of the team pages."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from agentcrm.accounts.models import User
from agentcrm.core.models import JobMarker
from agentcrm.core.services import nightly_run
from clients.models import Client, Commitment, Interaction
from discipline import summary
from discipline.models import CommissionRate, ServiceMonth, ServiceMonthKind
from discipline.selectors import lapse, own
from discipline.selectors.team import team_service
from discipline.services import SUMMARY_JOB, service_summary_refresh
from policies.models import Policy
from referrals.periods import Period
from touches.models import BUILD_JOB, Touch

from .factories import (
    ClientFactory,
    CommitmentFactory,
    InteractionFactory,
    TeamFactory,
    UserFactory,
)
from .policy_factories import PolicyFactory
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 15)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def travel(day: datetime.date, hour: int = 10):
    return time_machine.travel(at(day, hour), tick=False)


# --- the lapse guard ---------------------------------------------------------------------------


def risky(owner, *, premium, next_due, status=Policy.Status.IN_FORCE, frequency="annual", **kw):
    p = PolicyFactory(
        holder=ClientFactory(owner=owner),
        premium=Decimal(premium),
        payment_frequency=frequency,
        status=status,
        effective_date=datetime.date(2023, 1, 1),
        **kw,
    )
    Policy.objects.filter(pk=p.pk).update(
        premium_next_due=next_due, premium_grace_end=next_due + datetime.timedelta(days=60)
    )
    return p


def test_lapse_queue_order_stages_and_commission(owner, teammate):
    due_soon = risky(owner, premium="9000", next_due=TODAY + datetime.timedelta(days=10))
    grace = risky(
        owner,
        premium="1000",
        frequency="monthly",  # ¥12,000 a year: the most at risk
        next_due=TODAY - datetime.timedelta(days=5),
        status=Policy.Status.GRACE,
    )
    lapsed = risky(
        owner,
        premium="10000",
        next_due=TODAY - datetime.timedelta(days=100),
        status=Policy.Status.LAPSED,
    )
    risky(owner, premium="50000", next_due=TODAY + datetime.timedelta(days=90))  # not soon
    risky(
        owner,
        premium="80000",
        next_due=TODAY - datetime.timedelta(days=900),
        status=Policy.Status.LAPSED,
    )  # beyond the reinstatement period
    risky(teammate, premium="99000", next_due=TODAY + datetime.timedelta(days=3))
    CommissionRate.objects.create(owner=owner, insurer=grace.insurer, rate=Decimal("30"))
    InteractionFactory(client=grace.holder, date=datetime.date(2026, 6, 1))
    InteractionFactory(client=grace.holder, date=datetime.date(2026, 6, 9))

    queue = list(lapse.lapse_queue(owner_ids=[owner.pk], today=TODAY))
    assert [p.pk for p in queue] == [grace.pk, lapsed.pk, due_soon.pk]
    lapse.lapse_decorate(queue, today=TODAY)
    first = queue[0]
    assert first.stage == lapse.IN_GRACE
    assert first.annual == Decimal("12000")
    assert first.commission_at_risk == Decimal("3600.00")
    assert first.days_left == 55
    assert first.last_contact == datetime.date(2026, 6, 9)
    assert queue[1].stage == lapse.PAST_GRACE and queue[1].commission_at_risk is None
    assert queue[2].stage == lapse.DUE_SOON and queue[2].days_left == 10
    counts = lapse.lapse_counts(owner_ids=[owner.pk], today=TODAY)[""]
    assert (counts.due_soon, counts.grace, counts.past_grace) == (1, 1, 1)
    assert counts.premium_at_risk == Decimal("31000")
    assert counts.commission_at_risk == Decimal("3600")


def test_a_product_rate_wins_over_the_insurer_rate(owner):
    p = risky(owner, premium="10000", next_due=TODAY + datetime.timedelta(days=1))
    CommissionRate.objects.create(owner=owner, insurer=p.insurer, rate=Decimal("20"))
    CommissionRate.objects.create(
        owner=owner, insurer=p.insurer, product_name=p.product_name, rate=Decimal("35")
    )
    (row,) = lapse.lapse_decorate(
        list(lapse.lapse_queue(owner_ids=[owner.pk], today=TODAY)), today=TODAY
    )
    assert row.commission_at_risk == Decimal("3500.00")


def test_lapse_page_actions_log_a_call_and_a_promise(client, owner):
    p = risky(owner, premium="9000", next_due=TODAY + datetime.timedelta(days=10))
    client.force_login(owner)
    with travel(TODAY):
        page = client.get(reverse("discipline:lapse"))
        assert page.status_code == 200
        assert f'href="tel:{p.holder.mobile}"' in page.content.decode()
        client.post(reverse("discipline:lapse_contact", args=[p.pk]), {"summary": ""})
        client.post(reverse("discipline:lapse_promise", args=[p.pk]), {"due_date": "2026-06-20"})
        bad = client.post(reverse("discipline:lapse_promise", args=[p.pk]), {"due_date": "x"})
    call = Interaction.objects.get(client=p.holder)
    assert call.kind == Interaction.Kind.CALL and call.date == TODAY
    assert Commitment.objects.get(client=p.holder).due_date == datetime.date(2026, 6, 20)
    assert bad.status_code == 302 and Commitment.objects.count() == 1


def test_commission_rate_form_refuses_a_bad_rate(client, owner):
    p = PolicyFactory(holder=ClientFactory(owner=owner))
    client.force_login(owner)
    response = client.post(reverse("discipline:rates"), {"insurer": p.insurer.pk, "rate": "120"})
    assert response.status_code == 200
    assert not CommissionRate.objects.exists()
    client.post(reverse("discipline:rates"), {"insurer": p.insurer.pk, "rate": "25"})
    assert CommissionRate.objects.get().rate == Decimal("25")


def test_tonight_lapse_raises_a_touch_and_counts_the_same_night(owner):
    night = datetime.date(2026, 6, 16)
    p = risky(owner, premium="6000", next_due=datetime.date(2026, 4, 1))  # grace ended 31 May
    JobMarker.objects.create(name=BUILD_JOB, last_completed_day=night + datetime.timedelta(days=7))
    with travel(night, hour=1):
        nightly_run(day=night)
    p.refresh_from_db()
    assert p.status == Policy.Status.LAPSED
    touch = Touch.objects.get(kind="policy_lapsed")
    assert (touch.owner_id, touch.client_id, touch.occasion_date) == (
        owner.pk,
        p.holder_id,
        night,
    )
    row = ServiceMonth.objects.get(owner=owner, month=datetime.date(2026, 6, 1))
    assert row.lapses == 1 and row.lapsed_premium == Decimal("6000")


# --- the summary -------------------------------------------------------------------------------


@pytest.fixture
def history(owner):
    """Touches, promises and contacts of May and June 2026 for `owner`."""
    c1, c2 = ClientFactory(owner=owner), ClientFactory(owner=owner)
    Client.objects.filter(pk__in=[c1.pk, c2.pk]).update(created_at=at(datetime.date(2025, 1, 1)))
    may = datetime.date(2026, 5, 10)
    # Touches of May: on time, late, skipped, open past due; June: one not due yet.
    t = TouchFactory(client=c1, kind="birthday", due_date=may, occasion_date=may)
    Touch.objects.filter(pk=t.pk).update(status="done", closed_at=at(may))
    t = TouchFactory(client=c1, kind="birthday", due_date=may, occasion_date=may, source="x:2")
    Touch.objects.filter(pk=t.pk).update(status="done", closed_at=at(may + datetime.timedelta(3)))
    t = TouchFactory(client=c2, kind="premium_due", due_date=may, occasion_date=may)
    Touch.objects.filter(pk=t.pk).update(status="skipped", closed_at=at(may))
    TouchFactory(client=c2, kind="premium_due", due_date=may, occasion_date=may, source="x:4")
    june = datetime.date(2026, 6, 20)
    TouchFactory(client=c2, kind="birthday", due_date=june, occasion_date=june)
    # Promises: kept on time, kept late, open past due.
    CommitmentFactory(client=c1, due_date=may, done_date=may)
    CommitmentFactory(client=c1, due_date=may, done_date=may + datetime.timedelta(days=2))
    CommitmentFactory(client=c2, due_date=may)
    # Contacts: c1 twice in May; c2 not since 2025-05-01 (silent on 31 May 2026).
    InteractionFactory(client=c1, date=may)
    InteractionFactory(client=c1, date=may + datetime.timedelta(days=1))
    InteractionFactory(client=c2, date=datetime.date(2025, 5, 1))
    # A handover introduction done 3 days after the handover, one never done.
    handed = datetime.date(2026, 5, 2)
    t = TouchFactory(client=c1, kind="agent_introduction", due_date=handed, occasion_date=handed)
    Touch.objects.filter(pk=t.pk).update(
        status="done", closed_at=at(handed + datetime.timedelta(3))
    )
    TouchFactory(
        client=c2, kind="agent_introduction", due_date=handed, occasion_date=handed, source="h:2"
    )
    return c1, c2


def test_month_figures_against_the_fixture(owner, history):
    may = datetime.date(2026, 5, 1)
    figures, kinds = summary.month_figures(months=[may], today=TODAY)
    row = figures[(owner.id, may)]
    assert (row["promises_due"], row["promises_on_time"], row["promises_late"]) == (3, 1, 1)
    assert row["promises_open"] == 1
    assert (row["contacts"], row["clients_contacted"]) == (2, 1)
    assert (row["clients"], row["clients_silent"]) == (2, 1)
    assert (row["introductions"], row["introductions_on_time"]) == (2, 1)
    birthday = kinds[(owner.id, may, "birthday")]
    assert (birthday["due"], birthday["on_time"], birthday["late"]) == (2, 1, 1)
    premium = kinds[(owner.id, may, "premium_due")]
    assert (premium["due"], premium["skipped"], premium["open"]) == (2, 1, 1)
    # June's birthday is not due yet (20 June): no row of June for the kind.
    _figures, june_kinds = summary.month_figures(months=[datetime.date(2026, 6, 1)], today=TODAY)
    assert (owner.id, datetime.date(2026, 6, 1), "birthday") not in june_kinds


def _table() -> tuple[dict, dict]:
    months = {
        (r.owner_id, r.month): {f: getattr(r, f) for f in summary.MONTH_FIELDS}
        for r in ServiceMonth.objects.all()
    }
    kinds = {
        (r.owner_id, r.month, r.kind): {f: getattr(r, f) for f in summary.KIND_FIELDS}
        for r in ServiceMonthKind.objects.all()
    }
    return months, kinds


def _fresh(day: datetime.date) -> tuple[dict, dict]:
    start = datetime.date(2025, 1, 1)
    return summary.month_figures(months=summary.months_from(start, day), today=day)


def test_summary_caught_up_after_missed_nights_equals_a_fresh_computation(owner, history):
    c1, c2 = history
    first = datetime.date(2026, 5, 30)
    with travel(first, hour=2):
        service_summary_refresh(first)
    assert _table() == _fresh(first)
    # Two nights missed. Meanwhile: a May touch done late, a May promise kept, a contact
    # dated back in April (it changes April's and the next months' silent clients), and a
    # June contact.
    with travel(datetime.date(2026, 6, 2)):
        Touch.objects.filter(kind="premium_due", status="open").update(
            status="done", closed_at=at(datetime.date(2026, 6, 2))
        )
        Commitment.objects.filter(done_date__isnull=True).update(
            done_date=datetime.date(2026, 6, 2)
        )
        InteractionFactory(client=c2, date=datetime.date(2026, 4, 20))
        InteractionFactory(client=c1, date=datetime.date(2026, 6, 1))
    night = datetime.date(2026, 6, 2)
    with travel(night, hour=23):
        months = service_summary_refresh(night)
    assert datetime.date(2026, 4, 1) in months
    assert _table() == _fresh(night)
    may = ServiceMonth.objects.get(owner=owner, month=datetime.date(2026, 5, 1))
    assert (may.promises_late, may.promises_open, may.clients_silent) == (2, 0, 0)
    # Running the same night again changes nothing.
    with travel(
        night,
        hour=23,
    ):
        service_summary_refresh(night)
    assert _table() == _fresh(night)
    assert JobMarker.objects.get(name=SUMMARY_JOB).last_completed_day == night


def test_team_service_sums_the_summary(owner, teammate, history):
    with travel(TODAY, hour=2):
        service_summary_refresh(TODAY)
    stats = team_service(
        agents=[owner, teammate],
        period=Period(datetime.date(2026, 5, 1), TODAY),
        today=TODAY,
    )
    d = stats.rows[0].discipline
    # Birthdays: one on time, one late; the introduction done 3 days after its occasion is
    # late as a touch (and on time as an introduction, within 7 days).
    assert (d.touches_due, d.touches_on_time, d.touches_late) == (6, 1, 2)
    assert (d.introductions, d.introductions_on_time) == (2, 1)
    assert (d.touches_skipped, d.touches_open) == (1, 2)
    assert (d.promises_due, d.promises_on_time) == (3, 1)
    assert (d.clients, d.clients_silent) == (2, 1)
    assert stats.total.discipline.contacts == 2
    assert {k.kind for k in stats.kinds} == {"birthday", "premium_due", "agent_introduction"}


def test_team_page_export_and_drill_down(client, owner, manager, history):
    with travel(TODAY, hour=2):
        service_summary_refresh(TODAY)
    client.force_login(manager)
    with travel(TODAY):
        page = client.get(reverse("team_service:overview"))
        assert page.status_code == 200
        assert f'data-agent="{owner.pk}"' in page.content.decode()
        export = client.get(reverse("team_service:export"))
        assert export["Content-Type"].startswith("application/vnd.openxmlformats")
        drill = client.get(reverse("team_service:agent", args=[owner.pk]))
    body = drill.content.decode()
    c1, _c2 = history
    assert 'data-panel="discipline_small_clients"' in body
    assert c1.mobile and str(c1.mobile) not in body  # phones masked


def test_team_page_query_count_does_not_grow_with_agents(
    client, manager, team, django_assert_max_num_queries
):
    for n in range(6):
        agent = UserFactory(username=f"a{n}", team=team)
        InteractionFactory(client=ClientFactory(owner=agent), date=datetime.date(2026, 6, 1))
    with travel(TODAY, hour=2):
        service_summary_refresh(TODAY)
    client.force_login(manager)
    with travel(TODAY), django_assert_max_num_queries(25):
        assert client.get(reverse("team_service:overview")).status_code == 200


def test_scoping_of_team_pages(client, owner, outsider):
    other_manager = UserFactory(username="m2", role=User.Role.MANAGER)
    TeamFactory(name="广州三部", manager=other_manager)
    client.force_login(other_manager)
    assert client.get(reverse("team_service:agent", args=[owner.pk])).status_code == 404
    assert client.get(reverse("team_service:overview"), {"team": owner.team_id}).status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("team_service:lapse")).status_code == 403


# --- the agent's pitfalls ----------------------------------------------------------------------


def test_whole_days_with_one_client(owner):
    c = ClientFactory(owner=owner)
    monday = datetime.date(2026, 6, 1)
    for n in range(own.WHOLE_DAY_CONTACTS + 1):
        InteractionFactory(client=c, date=monday + datetime.timedelta(days=n % 5))
    other = ClientFactory(owner=owner)
    for _n in range(own.WHOLE_DAY_CONTACTS):  # at the threshold: not flagged
        InteractionFactory(client=other, date=monday)
    total, rows = own.whole_days(agent=owner, start=monday, end=TODAY)
    assert total == 1
    assert (rows[0].client_id, rows[0].week, rows[0].contacts) == (c.pk, monday, 4)


def test_a_broken_streak_is_pointed_out(owner):
    c = ClientFactory(owner=owner)
    this_monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    for back in (2, 3, 4, 5):  # four weeks with touches, then last week none
        day = this_monday - datetime.timedelta(weeks=back)
        t = TouchFactory(client=c, source=f"w:{back}")
        Touch.objects.filter(pk=t.pk).update(status="done", closed_at=at(day))
    weekly = own.weekly_touches(agent=owner, today=TODAY)
    assert weekly.broken and weekly.broken_after == 4 and weekly.streak == 0
    t = TouchFactory(client=c, source="w:1")
    Touch.objects.filter(pk=t.pk).update(
        status="done", closed_at=at(this_monday - datetime.timedelta(weeks=1))
    )
    weekly = own.weekly_touches(agent=owner, today=TODAY)
    assert not weekly.broken and weekly.streak == 5


def test_small_clients_below_the_floor(owner):
    # Clients count from the day they were entered: enter them before the period's end.
    with travel(TODAY):
        small = ClientFactory(owner=owner, stage="client")
        PolicyFactory(holder=small, premium=Decimal("2000"))
        big = ClientFactory(owner=owner, stage="client")
        PolicyFactory(holder=big, premium=Decimal("60000"))
        for n in range(3):
            InteractionFactory(client=big, date=TODAY - datetime.timedelta(days=30 * n))
        InteractionFactory(client=small, date=TODAY - datetime.timedelta(days=40))
    result = own.small_clients(agent=owner, end=TODAY)
    bands = {b.key: b for b in result.bands}
    assert (bands["small"].clients, bands["small"].contacts, bands["small"].below_floor) == (
        1,
        1,
        1,
    )
    assert (bands["top"].clients, bands["top"].per_client) == (1, 3.0)
    assert [row[0] for row in result.below] == [small.pk]


def test_service_page_renders_figures_and_panels(client, owner, history):
    client.force_login(owner)
    with travel(TODAY):
        page = client.get(reverse("discipline:service"))
    body = page.content.decode()
    assert page.status_code == 200
    for key in ("discipline_weekly", "discipline_small_clients", "discipline_whole_days"):
        assert f'data-panel="{key}"' in body


def test_a_lapsed_rows_days_are_the_days_left_to_reinstate(client, owner):
    """Past grace, the days left are those of the 2-year reinstatement period, and the row
    says so (a bare "711 天" beside a lapsed policy reads like a deadline already missed)."""
    risky(owner, premium="9000", next_due=TODAY + datetime.timedelta(days=10))
    risky(
        owner,
        premium="10000",
        next_due=TODAY - datetime.timedelta(days=100),
        status=Policy.Status.LAPSED,
    )
    client.force_login(owner)
    with travel(TODAY):
        page = client.get(reverse("discipline:lapse"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert html.count("还可复效") == 1  # the lapsed row only
    assert "10 天" in html  # the row due soon keeps its plain count
