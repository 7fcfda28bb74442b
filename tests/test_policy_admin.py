import pytest
from django.urls import reverse

from .policy_factories import BeneficiaryFactory, PayoutFactory, PolicyFactory, RiderFactory

pytestmark = pytest.mark.django_db


def test_policy_admin_lists_searches_and_shows_inlines(as_user, admin_user, client_obj):
    policy = PolicyFactory(holder=client_obj, number="PA-778899")
    RiderFactory(policy=policy)
    BeneficiaryFactory(policy=policy)
    PayoutFactory(policy=policy)
    browser = as_user(admin_user)
    changelist = reverse("admin:policies_policy_changelist")
    assert "PA-778899" in browser.get(changelist, {"q": "王芳"}).content.decode()
    assert "PA-778899" not in browser.get(changelist, {"q": "nobody"}).content.decode()
    assert browser.get(changelist, {"status__exact": "in_force"}).status_code == 200
    page = browser.get(reverse("admin:policies_policy_change", args=[policy.pk]))
    assert page.status_code == 200
    assert "附加住院医疗" in page.content.decode()
