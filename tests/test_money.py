"""Money as an agent writes it: ¥2,000,000 in tables and forms, 200万 in summaries, never
"2000000.00 CNY" on a page."""

import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from agentcrm.core.money import money_text
from agentcrm.core.templatetags.display import money
from policies.models import Policy

from .policy_factories import PayoutFactory, PolicyFactory, RiderFactory


@pytest.mark.parametrize(
    "value, spec, expected",
    [
        (Decimal("2000000.00"), "", "¥2,000,000"),
        (Decimal("1234.50"), "", "¥1,234.50"),
        (Decimal("0.00"), "", "¥0"),
        (Decimal("-100"), "", "-¥100"),
        (12000, "CNY", "¥12,000"),
        ("8000.00", "", "¥8,000"),
        (Decimal("500"), "HKD", "HK$500"),
        (Decimal("2500.5"), "USD", "US$2,500.50"),
        # Summaries: round large sums in 万 (or 亿); anything else stays exact.
        (Decimal("2000000.00"), "万", "200万"),
        (Decimal("150000"), "万", "15万"),
        (Decimal("1234500"), "万", "123.45万"),
        (Decimal("12000000"), "万", "1200万"),
        (Decimal("150000000"), "万", "1.5亿"),
        (Decimal("1234567"), "万", "¥1,234,567"),
        (Decimal("8888"), "万", "¥8,888"),
        (Decimal("2000000"), "HKD 万", "200万港元"),
        (Decimal("1000000"), "USD 万", "100万美元"),
        # Nothing to show: blank, so |default:"—" works.
        (None, "", ""),
        ("", "万", ""),
    ],
)
def test_money_filter(value, spec, expected):
    with translation.override("zh-hans"):
        assert money(value, spec) == expected


def test_english_summaries_stay_exact():
    with translation.override("en"):
        assert money_text(Decimal("2000000"), short=True) == "¥2,000,000"


def test_the_filter_in_a_template():
    template = Template('{% load display %}{{ a|money:c }} · {{ a|money:"万" }}')
    with translation.override("zh-hans"):
        assert template.render(Context({"a": Decimal("950000.00"), "c": "CNY"})) == (
            "¥950,000 · 95万"
        )


MACHINE_MONEY = re.compile(r"\d\.00\b|\bCNY\b|\d{5,}\.\d\d")


@pytest.mark.django_db
def test_policy_and_client_pages_show_money_as_written(as_user, owner, client_obj):
    policy = PolicyFactory(
        holder=client_obj, sum_assured=Decimal("2000000.00"), premium=Decimal("12345.60")
    )
    RiderFactory(policy=policy, sum_assured=Decimal("50000.00"), premium=Decimal("190.00"))
    PayoutFactory(policy=policy, amount=Decimal("30000.00"))
    PolicyFactory(holder=client_obj, sum_assured=Decimal("1000000"), currency="HKD")
    http = as_user(owner)
    with translation.override("zh-hans"):
        page = http.get(f"/policies/{policy.pk}/").content.decode()
        assert "¥2,000,000" in page and "¥12,345.60" in page
        assert "¥50,000" in page and "¥190" in page and "¥30,000" in page
        client_page = http.get(f"/clients/{client_obj.pk}/").content.decode()
        assert "200万" in client_page and "100万港元" in client_page  # the policies panel
        listing = http.get("/policies/").content.decode()
        assert "¥12,345.60" in listing
    for body in (page, client_page, listing):
        visible = re.sub(r"<(input|option|script)[^>]*>", "", body)
        assert not MACHINE_MONEY.search(visible), MACHINE_MONEY.search(visible)
    assert Policy.objects.filter(holder=client_obj).count() == 2
