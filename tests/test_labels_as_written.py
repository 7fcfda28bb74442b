"""Labels an agent would write: a rider's name is the rider product's (附加险名称), not a
person's (姓名); a coverage term reads "to age 80", not "To age 80"; a client never asked for
referrals was "not asked yet", not "never contacted"."""

import pytest
from django.utils import translation

from policies.forms.schedule import RiderForm
from policies.models import Insurer, Policy, Rider

from .policy_factories import PolicyFactory

pytestmark = pytest.mark.django_db


def test_the_rider_name_is_the_rider_products():
    with translation.override("en"):
        assert RiderForm().fields["name"].label == "Rider name"
        assert str(Rider._meta.get_field("name").verbose_name) == "rider name"
    with translation.override("zh-hans"):
        assert RiderForm().fields["name"].label != "姓名"
        assert str(Insurer._meta.get_field("name").verbose_name) != "姓名"


@pytest.mark.parametrize(
    "kind, value, expected",
    [
        (Policy.Coverage.YEARS, 20, "20 years"),
        (Policy.Coverage.TO_AGE, 80, "To age 80"),
        (Policy.Coverage.WHOLE_LIFE, None, "Whole life"),
    ],
)
def test_the_coverage_term_reads_as_a_phrase(as_user, owner, client_obj, kind, value, expected):
    policy = PolicyFactory(holder=client_obj, coverage_kind=kind, coverage_value=value)
    http = as_user(owner)
    http.cookies["django_language"] = "en"
    body = http.get(f"/policies/{policy.pk}/").content.decode()
    assert f'<dd class="col-7">{expected}</dd>' in body


def test_a_client_never_asked_for_referrals_was_not_asked_yet(as_user, owner, client_obj):
    http = as_user(owner)
    http.cookies["django_language"] = "en"
    body = http.get(f"/clients/{client_obj.pk}/").content.decode()
    assert "Not asked yet" in body
    http.cookies["django_language"] = "zh-hans"
    body = http.get(f"/clients/{client_obj.pk}/").content.decode()
    panel = body.split('id="client-referrals"')[1].split("</section>")[0]
    assert "从未联系" not in panel  # "never contacted", under "last asked"
