"""Policy pages: scoping for every policies URL, create/edit through the services, the list
filters and query counts, and the policies panel on the client page.

The matrix is checked against the URL resolver, so a new policies URL without an entry
fails `test_every_policy_url_is_in_the_matrix`.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse

from clients.models import Commitment
from policies.models import (
    Beneficiary,
    Payout,
    Policy,
    PolicyStatusChange,
    PremiumPayment,
    Rider,
)
from servicing.models import AnnualReview, Delivery, DeliveryTick

from .edit_forms import versioned
from .factories import ClientFactory, FamilyMemberFactory
from .policy_factories import InsurerFactory, PayoutFactory, PolicyFactory
from .policy_records_factories import AnnualReviewFactory

# name -> (method, the object its URL names: None, "policy", "payout" or "review").
# GET pages answer GET; POST URLs only change data (GET is 405 for their owner).
MATRIX = {
    "list": ("GET", None),
    "create": ("GET", None),
    "people": ("GET", None),
    "detail": ("GET", "policy"),
    "edit": ("GET", "policy"),
    "status_change": ("POST", "policy"),
    "premium_pay": ("POST", "policy"),
    "payout_generate": ("POST", "policy"),
    "payout_add": ("POST", "policy"),
    "payout_edit": ("GET", "payout"),
    "payout_delete": ("POST", "payout"),
    "payout_claim": ("POST", "payout"),
    "delivery": ("GET", "policy"),
    "delivery_tick": ("POST", "policy"),
    "review_create": ("GET", "policy"),
    "review_detail": ("GET", "review"),
    "review_edit": ("GET", "review"),
}
OBJECT_URLS = [name for name, (_, needs) in MATRIX.items() if needs]
GET_URLS = [name for name, (method, _) in MATRIX.items() if method == "GET"]
POST_URLS = [name for name, (method, _) in MATRIX.items() if method == "POST"]


def _follow_ups(prefix="follow_ups") -> dict:
    return {f"{prefix}-TOTAL_FORMS": "3", f"{prefix}-INITIAL_FORMS": "0"}


def post_data(name: str, objects: dict) -> dict:
    """A valid body for each URL that accepts a POST, so that a 404 is due to scoping alone
    and the owner's POST shows the URL really writes."""
    policy = objects["policy"]
    review = {"policies": [policy.pk], "findings": "保障充足", "needs": "", **_follow_ups()}
    return {
        "detail": {"product_name": "改"},
        "edit": {"product_name": "改"},
        "status_change": {"to_status": Policy.Status.PAID_UP, "note": "减额交清"},
        "premium_pay": {"due_date": "2024-03-15", "paid_on": "2024-03-20", "amount": "12000"},
        "payout_generate": {
            "pattern": "every_n_years",
            "every": "3",
            "from_policy_year": "3",
            "amount": "1000",
            "kind": "survival",
        },
        "payout_add": {"date": "2031-03-15", "amount": "500", "kind": "survival"},
        "payout_edit": {"date": "2031-03-16", "amount": "600", "kind": "annuity"},
        "payout_delete": {},
        "payout_claim": {},
        "delivery": {"appointment_at": "2024-04-01T10:00", "place": "星巴克", "notes": "带礼物"},
        "delivery_tick": {"item": "thank_you_sent", "done": "1"},
        "review_create": {"anniversary": "2026-03-15", "held_on": "2025-03-20", **review},
        "review_edit": {"anniversary": "2025-03-15", "held_on": "2025-03-21", **review},
    }.get(name, {})


def policy_url_names() -> set[str]:
    namespaced = get_resolver().namespace_dict["policies"][1]
    return {k for k in namespaced.reverse_dict if isinstance(k, str)}


def url_for(name: str, objects: dict) -> str:
    needs = MATRIX[name][1]
    kwargs = {}
    if needs == "review":
        kwargs["review_pk"] = objects["review"].pk
    elif needs:
        kwargs["pk"] = objects["policy"].pk
    if needs == "payout":
        kwargs["payout_pk"] = objects["payout"].pk
    return reverse(f"policies:{name}", kwargs=kwargs)


@pytest.fixture
def policy(client_obj):
    return PolicyFactory(holder=client_obj, number="P-OWN-1")


@pytest.fixture
def objects(policy):
    payout = PayoutFactory(policy=policy, date=datetime.date(2030, 3, 15))
    review = AnnualReviewFactory(household=policy.holder, policies=[policy])
    return {"policy": policy, "payout": payout, "review": review}


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


def snapshot(objects: dict) -> tuple:
    """Everything the policies URLs can write, to show a refused request wrote nothing."""
    policy = objects["policy"]
    policy.refresh_from_db()
    return (
        (policy.product_name, policy.status),
        Payout.objects.filter(pk=objects["payout"].pk)
        .values_list("date", "amount", "kind", "claimed")
        .first(),
        AnnualReview.objects.filter(pk=objects["review"].pk)
        .values_list("anniversary", "held_on", "findings")
        .first(),
        Payout.objects.count(),
        PremiumPayment.objects.count(),
        PolicyStatusChange.objects.count(),
        Delivery.objects.count(),
        DeliveryTick.objects.count(),
        AnnualReview.objects.count(),
        Commitment.objects.count(),
    )


def test_every_policy_url_is_in_the_matrix():
    assert policy_url_names() == set(MATRIX)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_is_sent_to_login(client, name, objects):
    before = snapshot(objects)
    for response in (
        client.get(url_for(name, objects)),
        client.post(url_for(name, objects), post_data(name, objects)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert snapshot(objects) == before


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager", "admin_user"])
@pytest.mark.parametrize("name", OBJECT_URLS)
def test_someone_elses_policy_is_404(request, as_user, persona, name, objects):
    http = as_user(request.getfixturevalue(persona))
    before = snapshot(objects)
    # A POST-only URL answers GET with 405 to everyone, owner or not, existing pk or not: that
    # says nothing about the object. Every POST is a 404.
    expected_get = 404 if MATRIX[name][0] == "GET" else 405
    assert http.get(url_for(name, objects)).status_code == expected_get
    assert http.post(url_for(name, objects), post_data(name, objects)).status_code == 404
    assert snapshot(objects) == before
    assert objects["policy"].product_name == "福寿终身寿险"


@pytest.mark.django_db
@pytest.mark.parametrize("name", GET_URLS)
def test_owner_is_served(http, name, objects):
    response = http.get(url_for(name, objects))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", POST_URLS)
def test_owner_posts_write_and_go_back(http, name, objects):
    """Each POST URL refuses GET, and the owner's valid POST writes and redirects."""
    assert http.get(url_for(name, objects)).status_code == 405
    before = snapshot(objects)
    response = http.post(url_for(name, objects), post_data(name, objects))
    assert response.status_code == 302, response.content.decode()[:500]
    assert snapshot(objects) != before


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["payout_edit", "delivery", "review_create", "review_edit"])
def test_owner_form_pages_save(http, name, objects):
    """The GET/POST form pages save the owner's valid input and redirect."""
    before = snapshot(objects)
    url = url_for(name, objects)
    data = post_data(name, objects)
    if name != "review_create":  # an edit: with the version the page was opened on
        data = versioned(http, url, data)
    response = http.post(url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    assert snapshot(objects) != before


@pytest.mark.django_db
def test_lists_show_only_own_policies(http, teammate, policy):
    PolicyFactory(holder=ClientFactory(owner=teammate, name="李雷"), number="P-FOREIGN")
    body = http.get(reverse("policies:list")).content.decode()
    assert "P-OWN-1" in body and "P-FOREIGN" not in body


def form_data(holder, insurer, **overrides):
    data = {
        "insurer": insurer.pk,
        "number": "NEW-001",
        "product_name": "康健重疾险",
        "policy_type": Policy.Type.CRITICAL_ILLNESS,
        "holder": holder.pk,
        "insured_client": holder.pk,
        "insured_member": "",
        "sum_assured": "300000",
        "premium": "8000",
        "currency": "CNY",
        "payment_frequency": Policy.Frequency.ANNUAL,
        "payment_term_years": "20",
        "coverage_kind": Policy.Coverage.WHOLE_LIFE,
        "coverage_value": "",
        "application_date": "2025-01-02",
        "effective_date": "2025-01-10",
        "delivery_date": "",
        "receipt_signed_date": "2025-01-20",
        "cooling_off_end": "",
        "status": Policy.Status.IN_FORCE,
        "notes": "",
        "riders-TOTAL_FORMS": "1",
        "riders-INITIAL_FORMS": "0",
        "riders-0-name": "附加住院医疗",
        "riders-0-sum_assured": "20000",
        "riders-0-premium": "600",
        "riders-0-start_date": "2025-01-10",
        "riders-0-expiry_date": "2026-01-09",
        "riders-0-yearly_renewable": "on",
        "beneficiaries-TOTAL_FORMS": "2",
        "beneficiaries-INITIAL_FORMS": "0",
        "beneficiaries-0-name": "王小明",
        "beneficiaries-0-relation": Beneficiary.Relation.CHILD,
        "beneficiaries-0-share": "60",
        "beneficiaries-1-name": "张伟",
        "beneficiaries-1-relation": Beneficiary.Relation.SPOUSE,
        "beneficiaries-1-share": "40",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_create_with_riders_and_beneficiaries(http, owner, client_obj):
    insurer = InsurerFactory()
    response = http.post(reverse("policies:create"), form_data(client_obj, insurer))
    assert response.status_code == 302
    policy = Policy.objects.get(number="NEW-001")
    assert response["Location"] == reverse("policies:detail", kwargs={"pk": policy.pk})
    assert policy.owner == owner and policy.holder == client_obj
    assert policy.cooling_off_end == datetime.date(2025, 2, 4)  # 15 days after the receipt
    assert [r.name for r in policy.riders.all()] == ["附加住院医疗"]
    assert sorted(b.share for b in policy.beneficiaries.all()) == [Decimal(40), Decimal(60)]
    assert policy.status_history.get().to_status == Policy.Status.IN_FORCE
    page = http.get(response["Location"]).content.decode()
    assert "王小明" in page and "附加住院医疗" in page


@pytest.mark.django_db
def test_beneficiaries_not_totalling_100_save_nothing(http, client_obj):
    data = form_data(client_obj, InsurerFactory(), **{"beneficiaries-1-share": "30"})
    response = http.post(reverse("policies:create"), data)
    assert response.status_code == 400
    assert "90%" in response.content.decode()
    assert not Policy.objects.exists()
    assert not Rider.objects.exists() and not Beneficiary.objects.exists()


@pytest.mark.django_db
def test_holder_of_another_agent_is_refused(http, outsider, client_obj):
    foreign = ClientFactory(owner=outsider, name="外人")
    data = form_data(foreign, InsurerFactory(), insured_client=client_obj.pk)
    response = http.post(reverse("policies:create"), data)
    assert response.status_code == 400
    assert not Policy.objects.exists()
    # Not offered: looked up by name, since an insurer's option may have the same id.
    assert "外人" not in http.get(reverse("policies:create")).content.decode()


@pytest.mark.django_db
def test_foreign_family_member_is_not_offered(http, outsider, client_obj):
    own = FamilyMemberFactory(client=client_obj, name="王小明")
    foreign = FamilyMemberFactory(client=ClientFactory(owner=outsider), name="外人孩子")
    # The insured member's list is the holder's family (issue 18: test_policy_pickers).
    body = http.get(reverse("policies:create") + f"?holder={client_obj.pk}").content.decode()
    assert f'<option value="{own.pk}"' in body
    assert f'<option value="{foreign.pk}"' not in body


@pytest.mark.django_db
def test_insured_member_of_another_holder_maps_to_the_field(http, owner, client_obj):
    other_family = FamilyMemberFactory(client=ClientFactory(owner=owner, name="李四"))
    data = form_data(
        client_obj, InsurerFactory(), insured_client="", insured_member=other_family.pk
    )
    response = http.post(reverse("policies:create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["insured_member"]
    assert not Policy.objects.exists()


@pytest.mark.django_db
def test_create_preselects_holder(http, client_obj, outsider):
    body = http.get(reverse("policies:create") + f"?holder={client_obj.pk}").content.decode()
    assert f'<option value="{client_obj.pk}" selected' in body
    foreign = ClientFactory(owner=outsider, name="外人")
    response = http.get(reverse("policies:create") + f"?holder={foreign.pk}")
    assert response.status_code == 200 and "外人" not in response.content.decode()


@pytest.mark.django_db
def test_edit_replaces_rows_and_keeps_status(http, policy):
    data = form_data(
        policy.holder,
        policy.insurer,
        number=policy.number,
        status=Policy.Status.SURRENDERED,  # not a field on edit: ignored
        **{"beneficiaries-TOTAL_FORMS": "1", "beneficiaries-0-share": "100"},
    )
    url = reverse("policies:edit", kwargs={"pk": policy.pk})
    response = http.post(url, versioned(http, url, data))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.product_name == "康健重疾险"
    assert policy.status == Policy.Status.IN_FORCE
    assert [b.share for b in policy.beneficiaries.all()] == [Decimal(100)]


@pytest.mark.django_db
def test_duplicate_number_answers_400(http, client_obj, policy):
    data = form_data(client_obj, policy.insurer, number=policy.number)
    response = http.post(reverse("policies:create"), data)
    assert response.status_code == 400
    assert Policy.objects.count() == 1


@pytest.mark.django_db
def test_list_filters(http, client_obj):
    ping = InsurerFactory(name="平安")
    PolicyFactory(
        holder=client_obj,
        number="A-1",
        insurer=ping,
        policy_type=Policy.Type.MEDICAL,
        effective_date=datetime.date(2020, 2, 29),
    )
    PolicyFactory(holder=client_obj, number="B-2", status=Policy.Status.LAPSED)
    PolicyFactory(holder=ClientFactory(owner=client_obj.owner, name="赵六"), number="C-3")

    def numbers(**params):
        response = http.get(reverse("policies:list"), params)
        assert response.status_code == 200
        return {p.number for p in response.context["page"].object_list}

    assert numbers() == {"A-1", "B-2", "C-3"}
    assert numbers(status="lapsed") == {"B-2"}
    assert numbers(policy_type="medical") == {"A-1"}
    assert numbers(insurer=ping.pk) == {"A-1"}
    assert numbers(anniversary_month=2) == {"A-1"}
    assert numbers(anniversary_month=3) == {"B-2", "C-3"}
    assert numbers(q="赵六") == {"C-3"}
    assert numbers(q="b-2") == {"B-2"}
    assert numbers(status="nonsense") == {"A-1", "B-2", "C-3"}


@pytest.mark.django_db
def test_list_paginates(http, client_obj):
    for i in range(30):
        PolicyFactory(holder=client_obj, number=f"N{i:03d}")
    assert len(http.get(reverse("policies:list")).context["page"].object_list) == 25
    assert len(http.get(reverse("policies:list"), {"page": 2}).context["page"].object_list) == 5


@pytest.mark.django_db
def test_list_query_count_is_fixed(http, client_obj):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(reverse("policies:list")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        PolicyFactory(holder=client_obj, number=f"S{i}", insurer=InsurerFactory(name=f"公司{i}"))
    few = count()
    family = FamilyMemberFactory(client=client_obj)
    for i in range(17):
        if i % 2:
            PolicyFactory(
                holder=client_obj,
                number=f"M{i}",
                insurer=InsurerFactory(name=f"公司M{i}"),
                insured_client=None,
                insured_member=family,
            )
        else:
            PolicyFactory(holder=ClientFactory(owner=client_obj.owner), number=f"M{i}")
    assert count() == few


@pytest.mark.django_db
def test_detail_query_count_is_fixed(http, policy, django_assert_max_num_queries):
    from .policy_factories import BeneficiaryFactory, PayoutFactory, RiderFactory

    for i in range(5):
        RiderFactory(policy=policy, name=f"附加{i}")
        PayoutFactory(policy=policy, date=datetime.date(2030 + i, 3, 15))
        BeneficiaryFactory(policy=policy, share=20)
    # +1 for the change history, +2 for its riders' and beneficiaries' (fixed).
    with django_assert_max_num_queries(15):
        response = http.get(reverse("policies:detail", kwargs={"pk": policy.pk}))
    assert "附加4" in response.content.decode()


@pytest.mark.django_db
def test_client_page_shows_policies_and_a_gap(http, client_obj):
    PolicyFactory(holder=client_obj, number="LIFE-1", product_name="福寿终身寿险")
    other = ClientFactory(owner=client_obj.owner, name="张三")
    PolicyFactory(
        holder=other,
        insured_client=client_obj,
        product_name="安心意外险",
        policy_type=Policy.Type.ACCIDENT,
    )
    response = http.get(reverse("clients:detail", kwargs={"pk": client_obj.pk}))
    body = response.content.decode()
    assert "福寿终身寿险" in body and "安心意外险" in body
    (panel,) = [
        p for p in response.context["panels"] if p.template_name == "policies/_client_panel.html"
    ]
    gaps = panel.context["coverage"].gaps
    assert len(gaps) == 2  # medical and critical illness; life and accident are covered
    assert all(gap in body for gap in gaps)
    assert "coverage-gap" in body


@pytest.mark.django_db
def test_sold_by_others_is_recorded_from_the_form_and_shown(http, owner, client_obj):
    insurer = InsurerFactory()
    data = form_data(
        client_obj, insurer, sold_by_others="on", sold_through=" 某某保险 王经理 ", number="TG-1"
    )
    assert http.post(reverse("policies:create"), data).status_code == 302
    policy = Policy.objects.get(number="TG-1")
    assert policy.sold_by_others and policy.sold_through == "某某保险 王经理"
    assert not Policy.objects.own().filter(pk=policy.pk).exists()
    detail = http.get(reverse("policies:detail", kwargs={"pk": policy.pk})).content.decode()
    assert "sold-by-others" in detail and "某某保险 王经理" in detail
    listed = http.get(reverse("policies:list")).content.decode()
    assert "sold-by-others" in listed
    form = http.get(reverse("policies:edit", kwargs={"pk": policy.pk})).content.decode()
    assert 'name="sold_by_others"' in form and 'name="sold_through"' in form
    # Unticked on edit: the other agent's name goes with it.
    # (No inline rows sent: the stored riders and beneficiaries stay as they are.)
    edit = {
        k: v
        for k, v in data.items()
        if k not in ("status", "sold_by_others") and not k.startswith(("riders-", "beneficiaries-"))
    }
    edit.update(
        {
            f"{p}-{n}": "0"
            for p in ("riders", "beneficiaries")
            for n in ("TOTAL_FORMS", "INITIAL_FORMS")
        }
    )
    url = reverse("policies:edit", kwargs={"pk": policy.pk})
    assert http.post(url, versioned(http, url, edit)).status_code == 302
    policy.refresh_from_db()
    assert not policy.sold_by_others and policy.sold_through == ""
