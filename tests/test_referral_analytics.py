"""The agent's referral analytics: the chain under a client (/clients/<id>/referrals/), the
influence centres (/referrals/influence/) and conversion by source (/referrals/sources/),
against hand-computed fixtures; scoping and fixed query counts."""

import datetime
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from policies.models import Policy
from referrals.models import Referral, Stage
from referrals.selectors import analytics

from .factories import ClientFactory
from .policy_factories import PolicyFactory
from .referral_factories import ReferralFactory

TODAY = date(2026, 6, 30)
SHANGHAI = datetime.timezone(timedelta(hours=8))
F = Policy.Frequency
S = Policy.Status


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 12, tzinfo=SHANGHAI), tick=False):
        yield


def refer(referrer, *, level=1, stage=Stage.NEW, given_on=date(2026, 3, 1), **kwargs):
    return ReferralFactory(
        referrer=referrer, depth=level, stage=stage, given_on=given_on, **kwargs
    ).referred


def line(root, length, **kwargs) -> list[Client]:
    """root → p1 → p2 → … → p<length>; returns [p1, …]."""
    people, above = [], root
    for level in range(1, length + 1):
        above = refer(above, level=level, **kwargs)
        people.append(above)
    return people


def chain_url(client) -> str:
    return reverse("client_referrals:chain", kwargs={"pk": client.pk})


# --- The chain ----------------------------------------------------------------------------------


@pytest.fixture
def deep(owner, client_obj):
    """王芳 refers a line of 10 and one more person directly; policies on three of them."""
    people = line(client_obj, 10)
    extra = refer(client_obj, stage=Stage.WON, given_on=date(2026, 4, 1), closed_at=timezone.now())
    Referral.objects.filter(referred=people[2]).update(stage=Stage.WON, closed_at=timezone.now())
    Referral.objects.filter(referred=people[4]).update(stage=Stage.LOST)
    # Level 3: monthly 1,000 → 12,000; quarterly 2,500 → 10,000.
    PolicyFactory(holder=people[2], premium=Decimal("1000"), payment_frequency=F.MONTHLY)
    PolicyFactory(holder=people[2], premium=Decimal("2500"), payment_frequency=F.QUARTERLY)
    # Level 10: semi-annual 3,000 → 6,000; single 50,000 → 50,000; matured 1,000 → 1,000;
    # pending, lapsed and surrendered are not won.
    last = people[9]
    PolicyFactory(holder=last, premium=Decimal("3000"), payment_frequency=F.SEMI_ANNUAL)
    PolicyFactory(holder=last, premium=Decimal("50000"), payment_frequency=F.SINGLE)
    PolicyFactory(holder=last, premium=Decimal("1000"), status=S.MATURED)
    PolicyFactory(holder=last, premium=Decimal("7777"), status=S.PENDING)
    PolicyFactory(holder=last, premium=Decimal("8888"), status=S.LAPSED)
    PolicyFactory(holder=last, premium=Decimal("9999"), status=S.SURRENDERED)
    # Level 1 (extra): in grace, annual 4,321.50.
    PolicyFactory(holder=extra, premium=Decimal("4321.50"), status=S.GRACE)
    # The root's own policy is not "through the chain".
    PolicyFactory(holder=client_obj, premium=Decimal("100000"))
    return people, extra


def test_chain_of_depth_ten_shows_every_level_and_the_totals(as_user, owner, client_obj, deep):
    people, extra = deep
    response = as_user(owner).get(chain_url(client_obj))
    assert response.status_code == 200
    chain = response.context["chain"]
    assert chain.people == 11
    assert chain.direct == 2
    assert chain.deepest == 10
    assert chain.won == 2
    assert chain.policies == 2 + 3 + 1
    assert chain.premium == Decimal("12000") + Decimal("10000") + Decimal("57000") + Decimal(
        "4321.50"
    )
    assert {s.stage: s.count for s in chain.by_stage} == {
        "new": 8,
        "contacted": 0,
        "met": 0,
        "proposal": 0,
        "won": 2,
        "lost": 1,
    }
    # Tree order: the line first (given earlier), each one level deeper, then the extra person.
    assert [n.client_id for n in chain.nodes] == [p.pk for p in people] + [extra.pk]
    assert [n.level for n in chain.nodes] == [*range(1, 11), 1]
    assert [n.below for n in chain.nodes] == [*range(9, -1, -1), 0]
    premium = {n.client_id: n.premium for n in chain.nodes}
    assert premium[people[2].pk] == Decimal("22000.00")
    assert premium[people[9].pk] == Decimal("57000.00")
    assert premium[extra.pk] == Decimal("4321.50")
    assert premium[people[0].pk] == Decimal("0.00")
    html = response.content.decode()
    for level in range(1, 11):
        assert f'data-level="{level}"' in html
    for person in [*people, extra]:
        assert reverse("clients:detail", kwargs={"pk": person.pk}) in html
        assert reverse("referrals:detail", kwargs={"pk": person.referral.pk}) in html
    assert not chain.truncated


def test_chain_shows_the_ancestor_path(as_user, owner, client_obj):
    people = line(client_obj, 4)
    response = as_user(owner).get(chain_url(people[2]))
    chain = response.context["chain"]
    assert [a.client_id for a in chain.ancestors] == [client_obj.pk, people[0].pk, people[1].pk]
    assert chain.own_referral.referral_id == people[2].referral.pk
    assert [n.client_id for n in chain.nodes] == [people[3].pk]
    html = response.content.decode()
    assert chain_url(client_obj) in html
    assert reverse("referrals:detail", kwargs={"pk": people[2].referral.pk}) in html


def test_chain_without_referrals_says_so(as_user, owner, client_obj):
    response = as_user(owner).get(chain_url(client_obj))
    assert response.status_code == 200
    assert response.context["chain"].people == 0
    assert 'id="chain-empty"' in response.content.decode()


def test_another_agents_client_chain_is_404(as_user, owner, outsider, teammate, client_obj):
    line(client_obj, 2)
    assert as_user(outsider).get(chain_url(client_obj)).status_code == 404
    assert as_user(teammate).get(chain_url(client_obj)).status_code == 404


def test_chain_rendering_is_limited_but_totals_cover_everyone(owner, client_obj):
    line(client_obj, 6)
    chain = analytics.client_chain(user=owner, client=client_obj, limit=4)
    assert chain.people == 6 and len(chain.nodes) == 4 and chain.truncated


def test_chain_page_query_count_does_not_grow(as_user, owner):
    def count_for(size: int) -> int:
        root = ClientFactory(owner=owner)
        people = line(root, size // 5)
        for person in people:  # fan-out: four more under each person of the line
            for _ in range(4):
                refer(person)
        for person in people[::2]:
            PolicyFactory(holder=person)
        http = as_user(owner)
        http.get(chain_url(root))  # the first request after login also touches the session
        with CaptureQueriesContext(connection) as queries:
            response = http.get(chain_url(root))
        assert response.context["chain"].people == size
        return len(queries)

    assert count_for(5) == count_for(50)


def test_annualised_premium(owner, client_obj):
    # The rule once had a Python twin that nothing but this test called; it is now checked
    # where it lives, in the SQL that sums the premium won.
    monthly, single = refer(client_obj), refer(client_obj)
    PolicyFactory(holder=monthly, premium=Decimal("100"), payment_frequency=F.MONTHLY)
    PolicyFactory(holder=single, premium=Decimal("100"), payment_frequency=F.SINGLE)
    chain = analytics.client_chain(user=owner, client=client_obj)
    premium = {node.client_id: node.premium for node in chain.nodes}
    assert premium[monthly.pk] == 1200
    assert premium[single.pk] == 100


# --- Influence centres -------------------------------------------------------------------------


@pytest.fixture
def book(owner):
    """A → B, C; B → D, E; D → F.  G → H, I, J.  K → L.  M marked, referred no one.
    F holds monthly 1,000 (12,000 a year); H holds annual 10,000; C holds a lapsed policy."""
    n = {name: ClientFactory(owner=owner, name=name) for name in "AGKM"}
    n["M"].is_influence_centre = True
    n["M"].save()

    def named(referrer, name, **kwargs):
        n[name] = refer(referrer, referred__name=name, **kwargs)

    named(n["A"], "B", given_on=date(2025, 1, 10))
    named(n["A"], "C", given_on=date(2026, 2, 1))
    named(n["B"], "D", level=2, given_on=date(2026, 2, 1))
    named(n["B"], "E", level=2, given_on=date(2026, 2, 1))
    named(n["D"], "F", level=3, given_on=date(2026, 3, 1))
    for name in "HIJ":
        named(n["G"], name, given_on=date(2025, 6, 1))
    named(n["K"], "L", given_on=date(2026, 5, 1))
    PolicyFactory(
        holder=n["F"],
        premium=Decimal("1000"),
        payment_frequency=F.MONTHLY,
        effective_date=date(2026, 4, 1),
    )
    PolicyFactory(holder=n["H"], premium=Decimal("10000"), effective_date=date(2025, 7, 1))
    PolicyFactory(holder=n["C"], premium=Decimal("99999"), status=S.LAPSED)
    return n


def names(rows):
    return [r.name for r in rows]


def test_influence_ranking_against_the_fixture(owner, outsider, book):
    # Another agent's referrals never count.
    line(ClientFactory(owner=outsider, name="X"), 4)
    rows = analytics.influence_centres(user=owner)
    by_name = {r.name: r for r in rows}
    assert names(rows)[:6] == ["A", "B", "G", "D", "K", "M"]
    assert (by_name["A"].people, by_name["A"].direct) == (5, 2)
    assert (by_name["B"].people, by_name["B"].direct) == (3, 2)
    assert (by_name["G"].people, by_name["G"].direct) == (3, 3)
    assert (by_name["A"].policies, by_name["A"].premium) == (1, Decimal("12000.00"))
    assert (by_name["G"].policies, by_name["G"].premium) == (1, Decimal("10000.00"))
    assert by_name["A"].deepest == 3
    assert (by_name["M"].people, by_name["M"].premium) == (0, Decimal("0.00"))
    assert "X" not in by_name
    # Top five with at least two people (A, B, G), and the marked M.
    assert {r.name for r in rows if r.candidate} == {"A", "B", "G", "M"}
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))


def test_influence_ranking_by_premium(owner, book):
    rows = analytics.influence_centres(user=owner, sort="premium")
    assert names(rows)[:6] == ["A", "B", "D", "G", "K", "M"]


def test_influence_period_counts_people_given_and_policies_effective_in_it(owner, book):
    rows = analytics.influence_centres(user=owner, start=date(2026, 1, 1), end=date(2026, 6, 30))
    by_name = {r.name: r for r in rows}
    # A: C, D, E, F given in 2026 (B in 2025); F's policy took effect in April.
    assert (by_name["A"].people, by_name["A"].direct) == (4, 1)
    assert by_name["A"].premium == Decimal("12000.00")
    # G's people and H's policy are all from 2025: G drops out; M stays (marked).
    assert "G" not in by_name
    assert "M" in by_name
    assert names(rows)[:2] == ["A", "B"]


def test_influence_candidates_stop_at_five_and_skip_archived(owner):
    roots = [ClientFactory(owner=owner, name=f"R{i}") for i in range(7)]
    for i, root in enumerate(roots):
        for _ in range(2 + i):
            refer(root)
    roots[6].archived_at = timezone.now()
    roots[6].save()
    rows = analytics.influence_centres(user=owner)
    assert names(rows)[:7] == [f"R{i}" for i in range(6, -1, -1)]
    assert {r.name for r in rows if r.candidate} == {"R5", "R4", "R3", "R2", "R1"}


def test_influence_page(as_user, owner, book, django_assert_max_num_queries):
    http = as_user(owner)
    http.get(reverse("referrals:influence"))  # the first request after login touches the session
    with django_assert_max_num_queries(4):
        response = http.get(reverse("referrals:influence"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-candidate") == 4
    response = http.get(reverse("referrals:influence"), {"sort": "premium", "preset": "12m"})
    assert response.status_code == 200
    assert response.context["sort"] == "premium"
    assert response.context["start"] == date(2025, 7, 1)


# --- Conversion by source ----------------------------------------------------------------------


def recorded(owner, source: str, on: date, *, hour: int = 12, name: str = "") -> Client:
    client = ClientFactory(owner=owner, source=source, name=name or f"{source}-{on}")
    at = datetime.datetime.combine(on, datetime.time(hour), tzinfo=SHANGHAI)
    Client.objects.filter(pk=client.pk).update(created_at=at)
    return client


@pytest.fixture
def prospects(owner, outsider):
    R, C, W = Client.Source.REFERRAL, Client.Source.COLD_CALL, Client.Source.WARM_CIRCLE
    # Referral: 5 in the period, 2 converted: applied 10 days after; effective 30 days after
    # (no application date) → 40%, 20 days on average.
    r1 = recorded(owner, R, date(2026, 1, 5))
    PolicyFactory(holder=r1, application_date=date(2026, 1, 15), effective_date=date(2026, 2, 1))
    # A later second policy does not move the first one.
    PolicyFactory(holder=r1, application_date=date(2026, 5, 1), effective_date=date(2026, 5, 9))
    r2 = recorded(owner, R, date(2026, 2, 1))
    PolicyFactory(holder=r2, application_date=None, effective_date=date(2026, 3, 3))
    for day in (1, 2, 3):
        recorded(owner, R, date(2026, 4, day))
    # Cold call: 4 in the period (one at 00:30 on the first day), 1 converted in 7 days → 25%.
    c1 = recorded(owner, C, date(2025, 7, 1), hour=0)
    PolicyFactory(holder=c1, application_date=date(2025, 7, 8), effective_date=date(2025, 8, 1))
    for day in (2, 3, 4):
        recorded(owner, C, date(2025, 9, day))
    # Outside the default period (the 12 months up to 30 June 2026): 23:30 on 30 June 2025.
    old = recorded(owner, C, date(2025, 6, 30), hour=23)
    PolicyFactory(holder=old, application_date=date(2025, 7, 2), effective_date=date(2025, 7, 9))
    # Warm circle: recorded after their first policy (an import): never a prospect here.
    w1 = recorded(owner, W, date(2026, 3, 1))
    PolicyFactory(holder=w1, application_date=date(2025, 1, 1), effective_date=date(2025, 2, 1))
    # Event: a policy sold by another agent (managed here) is no sale; recorded, not converted.
    e1 = recorded(owner, Client.Source.EVENT, date(2026, 2, 1))
    PolicyFactory(
        holder=e1,
        application_date=date(2026, 2, 10),
        effective_date=date(2026, 3, 1),
        sold_by_others=True,
    )
    # Another agent's prospects never count.
    x = recorded(outsider, R, date(2026, 1, 5))
    PolicyFactory(holder=x, application_date=date(2026, 1, 6), effective_date=date(2026, 1, 7))


def test_source_figures_against_the_fixture(owner, prospects):
    figures = analytics.source_analytics(user=owner, start=date(2025, 7, 1), end=TODAY)
    referral = figures.row("referral")
    assert (referral.prospects, referral.converted) == (5, 2)
    assert referral.rate == 40.0 and referral.avg_days == pytest.approx(20)
    assert referral.deck_rate == 40
    cold = figures.row("cold_call")
    assert (cold.prospects, cold.converted, cold.rate) == (4, 1, 25.0)
    assert cold.avg_days == pytest.approx(7)
    assert cold.deck_rate == 11
    warm = figures.row("warm_circle")
    assert (warm.prospects, warm.converted, warm.rate, warm.avg_days) == (0, 0, None, None)
    event = figures.row("event")
    assert (event.prospects, event.converted, event.rate, event.avg_days) == (1, 0, 0.0, None)
    total = figures.total
    assert (total.prospects, total.converted) == (10, 3)
    assert total.avg_days == pytest.approx((10 + 30 + 7) / 3)


def test_source_period_bounds_are_local_days(owner, prospects):
    figures = analytics.source_analytics(user=owner, start=date(2025, 6, 30), end=date(2025, 7, 1))
    assert figures.row("cold_call").prospects == 2
    figures = analytics.source_analytics(user=owner, start=None, end=date(2025, 6, 30))
    assert figures.row("cold_call").prospects == 1
    assert figures.row("referral").prospects == 0


def test_source_page_default_period_and_presets(as_user, owner, prospects):
    http = as_user(owner)
    response = http.get(reverse("referrals:sources"))
    assert response.status_code == 200
    assert response.context["preset"] == "12m"
    figures = response.context["figures"]
    assert (figures.start, figures.end) == (date(2025, 7, 1), TODAY)
    assert figures.row("cold_call").prospects == 4
    html = response.content.decode()
    assert 'id="source-chart-data"' in html
    assert "vendor/chartjs-4.6.1/chart.umd.min.js" in html
    assert response.context["chart"]["rates"][0] == 40.0

    response = http.get(reverse("referrals:sources"), {"preset": "last_year"})
    figures = response.context["figures"]
    assert (figures.start, figures.end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert figures.row("cold_call").prospects == 5
    assert figures.row("referral").prospects == 0

    response = http.get(reverse("referrals:sources"), {"start": "2026-01-01", "end": "2026-03-31"})
    assert response.context["preset"] == "custom"
    figures = response.context["figures"]
    assert figures.row("referral").prospects == 2
    # The imported client (recorded after their policy) was never a prospect; the event
    # contact whose only policy another agent sold is one, not converted.
    assert figures.row("warm_circle").prospects == 0
    assert (figures.row("event").prospects, figures.row("event").converted) == (1, 0)


def test_source_page_with_the_period_backwards_falls_back(as_user, owner, prospects):
    response = as_user(owner).get(
        reverse("referrals:sources"), {"start": "2026-03-31", "end": "2026-01-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["preset"] == "12m"


def test_source_page_query_count(as_user, owner, prospects, django_assert_max_num_queries):
    http = as_user(owner)
    http.get(reverse("referrals:sources"))  # the first request after login also touches the session
    with django_assert_max_num_queries(4):
        assert http.get(reverse("referrals:sources")).status_code == 200


@pytest.mark.parametrize(
    "period", [(None, None), (date(2025, 9, 1), None), (date(2025, 3, 1), date(2026, 2, 28))]
)
def test_influence_figures_in_one_pass_equal_the_pairs_walk(owner, outsider, period):
    """The linear ranking equals every (root, person below) pair summed, on a random forest
    with people given over two years, won and lost policies, another agent's referrals below
    one of ours and a marked client with nobody below."""
    import random

    rng = random.Random(5)
    people = [ClientFactory(owner=owner, name=f"人{i:02d}") for i in range(6)]
    for _ in range(60):
        referrer = rng.choice(people)
        given = date(2025, 1, 1) + timedelta(days=rng.randrange(700))
        person = refer(referrer, given_on=given)
        people.append(person)
        if rng.random() < 0.4:
            PolicyFactory(
                holder=person,
                premium=Decimal(rng.randrange(1000, 20000)),
                effective_date=given + timedelta(days=rng.randrange(90)),
                status=rng.choice([Policy.Status.IN_FORCE, Policy.Status.LAPSED]),
            )
    # Someone of ours refers for another agent (a referral of theirs below our chain).
    ReferralFactory(referrer=people[20], owner=outsider, given_on=date(2026, 1, 5))
    ClientFactory(owner=owner, name="标记", is_influence_centre=True)
    start, end = period
    linear = analytics._influence_figures(owner_id=owner.pk, start=start, end=end)
    pairs = analytics._influence_figures_by_pairs(owner_id=owner.pk, start=start, end=end)
    assert linear is not None

    def normal(rows):
        return sorted(
            (*row[:5], int(row[5]), int(row[6]), int(row[7]), analytics._money(row[8]), row[9])
            for row in rows
        )

    assert normal(linear) == normal(pairs)
    assert any(row[5] > 3 for row in linear)  # chains of some size were compared


def test_influence_ranking_of_a_long_line_is_linear(owner, django_assert_max_num_queries):
    root = ClientFactory(owner=owner, name="线头")
    line(root, 300)
    with django_assert_max_num_queries(1):
        rows = analytics.influence_centres(user=owner)
    by_name = {r.name: r for r in rows}
    assert by_name["线头"].people == 300 and by_name["线头"].deepest == 300


def test_influence_ranking_survives_a_corrupt_cycle(owner):
    """A cycle cannot be stored through the services; written directly, the ranking still
    answers (the bounded walk), as before."""
    a = ClientFactory(owner=owner, name="甲")
    b = refer(a)
    ReferralFactory(referrer=b, referred=a)
    assert analytics._influence_figures(owner_id=owner.pk, start=None, end=None) is None
    rows = analytics.influence_centres(user=owner)
    assert {r.name for r in rows} == {"甲", b.name}
