"""Riders count in the client's coverage summary (issue 18: a medical rider on a life
policy still showed "no medical cover"). A rider has its own cover type, read from its name
when the agent leaves it empty; expired riders and riders of inactive policies or of
someone else's life do not count; the summary stays one query."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from policies import selectors, services
from policies.models import Policy, Rider
from policies.models.schedule import rider_type_from_name

from .factories import ClientFactory
from .policy_factories import PolicyFactory, RiderFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 5)
NO_MEDICAL = "No medical cover: hospital bills are paid out of pocket."


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("附加住院医疗保险", "medical"),
        ("附加门诊津贴", "medical"),
        ("附加重大疾病保险", "critical_illness"),
        ("附加轻症豁免", "other"),  # a premium waiver pays no benefit to the insured
        ("附加意外伤害", "accident"),
        ("附加定期寿险", "life"),
        ("附加险A", "other"),
    ],
)
def test_the_cover_type_is_read_from_the_name(name, kind):
    assert rider_type_from_name(name) == kind


def test_the_old_riders_are_typed_by_the_migration():
    migration = importlib.import_module("policies.migrations.0009_rider_cover_type")
    for name in ("附加住院医疗", "附加重疾", "附加意外", "投保人豁免", "附加险A"):
        assert migration.type_from_name(name) == rider_type_from_name(name)


def summary(client):
    with translation.override("en"):
        return selectors.coverage_summary(client=client, today=TODAY)


def test_a_medical_rider_is_medical_cover(client_obj):
    life = PolicyFactory(holder=client_obj, policy_type=Policy.Type.LIFE)
    before = summary(client_obj)
    assert NO_MEDICAL in before.gaps
    RiderFactory(
        policy=life,
        name="附加住院医疗",
        sum_assured=Decimal("20000"),
        premium=Decimal("600"),
        start_date=date(2026, 3, 15),
        expiry_date=date(2027, 3, 14),
    )
    after = summary(client_obj)
    lines = {line.policy_type: line for line in after.lines}
    assert NO_MEDICAL not in after.gaps
    assert (lines["medical"].count, lines["medical"].riders) == (1, 1)
    assert lines["medical"].sum_assured == {"CNY": Decimal("20000")}
    assert (lines["life"].count, lines["life"].riders) == (1, 0)


def test_riders_that_give_no_cover_now_are_left_out(owner, client_obj):
    spouse = ClientFactory(owner=owner)
    live = PolicyFactory(holder=client_obj)
    lapsed = PolicyFactory(holder=client_obj, status=Policy.Status.LAPSED)
    on_spouse = PolicyFactory(holder=client_obj, insured_client=spouse)
    RiderFactory(policy=live, name="附加医疗", expiry_date=date(2026, 12, 4))  # expired
    RiderFactory(policy=lapsed, name="附加医疗", expiry_date=date(2027, 3, 14))
    RiderFactory(policy=on_spouse, name="附加医疗", expiry_date=date(2027, 3, 14))
    assert NO_MEDICAL in summary(client_obj).gaps
    assert NO_MEDICAL not in summary(spouse).gaps  # the spouse is covered by it


def test_amounts_add_up_per_currency_across_policies_and_riders(client_obj):
    PolicyFactory(holder=client_obj, policy_type="medical", sum_assured=Decimal("1000000"))
    usd = PolicyFactory(holder=client_obj, currency="USD")
    main = PolicyFactory(holder=client_obj)
    RiderFactory(policy=main, name="附加医疗", sum_assured=Decimal("20000"))
    RiderFactory(policy=usd, name="附加医疗", sum_assured=Decimal("5000"))
    for rider in Rider.objects.all():
        rider.expiry_date = date(2027, 3, 14)
        rider.save()
    line = {line.policy_type: line for line in summary(client_obj).lines}["medical"]
    assert (line.count, line.riders) == (3, 2)
    assert line.sum_assured == {"CNY": Decimal("1020000"), "USD": Decimal("5000")}


def test_the_summary_with_riders_is_still_one_query(client_obj, django_assert_num_queries):
    for kind in ("life", "critical_illness", "accident"):
        policy = PolicyFactory(holder=client_obj, policy_type=kind)
        RiderFactory(policy=policy, name="附加医疗", expiry_date=date(2027, 1, 1))
    with django_assert_num_queries(1):
        assert summary(client_obj).gaps == []


def test_the_policy_service_types_riders_left_empty(owner, client_obj):
    policy = PolicyFactory(holder=client_obj)
    riders = [
        Rider(
            name="附加重疾",
            sum_assured=Decimal("100000"),
            premium=Decimal("900"),
            start_date=date(2026, 1, 1),
            expiry_date=date(2027, 1, 1),
        ),
        Rider(
            name="附加险A",
            policy_type=Policy.Type.ACCIDENT,  # the agent's choice wins over the name
            sum_assured=Decimal("100000"),
            premium=Decimal("90"),
            start_date=date(2026, 1, 1),
            expiry_date=date(2027, 1, 1),
        ),
    ]
    services.policy_update(policy=policy, riders=riders)
    assert dict(policy.riders.values_list("name", "policy_type")) == {
        "附加重疾": "critical_illness",
        "附加险A": "accident",
    }


def test_the_client_page_shows_the_rider_in_the_summary(as_user, owner, client_obj):
    policy = PolicyFactory(holder=client_obj)
    RiderFactory(policy=policy, name="附加住院医疗", expiry_date=date(2099, 1, 1))
    page = as_user(owner).get(reverse("clients:detail", kwargs={"pk": client_obj.pk}))
    html = page.content.decode()
    assert "含附加险 1 份" in html
    assert "没有医疗险" not in html
