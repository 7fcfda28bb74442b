"""No silent overwrites: two tabs on one edit form. The second save, from a form opened
before the first was saved, is refused with a page showing both versions (409), writes
nothing, and can keep its values over the new version; inline rows (riders, beneficiaries,
family) added meanwhile are never deleted by a form that did not know them. Riders and
beneficiaries have an audit history on the policy page."""

import datetime
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

from clients.models import FamilyMember
from events.models import Event
from policies.models import Beneficiary, Payout, Rider
from servicing.models import AnnualReview, Delivery, ServiceRequest

from .event_factories import EventFactory
from .factories import FamilyMemberFactory
from .policy_factories import BeneficiaryFactory, PayoutFactory, PolicyFactory, RiderFactory
from .policy_records_factories import AnnualReviewFactory
from .service_request_factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


class _Forms(HTMLParser):
    """What a browser would submit for each POST form of a page: (action, [(name, value)])."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._fields: list | None = None
        self._select: tuple[str, list, list] | None = None  # name, options, selected
        self._option: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._fields = []
            self.forms.append((a.get("action") or "", self._fields))
        if self._fields is None:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "reset"):
                self._fields.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select = (name, [], [], "multiple" in a)
        elif tag == "option" and self._select is not None:
            value = a.get("value")
            self._option = value
            self._select[1].append(value)
            if "selected" in a:
                self._select[2].append(value)
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "select" and self._select is not None:
            name, options, selected, multiple = self._select
            chosen = selected or ([] if multiple or not options else [options[0]])
            self._fields.extend((name, v or "") for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._fields.append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None


def opened(http, url: str) -> dict[str, list[str]]:
    """The edit form as a tab holds it after opening the page."""
    response = http.get(url)
    assert response.status_code == 200
    parser = _Forms()
    parser.feed(response.content.decode())
    for _action, fields in parser.forms:
        if any(name == "_version" for name, _ in fields):
            data: dict[str, list[str]] = {}
            for name, value in fields:
                data.setdefault(name, []).append(value)
            return data
    raise AssertionError(f"no versioned form on {url}")


def keep_mine_form(response) -> dict[str, list[str]]:
    parser = _Forms()
    parser.feed(response.content.decode())
    for _action, fields in parser.forms:
        names = [name for name, _ in fields]
        if "_version" in names:
            data: dict[str, list[str]] = {}
            for name, value in fields:
                data.setdefault(name, []).append(value)
            return data
    raise AssertionError("no keep-mine form on the conflict page")


def with_values(data: dict, **values) -> dict:
    changed = {key: list(value) for key, value in data.items()}
    for key, value in values.items():
        changed[key.replace("__", "-")] = [value]
    return changed


def assert_conflict(response, *shown: str) -> str:
    assert response.status_code == 409
    page = response.content.decode()
    assert "未保存" in page  # "Nothing was saved…"
    for text in shown:
        assert text in page, text
    return page


# -- the client form (with its family) -----------------------------------------------------


def test_client_two_tabs_the_stale_save_is_refused_then_kept(as_user, owner, client_obj):
    http = as_user(owner)
    url = reverse("clients:edit", args=[client_obj.pk])
    tab_a, tab_b = opened(http, url), opened(http, url)
    assert http.post(url, with_values(tab_b, notes="B 写的备注")).status_code == 302

    response = http.post(url, with_values(tab_a, notes="A 写的备注"))
    assert_conflict(response, "B 写的备注", "A 写的备注")
    client_obj.refresh_from_db()
    assert client_obj.notes == "B 写的备注"  # nothing of tab A's was written

    # Keep mine: the same values over the new version.
    assert http.post(url, keep_mine_form(response)).status_code == 302
    client_obj.refresh_from_db()
    assert client_obj.notes == "A 写的备注"


def test_client_reload_shows_the_saved_version(as_user, owner, client_obj):
    http = as_user(owner)
    url = reverse("clients:edit", args=[client_obj.pk])
    tab_a = opened(http, url)
    http.post(url, with_values(opened(http, url), notes="B 写的备注"))
    assert http.post(url, with_values(tab_a, notes="A")).status_code == 409
    assert with_values(opened(http, url))["notes"] == ["B 写的备注"]


def test_family_added_in_another_tab_survives_a_stale_save(as_user, owner, client_obj):
    http = as_user(owner)
    url = reverse("clients:edit", args=[client_obj.pk])
    tab_a = opened(http, url)
    FamilyMemberFactory(client=client_obj, name="王小明")  # tab B added a child
    response = http.post(url, with_values(tab_a, notes="A"))
    page = assert_conflict(response, "王小明")
    assert "不在你的表单里" in page
    assert http.post(url, keep_mine_form(response)).status_code == 302
    assert FamilyMember.objects.filter(client=client_obj, name="王小明").exists()
    client_obj.refresh_from_db()
    assert client_obj.notes == "A"


def test_a_fresh_form_saves_without_a_conflict(as_user, owner, client_obj):
    http = as_user(owner)
    url = reverse("clients:edit", args=[client_obj.pk])
    assert http.post(url, with_values(opened(http, url), notes="一次")).status_code == 302
    assert http.post(url, with_values(opened(http, url), notes="两次")).status_code == 302
    client_obj.refresh_from_db()
    assert client_obj.notes == "两次"


def test_a_form_shown_again_with_errors_keeps_the_version_it_was_opened_on(
    as_user, owner, client_obj
):
    """An error on the first try must not refresh the version: the retry is still stale."""
    http = as_user(owner)
    url = reverse("clients:edit", args=[client_obj.pk])
    tab_a = opened(http, url)
    http.post(url, with_values(opened(http, url), notes="B"))
    first = http.post(url, with_values(tab_a, name=""))
    assert first.status_code == 409  # the version is checked before the fields


# -- the policy form with riders and beneficiaries -----------------------------------------


@pytest.fixture
def policy(client_obj):
    policy = PolicyFactory(holder=client_obj, number="P-STALE-1")
    BeneficiaryFactory(policy=policy, name="张伟", share=100)
    return policy


def test_policy_riders_and_beneficiaries_added_meanwhile_are_never_deleted(as_user, owner, policy):
    """The reported loss: tab A opened, tab B added a rider and a beneficiary, tab A saved
    and said "Saved" while deleting them."""
    http = as_user(owner)
    url = reverse("policies:edit", args=[policy.pk])
    tab_a = opened(http, url)
    tab_b = opened(http, url)
    added = with_values(
        tab_b,
        riders__TOTAL_FORMS="1",
        riders__0__name="附加住院医疗",
        riders__0__sum_assured="20000",
        riders__0__premium="600",
        riders__0__start_date="2025-01-10",
        riders__0__expiry_date="2026-01-09",
        beneficiaries__TOTAL_FORMS="2",
        beneficiaries__0__share="60",
        beneficiaries__1__name="王小明",
        beneficiaries__1__relation=Beneficiary.Relation.CHILD,
        beneficiaries__1__share="40",
    )
    assert http.post(url, added).status_code == 302
    assert Rider.objects.filter(policy=policy).count() == 1

    response = http.post(url, with_values(tab_a, product_name="A 改的产品名"))
    assert_conflict(response, "附加住院医疗", "王小明", "A 改的产品名")
    assert Rider.objects.filter(policy=policy).count() == 1
    policy.refresh_from_db()
    assert policy.product_name != "A 改的产品名"

    # Keep mine: the product name is tab A's; the rider stays. Tab A's form still says
    # 张伟 100%, which with 王小明's 40% kept is 140%: refused with the shares' message,
    # nothing deleted.
    kept = http.post(url, keep_mine_form(response))
    assert kept.status_code == 400
    assert Rider.objects.filter(policy=policy).count() == 1
    assert Beneficiary.objects.filter(policy=policy).count() == 2


def test_policy_keep_mine_keeps_the_rider_added_meanwhile(as_user, owner, policy):
    http = as_user(owner)
    url = reverse("policies:edit", args=[policy.pk])
    tab_a = opened(http, url)
    RiderFactory(policy=policy, name="附加意外")  # another tab, another device
    response = http.post(url, with_values(tab_a, product_name="A 改的产品名"))
    assert_conflict(response, "附加意外")
    assert http.post(url, keep_mine_form(response)).status_code == 302
    policy.refresh_from_db()
    assert policy.product_name == "A 改的产品名"
    assert list(policy.riders.values_list("name", flat=True)) == ["附加意外"]


def test_a_rider_removed_by_a_fresh_form_is_deleted_and_in_the_history(as_user, owner, policy):
    rider = RiderFactory(policy=policy, name="附加重疾")
    http = as_user(owner)
    url = reverse("policies:edit", args=[policy.pk])
    data = opened(http, url)
    assert data["riders-0-id"] == [str(rider.pk)]
    assert http.post(url, with_values(data, riders__0__DELETE="on")).status_code == 302
    assert not Rider.objects.filter(pk=rider.pk).exists()
    page = http.get(reverse("policies:detail", args=[policy.pk])).content.decode()
    assert "附加重疾" in page  # the deletion is in the change history


def test_rider_and_beneficiary_changes_have_history(as_user, owner, policy):
    http = as_user(owner)
    url = reverse("policies:edit", args=[policy.pk])
    data = with_values(
        opened(http, url),
        riders__0__name="附加住院医疗",
        riders__0__sum_assured="20000",
        riders__0__premium="600",
        riders__0__start_date="2025-01-10",
        riders__0__expiry_date="2026-01-09",
        beneficiaries__0__name="张伟伟",
    )
    assert http.post(url, data).status_code == 302
    rider = Rider.objects.get(policy=policy)
    beneficiary = Beneficiary.objects.get(policy=policy)
    assert [h.history_type for h in rider.history.all()] == ["+"]
    assert [h.history_type for h in beneficiary.history.all()] == ["~", "+"]  # newest first
    page = http.get(reverse("policies:detail", args=[policy.pk])).content.decode()
    assert "附加住院医疗" in page and "张伟伟" in page
    assert "张伟" in page  # the old name, old → new


# -- service request, payout, annual review ------------------------------------------------


def test_service_request_two_tabs(as_user, owner, policy):
    request = ServiceRequestFactory(policy=policy, description="原来的")
    http = as_user(owner)
    url = reverse("service_requests:edit", args=[request.pk])
    tab_a, tab_b = opened(http, url), opened(http, url)
    assert http.post(url, with_values(tab_b, description="B 的说明")).status_code == 302
    response = http.post(url, with_values(tab_a, description="A 的说明"))
    assert_conflict(response, "B 的说明", "A 的说明")
    assert ServiceRequest.objects.get(pk=request.pk).description == "B 的说明"
    assert http.post(url, keep_mine_form(response)).status_code == 302
    assert ServiceRequest.objects.get(pk=request.pk).description == "A 的说明"


def test_payout_two_tabs(as_user, owner, policy):
    payout = PayoutFactory(policy=policy, date=datetime.date(2030, 3, 15))
    http = as_user(owner)
    url = reverse("policies:payout_edit", args=[policy.pk, payout.pk])
    tab_a, tab_b = opened(http, url), opened(http, url)
    assert http.post(url, with_values(tab_b, amount="600")).status_code == 302
    response = http.post(url, with_values(tab_a, amount="700"))
    assert_conflict(response, "600", "700")
    assert Payout.objects.get(pk=payout.pk).amount == 600


def test_annual_review_two_tabs(as_user, owner, policy):
    review = AnnualReviewFactory(household=policy.holder, policies=[policy], findings="原来")
    http = as_user(owner)
    url = reverse("policies:review_edit", args=[review.pk])
    tab_a, tab_b = opened(http, url), opened(http, url)
    assert http.post(url, with_values(tab_b, findings="B 的发现")).status_code == 302
    response = http.post(url, with_values(tab_a, findings="A 的发现"))
    assert_conflict(response, "B 的发现", "A 的发现")
    assert AnnualReview.objects.get(pk=review.pk).findings == "B 的发现"


def test_delivery_appointment_two_tabs_before_any_was_saved(as_user, owner, policy):
    """Both tabs opened the page while no appointment existed: the second save is stale."""
    http = as_user(owner)
    url = reverse("policies:delivery", args=[policy.pk])
    tab_a, tab_b = opened(http, url), opened(http, url)
    saved = http.post(url, with_values(tab_b, appointment_at="2026-04-01T10:00", place="星巴克"))
    assert saved.status_code == 302
    response = http.post(url, with_values(tab_a, appointment_at="2026-04-02T15:00", place="客户家"))
    assert_conflict(response, "星巴克", "客户家")
    assert policy.delivery.place == "星巴克"


# -- a save that names no version ----------------------------------------------------------

MISSING = "这张表单没有注明打开时的版本"  # the start of versions.missing_message() in Chinese


def _refused_then_saved(http, url, changes: dict, stored, wanted):
    """The form as opened, changed, sent without its version: refused (400) with the reason,
    nothing written, the agent's input shown again; that form, sent again, saves."""
    data = with_values(opened(http, url), **changes)
    del data["_version"]
    before = stored()
    response = http.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert MISSING in page
    assert stored() == before  # nothing written
    again = keep_mine_form(response)  # the form shown again: the agent's input, a version
    for key, value in changes.items():
        assert again[key.replace("__", "-")] == [value], key
    assert again["_version"] != [""]
    assert http.post(url, again).status_code == 302
    assert stored() == wanted


def test_client_edit_without_a_version_is_refused(as_user, owner, client_obj):
    url = reverse("clients:edit", args=[client_obj.pk])

    def stored():
        client_obj.refresh_from_db()
        return client_obj.notes

    _refused_then_saved(as_user(owner), url, {"notes": "没带版本的备注"}, stored, "没带版本的备注")


def test_policy_edit_without_a_version_is_refused_and_keeps_rows(as_user, owner, policy):
    RiderFactory(policy=policy, name="附加意外")  # added in another tab: never deleted
    url = reverse("policies:edit", args=[policy.pk])
    http = as_user(owner)

    def stored():
        policy.refresh_from_db()
        riders = sorted(policy.riders.values_list("name", flat=True))
        beneficiaries = sorted(policy.beneficiaries.values_list("name", "share"))
        return policy.product_name, riders, beneficiaries

    changes = {"product_name": "没带版本的产品", "beneficiaries__0__name": "张伟强"}
    wanted = ("没带版本的产品", ["附加意外"], [("张伟强", 100)])
    _refused_then_saved(http, url, changes, stored, wanted)


def test_service_request_edit_without_a_version_is_refused(as_user, owner, policy):
    sr = ServiceRequestFactory(policy=policy, description="原来的")
    url = reverse("service_requests:edit", args=[sr.pk])

    def stored():
        return ServiceRequest.objects.get(pk=sr.pk).description

    _refused_then_saved(as_user(owner), url, {"description": "没带版本"}, stored, "没带版本")


def test_payout_edit_without_a_version_is_refused(as_user, owner, policy):
    payout = PayoutFactory(policy=policy, date=datetime.date(2030, 3, 15), amount=500)
    url = reverse("policies:payout_edit", args=[policy.pk, payout.pk])

    def stored():
        return Payout.objects.get(pk=payout.pk).amount

    _refused_then_saved(as_user(owner), url, {"amount": "650"}, stored, 650)


def test_review_edit_without_a_version_is_refused(as_user, owner, policy):
    review = AnnualReviewFactory(household=policy.holder, policies=[policy], findings="原来")
    url = reverse("policies:review_edit", args=[review.pk])

    def stored():
        return AnnualReview.objects.get(pk=review.pk).findings

    _refused_then_saved(as_user(owner), url, {"findings": "没带版本"}, stored, "没带版本")


def test_delivery_appointment_without_a_version_is_refused(as_user, owner, policy):
    url = reverse("policies:delivery", args=[policy.pk])

    def stored():
        delivery = Delivery.objects.filter(policy=policy).first()
        return delivery and delivery.place

    changes = {"appointment_at": "2026-04-01T10:00", "place": "星巴克"}
    _refused_then_saved(as_user(owner), url, changes, stored, "星巴克")


def test_event_edit_without_a_version_is_refused(as_user, owner):
    event = EventFactory(owner=owner, venue="会所")
    url = reverse("events:edit", args=[event.pk])

    def stored():
        return Event.objects.get(pk=event.pk).venue

    _refused_then_saved(as_user(owner), url, {"venue": "茶楼"}, stored, "茶楼")


def test_event_two_tabs(as_user, owner):
    event = EventFactory(owner=owner, venue="会所")
    http = as_user(owner)
    url = reverse("events:edit", args=[event.pk])
    tab_a, tab_b = opened(http, url), opened(http, url)
    assert http.post(url, with_values(tab_b, venue="B 的茶楼")).status_code == 302
    response = http.post(url, with_values(tab_a, venue="A 的会所"))
    assert_conflict(response, "B 的茶楼", "A 的会所")
    assert Event.objects.get(pk=event.pk).venue == "B 的茶楼"
    assert http.post(url, keep_mine_form(response)).status_code == 302
    assert Event.objects.get(pk=event.pk).venue == "A 的会所"


def test_an_empty_post_to_any_edit_form_is_refused_with_the_reason(as_user, owner, policy):
    """Found by the nightly fuzz run: a POST with no field at all (so the form is not
    bound) answered 500 once the version was required. Now: 400, the reason, nothing written."""
    sr = ServiceRequestFactory(policy=policy)
    payout = PayoutFactory(policy=policy, date=datetime.date(2030, 3, 15))
    review = AnnualReviewFactory(household=policy.holder, policies=[policy])
    event = EventFactory(owner=owner)
    http = as_user(owner)
    for url in [
        reverse("clients:edit", args=[policy.holder.pk]),
        reverse("policies:edit", args=[policy.pk]),
        reverse("service_requests:edit", args=[sr.pk]),
        reverse("policies:payout_edit", args=[policy.pk, payout.pk]),
        reverse("policies:review_edit", args=[review.pk]),
        reverse("policies:delivery", args=[policy.pk]),
        reverse("events:edit", args=[event.pk]),
    ]:
        response = http.post(url, {})
        assert response.status_code == 400, url
        assert MISSING in response.content.decode(), url
    assert not Delivery.objects.filter(policy=policy).exists()


def test_the_conflict_page_shows_money_dates_and_choices_as_the_app_does(as_user, owner, policy):
    """Amounts with ¥ and 万 (the money filter), dates as 2025年1月10日, choices by label, on
    both sides, and in the inline rows: never 950000.00, 2025-01-10 or a choice's code."""
    RiderFactory(policy=policy, name="附加住院医疗", sum_assured=200000, premium="600.50")
    http = as_user(owner)
    url = reverse("policies:edit", args=[policy.pk])
    tab_a, tab_b = opened(http, url), opened(http, url)
    saved = http.post(url, with_values(tab_b, sum_assured="950000", effective_date="2025-01-10"))
    assert saved.status_code == 302
    response = http.post(url, with_values(tab_a, sum_assured="1200000", premium="8888.5"))
    page = assert_conflict(
        response, "95万", "120万", "¥8,888.50", "2025年1月10日", "20万", "¥600.50"
    )
    start = page.index("conflict-table")
    shown = page[start : page.index('name="csrfmiddlewaretoken"', start)]  # not the resent form
    for raw in ("950000", "1200000", "8888.5", "2025-01-10", "200000"):
        assert raw not in shown, raw
    assert "100%" in shown and "¥100" not in shown  # a share is a percentage, not money
    assert policy.get_payment_frequency_display() in page  # a choice by its label


@pytest.mark.parametrize("typed", ["1e999", "1E+999999", "9" * 40, "²", "NaN", "\x00"])
def test_the_conflict_page_shows_any_typed_amount_as_typed(as_user, owner, policy, typed):
    """Found by the nightly fuzz run: an amount past the field's digits, sent by a stale
    form, made the conflict page's money formatting fail (500)."""
    payout = PayoutFactory(policy=policy, date=datetime.date(2030, 3, 15), amount=500)
    http = as_user(owner)
    url = reverse("policies:payout_edit", args=[policy.pk, payout.pk])
    tab_a = opened(http, url)
    assert http.post(url, with_values(opened(http, url), amount="600")).status_code == 302
    page = assert_conflict(http.post(url, with_values(tab_a, amount=typed)), "¥600")
    if typed != "\x00":
        assert typed in page
    assert Payout.objects.get(pk=payout.pk).amount == 600


@pytest.mark.parametrize("forged", ["\x80", "版本", "0" * 40])
def test_a_forged_version_is_a_conflict_not_a_server_error(as_user, owner, policy, forged):
    """Found by the nightly fuzz run: a version with non-ASCII characters made the
    comparison raise (500). Any version that is not the stored one is a conflict."""
    sr = ServiceRequestFactory(policy=policy, description="原来的")
    http = as_user(owner)
    url = reverse("service_requests:edit", args=[sr.pk])
    data = with_values(opened(http, url), _version=forged, description="伪造")
    assert_conflict(http.post(url, data))
    assert ServiceRequest.objects.get(pk=sr.pk).description == "原来的"
