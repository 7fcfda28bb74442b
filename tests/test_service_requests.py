"""Servicing and claims pages: scoping for every /service-requests/ URL, the new-request form
(checklist prefilled, bad input refused whole), status changes, the documents checklist, the
list by urgency and its query count, and the card on the policy page.

The matrix is checked against the URL resolver, so a new service_requests URL without an
entry fails `test_every_url_is_in_the_matrix`.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import get_resolver, reverse

from servicing.models import ServiceRequest, ServiceRequestDocument, ServiceRequestStatusChange
from servicing.services.requests import DEFAULT_DOCUMENTS

from .edit_forms import versioned
from .factories import ClientFactory
from .policy_factories import PolicyFactory
from .service_request_factories import ServiceRequestDocumentFactory, ServiceRequestFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 3, 20)
Status = ServiceRequest.Status

# name -> (method, needs a request, needs a document, what an owner's POST answers)
MATRIX = {
    "list": ("GET", False, False),
    "create": ("GET", False, False),
    "detail": ("GET", True, False),
    "edit": ("GET", True, False),
    "status": ("POST", True, False),
    "document_add": ("POST", True, False),
    "document_toggle": ("POST", True, True),
    "document_remove": ("POST", True, True),
}
OBJECT_URLS = [name for name, (_, needs_obj, _) in MATRIX.items() if needs_obj]
POST_URLS = [name for name, (method, _, _) in MATRIX.items() if method == "POST"]
GET_URLS = [name for name, (method, _, _) in MATRIX.items() if method == "GET"]
# A valid POST body for each POST URL, so a 404 is due to scoping, not to bad input.
POST_DATA = {
    "status": {"to_status": Status.UNDER_REVIEW, "seen_status": Status.SUBMITTED, "note": "x"},
    "document_add": {"name": "补充材料"},
    "document_toggle": {},
    "document_remove": {},
}


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield TODAY


def url_names() -> set[str]:
    namespaced = get_resolver().namespace_dict["service_requests"][1]
    return {k for k in namespaced.reverse_dict if isinstance(k, str)}


def url_for(name: str, sr: ServiceRequest, document: ServiceRequestDocument) -> str:
    _, needs_obj, needs_doc = MATRIX[name]
    kwargs = {}
    if needs_obj:
        kwargs["pk"] = sr.pk
    if needs_doc:
        kwargs["document_id"] = document.pk
    return reverse(f"service_requests:{name}", kwargs=kwargs)


@pytest.fixture
def policy(client_obj):
    return PolicyFactory(holder=client_obj, number="P-OWN-1")


@pytest.fixture
def sr(policy):
    return ServiceRequestFactory(policy=policy, description="住院理赔")


@pytest.fixture
def document(sr):
    return ServiceRequestDocumentFactory(request=sr, name="出院小结")


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


def test_every_url_is_in_the_matrix():
    assert url_names() == set(MATRIX)


def test_list_is_mounted_at_the_public_address():
    assert reverse("service_requests:list") == "/service-requests/"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_is_sent_to_login(client, name, sr, document):
    url = url_for(name, sr, document)
    for response in (client.get(url), client.post(url, POST_DATA.get(name, {}))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    sr.refresh_from_db()
    assert sr.status == Status.SUBMITTED and ServiceRequestDocument.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager", "admin_user"])
@pytest.mark.parametrize("name", OBJECT_URLS)
def test_someone_elses_request_is_404(request, as_user, persona, name, sr, document):
    http = as_user(request.getfixturevalue(persona))
    url = url_for(name, sr, document)
    if MATRIX[name][0] == "GET":
        assert http.get(url).status_code == 404
    data = POST_DATA.get(name, {"description": "改", "opened_on": "2026-03-01"})
    assert http.post(url, data).status_code == 404
    sr.refresh_from_db()
    document.refresh_from_db()
    assert sr.status == Status.SUBMITTED and sr.description == "住院理赔"
    assert document.received_on is None
    assert list(sr.documents.values_list("name", flat=True)) == ["出院小结"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager", "admin_user"])
def test_someone_elses_policy_cannot_be_used(request, as_user, persona, policy):
    http = as_user(request.getfixturevalue(persona))
    create = reverse("service_requests:create")
    assert http.get(create, {"policy": policy.pk}).status_code == 404
    assert f'value="{policy.pk}"' not in http.get(create).content.decode()
    data = form_data(policy)
    assert http.post(create, data).status_code == 400
    assert not ServiceRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager", "admin_user"])
def test_someone_elses_requests_are_not_listed(request, as_user, persona, sr):
    http = as_user(request.getfixturevalue(persona))
    for state in ("open", "closed", "all"):
        response = http.get(reverse("service_requests:list"), {"state": state})
        assert response.status_code == 200
        assert list(response.context["page"].object_list) == []
        assert "王芳" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", GET_URLS)
def test_owner_is_served(http, name, sr, document):
    response = http.get(url_for(name, sr, document))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", POST_URLS)
def test_post_urls_refuse_get_and_accept_the_owners_post(http, name, sr, document):
    url = url_for(name, sr, document)
    assert http.get(url).status_code == 405
    response = http.post(url, POST_DATA[name])
    assert response.status_code == 302
    assert response["Location"] == reverse("service_requests:detail", kwargs={"pk": sr.pk})


# --- new request ------------------------------------------------------------------------


def form_data(policy, **overrides):
    data = {
        "policy": policy.pk,
        "kind": ServiceRequest.Kind.CLAIM,
        "category": ServiceRequest.Category.HOSPITAL,
        "opened_on": "2026-03-18",
        "description": "阑尾炎住院五天",
        "amount_claimed": "12800.50",
        "next_action": "提醒客户补交发票原件",
        "next_action_date": "2026-03-25",
        "documents": "理赔申请书\n病历\n\n病历\n 出院小结 ",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_create_with_documents_and_first_timeline_step(http, owner, policy):
    response = http.post(reverse("service_requests:create"), form_data(policy))
    assert response.status_code == 302
    sr = ServiceRequest.objects.get()
    assert response["Location"] == reverse("service_requests:detail", kwargs={"pk": sr.pk})
    assert (sr.owner, sr.policy, sr.kind, sr.category) == (owner, policy, "claim", "hospital")
    assert sr.amount_claimed == Decimal("12800.50")
    assert sr.opened_on == datetime.date(2026, 3, 18)
    assert sr.next_action_date == datetime.date(2026, 3, 25)
    # Blank lines and repeats dropped, order kept, names stripped.
    assert list(sr.documents.values_list("name", flat=True)) == ["理赔申请书", "病历", "出院小结"]
    (step,) = sr.status_history.all()
    assert (step.from_status, step.to_status, step.by) == ("", Status.SUBMITTED, owner)
    page = http.get(response["Location"]).content.decode()
    assert "阑尾炎住院五天" in page and "出院小结" in page and "提醒客户补交发票原件" in page


@pytest.mark.django_db
def test_create_form_prefills_policy_and_checklist(http, policy):
    response = http.get(
        reverse("service_requests:create"),
        {"policy": policy.pk, "kind": "claim", "category": "death"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["policy"] == policy.pk
    assert form.initial["documents"].splitlines() == DEFAULT_DOCUMENTS["death"]
    body = response.content.decode()
    assert "死亡证明" in body and "户籍注销证明" in body and "受益人身份证明" in body
    # The script's data: categories per kind and the checklists per category.
    assert 'id="categories-by-kind"' in body and 'id="default-documents"' in body
    # A category that does not fit the kind is not prefilled.
    mismatched = http.get(
        reverse("service_requests:create"), {"kind": "servicing", "category": "death"}
    )
    assert "category" not in mismatched.context["form"].initial


@pytest.mark.django_db
def test_create_offers_only_own_policies(http, policy, outsider):
    foreign = PolicyFactory(holder=ClientFactory(owner=outsider), number="P-FOREIGN")
    body = http.get(reverse("service_requests:create")).content.decode()
    assert f'<option value="{policy.pk}"' in body
    assert f'<option value="{foreign.pk}"' not in body and "P-FOREIGN" not in body
    assert http.get(reverse("service_requests:create"), {"policy": foreign.pk}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "servicing", "category": "hospital"}, "category"),
        ({"kind": "claim", "category": "surrender"}, "category"),
        ({"amount_claimed": "-1"}, "amount_claimed"),
        ({"opened_on": "2026-03-21"}, "opened_on"),
        ({"category": "nonsense"}, "category"),
        ({"documents": "病历\n" + "长" * 201}, "documents"),
    ],
)
def test_bad_input_answers_400_and_writes_nothing(http, policy, overrides, field):
    response = http.post(reverse("service_requests:create"), form_data(policy, **overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not ServiceRequest.objects.exists()
    assert not ServiceRequestDocument.objects.exists()
    assert not ServiceRequestStatusChange.objects.exists()


@pytest.mark.django_db
def test_foreign_policy_is_refused(http, policy, outsider):
    foreign = PolicyFactory(holder=ClientFactory(owner=outsider), number="P-FOREIGN")
    response = http.post(reverse("service_requests:create"), form_data(foreign))
    assert response.status_code == 400
    assert response.context["form"].errors["policy"]
    assert not ServiceRequest.objects.exists()


# --- edit -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_edit_changes_the_editable_fields_only(http, sr):
    url = reverse("service_requests:edit", kwargs={"pk": sr.pk})
    data = {
        "description": "补充：门诊费用",
        "opened_on": "2026-03-01",
        "amount_claimed": "5000",
        "amount_paid": "",
        "next_action": "电话理赔员",
        "next_action_date": "2026-03-22",
        "status": "paid",  # not a field here: ignored
        "category": "death",
    }
    assert http.post(url, versioned(http, url, data)).status_code == 302
    sr.refresh_from_db()
    assert sr.description == "补充：门诊费用" and sr.amount_claimed == Decimal(5000)
    assert sr.next_action_date == datetime.date(2026, 3, 22)
    assert (sr.status, sr.category) == (Status.SUBMITTED, "hospital")


@pytest.mark.django_db
def test_edit_refuses_negative_amount(http, sr):
    url = reverse("service_requests:edit", kwargs={"pk": sr.pk})
    data = {"opened_on": "2026-03-02", "amount_paid": "-5", "description": "改了"}
    response = http.post(url, versioned(http, url, data))
    assert response.status_code == 400
    assert response.context["form"].errors["amount_paid"]
    sr.refresh_from_db()
    assert sr.amount_paid is None and sr.description == "住院理赔"


# --- status -----------------------------------------------------------------------------


def set_status(http, sr, to_status, seen=None, **extra):
    data = {"to_status": to_status, "seen_status": seen or sr.status, "note": "", **extra}
    return http.post(reverse("service_requests:status", kwargs={"pk": sr.pk}), data)


@pytest.mark.django_db
def test_status_steps_are_kept_and_paid_closes(http, owner, sr):
    assert set_status(http, sr, Status.DOCUMENTS_MISSING, note="缺发票").status_code == 302
    sr.refresh_from_db()
    assert set_status(http, sr, Status.UNDER_REVIEW).status_code == 302
    sr.refresh_from_db()
    assert set_status(http, sr, Status.APPROVED).status_code == 302
    sr.refresh_from_db()
    assert sr.closed_on is None
    response = set_status(http, sr, Status.PAID, amount_paid="9800")
    assert response.status_code == 302
    sr.refresh_from_db()
    assert sr.status == Status.PAID and sr.closed_on == TODAY
    assert sr.amount_paid == Decimal(9800)
    steps = list(sr.status_history.values_list("from_status", "to_status", "by", "note"))
    assert steps == [
        ("submitted", "documents_missing", owner.pk, "缺发票"),
        ("documents_missing", "under_review", owner.pk, ""),
        ("under_review", "approved", owner.pk, ""),
        ("approved", "paid", owner.pk, ""),
    ]
    page = http.get(reverse("service_requests:detail", kwargs={"pk": sr.pk}))
    assert "缺发票" in page.content.decode()
    # Closed: no status form any more, and a link to open a new request on the policy.
    assert page.context["status_form"] is None
    assert f"?policy={sr.policy.pk}&amp;kind=claim&amp;category=hospital" in page.content.decode()


@pytest.mark.django_db
def test_paid_claim_needs_the_amount(http, sr):
    response = set_status(http, sr, Status.PAID)
    assert response.status_code == 400
    assert response.context["status_form"].errors["amount_paid"]
    sr.refresh_from_db()
    assert sr.status == Status.SUBMITTED and sr.closed_on is None
    assert not sr.status_history.exists()


@pytest.mark.django_db
def test_rejected_closes_and_reopening_is_refused(http, sr):
    assert set_status(http, sr, Status.REJECTED, note="既往症").status_code == 302
    sr.refresh_from_db()
    assert sr.closed_on == TODAY
    response = set_status(http, sr, Status.UNDER_REVIEW)
    assert response.status_code == 400
    (error,) = response.context["status_errors"]
    assert error in response.content.decode()
    sr.refresh_from_db()
    assert sr.status == Status.REJECTED and sr.status_history.count() == 1


@pytest.mark.django_db
def test_a_status_changed_meanwhile_is_not_overwritten(http, sr):
    # Another tab moved it on after this page was shown.
    ServiceRequest.objects.filter(pk=sr.pk).update(status=Status.UNDER_REVIEW)
    response = set_status(http, sr, Status.DOCUMENTS_MISSING, seen=Status.SUBMITTED)
    assert response.status_code == 400
    assert response.context["status_form"].non_field_errors()
    sr.refresh_from_db()
    assert sr.status == Status.UNDER_REVIEW and not sr.status_history.exists()
    # The form shown again starts from the current status.
    assert 'value="under_review"' in response.content.decode()


@pytest.mark.django_db
def test_a_transition_not_allowed_is_refused(http, sr):
    ServiceRequest.objects.filter(pk=sr.pk).update(status=Status.APPROVED)
    sr.refresh_from_db()
    response = set_status(http, sr, Status.SUBMITTED)
    assert response.status_code == 400
    sr.refresh_from_db()
    assert sr.status == Status.APPROVED


# --- documents --------------------------------------------------------------------------


@pytest.mark.django_db
def test_ticking_a_document_via_htmx_returns_the_checklist(http, sr, document):
    url = reverse(
        "service_requests:document_toggle", kwargs={"pk": sr.pk, "document_id": document.pk}
    )
    response = http.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "policies/requests/_documents.html"
    document.refresh_from_db()
    assert document.received_on == TODAY
    assert response.context["documents_missing"] == 0
    assert 'aria-pressed="true"' in response.content.decode()
    http.post(url, HTTP_HX_REQUEST="true")
    document.refresh_from_db()
    assert document.received_on is None


@pytest.mark.django_db
def test_a_document_of_another_request_is_404(http, sr, owner, client_obj):
    other = ServiceRequestFactory(policy=PolicyFactory(holder=client_obj))
    foreign_doc = ServiceRequestDocumentFactory(request=other)
    url = reverse(
        "service_requests:document_toggle", kwargs={"pk": sr.pk, "document_id": foreign_doc.pk}
    )
    assert http.post(url).status_code == 404
    foreign_doc.refresh_from_db()
    assert foreign_doc.received_on is None


@pytest.mark.django_db
def test_adding_a_document_and_refusing_a_repeat(http, sr, document):
    url = reverse("service_requests:document_add", kwargs={"pk": sr.pk})
    assert http.post(url, {"name": " 诊断证明书 "}, HTTP_HX_REQUEST="true").status_code == 200
    response = http.post(url, {"name": "出院小结"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert response.context["document_form"].errors["name"]
    response = http.post(url, {"name": ""})
    assert response.status_code == 400  # without htmx: the page again, with the error
    assert list(sr.documents.values_list("name", flat=True)) == ["出院小结", "诊断证明书"]


@pytest.mark.django_db
def test_removing_a_document(http, sr, document):
    url = reverse(
        "service_requests:document_remove", kwargs={"pk": sr.pk, "document_id": document.pk}
    )
    assert http.post(url).status_code == 302
    assert not sr.documents.exists()


# --- list -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_orders_by_urgency_with_age_and_overdue(http, client_obj):
    def make(label, opened, next_date=None):
        return ServiceRequestFactory(
            policy=PolicyFactory(holder=client_obj),
            description=label,
            opened_on=opened,
            next_action="跟进" if next_date else "",
            next_action_date=next_date,
        )

    make("no-action-old", datetime.date(2026, 1, 5))
    make("soon", datetime.date(2026, 3, 19), datetime.date(2026, 3, 21))
    make("overdue-recent", datetime.date(2026, 3, 10), datetime.date(2026, 3, 19))
    make("no-action-new", datetime.date(2026, 3, 15))
    make("overdue-long", datetime.date(2026, 2, 1), datetime.date(2026, 3, 1))
    make("today", datetime.date(2026, 3, 1), TODAY)
    closed = make("closed", datetime.date(2026, 1, 1), datetime.date(2026, 2, 1))
    ServiceRequest.objects.filter(pk=closed.pk).update(
        status=Status.REJECTED, closed_on=datetime.date(2026, 2, 10)
    )

    response = http.get(reverse("service_requests:list"))
    rows = list(response.context["page"].object_list)
    assert [r.description for r in rows] == [
        "overdue-long",
        "overdue-recent",
        "today",
        "soon",
        "no-action-old",
        "no-action-new",
    ]
    assert [r.overdue for r in rows] == [True, True, False, False, False, False]
    assert [r.age.days for r in rows] == [47, 10, 19, 1, 74, 5]
    body = response.content.decode()
    assert body.count('class="overdue"') == 2
    assert "47" in body and "74" in body

    closed_rows = http.get(reverse("service_requests:list"), {"state": "closed"})
    (row,) = closed_rows.context["page"].object_list
    assert row.description == "closed" and row.overdue is False
    assert row.age.days == 40  # opened 1 January, closed 10 February

    everything = http.get(reverse("service_requests:list"), {"state": "all"})
    descriptions = [r.description for r in everything.context["page"].object_list]
    assert descriptions[:2] == ["overdue-long", "overdue-recent"]
    assert descriptions[-1] == "closed" and len(descriptions) == 7


@pytest.mark.django_db
def test_list_filters_by_kind_and_status(http, client_obj):
    policy = PolicyFactory(holder=client_obj)
    ServiceRequestFactory(policy=policy, description="claim")
    ServiceRequestFactory(
        policy=policy,
        description="loan",
        kind=ServiceRequest.Kind.SERVICING,
        category=ServiceRequest.Category.POLICY_LOAN,
        status=Status.UNDER_REVIEW,
    )

    def descriptions(**params):
        response = http.get(reverse("service_requests:list"), params)
        assert response.status_code == 200
        return {r.description for r in response.context["page"].object_list}

    assert descriptions() == {"claim", "loan"}
    assert descriptions(kind="servicing") == {"loan"}
    assert descriptions(kind="claim") == {"claim"}
    assert descriptions(status="under_review") == {"loan"}
    assert descriptions(state="closed") == set()
    assert descriptions(kind="nonsense") == {"claim", "loan"}  # ignored, with a notice


@pytest.mark.django_db
def test_list_shows_documents_missing(http, sr, document):
    ServiceRequestDocumentFactory(request=sr, name="病历", received_on=TODAY)
    ServiceRequestDocumentFactory(request=sr, name="发票")
    (row,) = http.get(reverse("service_requests:list")).context["page"].object_list
    assert (row.documents_total, row.documents_missing) == (3, 2)


@pytest.mark.django_db
def test_list_paginates(http, client_obj):
    policy = PolicyFactory(holder=client_obj)
    for i in range(30):
        ServiceRequestFactory(policy=policy, description=f"R{i}")
    assert len(http.get(reverse("service_requests:list")).context["page"].object_list) == 25
    page2 = http.get(reverse("service_requests:list"), {"page": 2})
    assert len(page2.context["page"].object_list) == 5
    assert page2.context["page"].paginator.num_pages == 2


@pytest.mark.django_db
def test_list_query_count_is_fixed(http, client_obj):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(reverse("service_requests:list")).status_code == 200
        return len(ctx.captured_queries)

    def add(i: int) -> None:
        other_holder = ClientFactory(owner=client_obj.owner, name=f"客户{i}")
        sr = ServiceRequestFactory(
            policy=PolicyFactory(holder=other_holder), next_action_date=TODAY
        )
        ServiceRequestDocumentFactory(request=sr)
        ServiceRequestDocumentFactory(request=sr, received_on=TODAY)

    for i in range(2):
        add(i)
    few = count()
    for i in range(2, 20):
        add(i)
    assert count() == few


# --- the policy page --------------------------------------------------------------------


@pytest.mark.django_db
def test_policy_page_lists_its_requests(http, policy, sr, client_obj):
    other_policy = PolicyFactory(holder=client_obj)
    ServiceRequestFactory(
        policy=other_policy, category=ServiceRequest.Category.DEATH, description="别的保单"
    )
    response = http.get(reverse("policies:detail", kwargs={"pk": policy.pk}))
    assert response.status_code == 200
    assert list(response.context["service_requests"]) == [sr]
    body = response.content.decode()
    assert reverse("service_requests:detail", kwargs={"pk": sr.pk}) in body
    assert f"{reverse('service_requests:create')}?policy={policy.pk}" in body


@pytest.mark.django_db
def test_nav_links_to_servicing_and_claims(http):
    body = http.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("service_requests:list")}"' in body


# --- admin ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_lists_searches_and_shows_the_checklist_and_timeline(as_user, admin_user, sr):
    ServiceRequestDocumentFactory(request=sr, name="医疗费用发票")
    ServiceRequestStatusChange.objects.create(
        request=sr, to_status=Status.SUBMITTED, note="首次提交"
    )
    browser = as_user(admin_user)
    changelist = reverse("admin:servicing_servicerequest_changelist")
    assert "P-OWN-1" in browser.get(changelist, {"q": "王芳"}).content.decode()
    assert "P-OWN-1" not in browser.get(changelist, {"q": "nobody"}).content.decode()
    assert browser.get(changelist, {"status__exact": "submitted"}).status_code == 200
    page = browser.get(reverse("admin:servicing_servicerequest_change", args=[sr.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "医疗费用发票" in body and "首次提交" in body
    for name in ("servicerequestdocument", "servicerequeststatuschange"):
        assert browser.get(reverse(f"admin:servicing_{name}_changelist")).status_code == 200
    # The timeline is read-only in the admin.
    assert browser.get(reverse("admin:servicing_servicerequeststatuschange_add")).status_code == 403
