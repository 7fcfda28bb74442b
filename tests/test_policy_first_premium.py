"""The first premium is paid at issue (issue 18: a policy entered in force showed "in grace"
until a payment was recorded), and imported policies are paid up to a 缴至日期: the one the
row gives, else every due before the import day (a row in 宽限期 or 失效 keeps its latest due
unpaid)."""

import datetime
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from policies import dates, selectors, services
from policies.models import Policy, PolicyStatusChange
from spreadsheets.services import import_job_confirm, import_job_create
from spreadsheets.workbook import template_workbook, write_policies

from .import_factories import policy_row, table, upload, xlsx_bytes
from .policy_factories import InsurerFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
Status = Policy.Status
Frequency = Policy.Frequency


def at(day: date):
    moment = datetime.datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
    return time_machine.travel(moment, tick=False)


@pytest.mark.parametrize(
    ("frequency", "paid_to"),
    [
        (Frequency.ANNUAL, date(2025, 1, 31)),
        (Frequency.SEMI_ANNUAL, date(2024, 7, 31)),
        (Frequency.QUARTERLY, date(2024, 4, 30)),
        (Frequency.MONTHLY, date(2024, 2, 29)),  # 31 January + one month: month end
        (Frequency.SINGLE, date(2025, 1, 31)),
    ],
)
def test_the_first_period(frequency, paid_to):
    assert dates.first_period_paid_to(effective=date(2024, 1, 31), frequency=frequency) == paid_to


def create(client_obj, **kwargs) -> Policy:
    data = {
        "owner": client_obj.owner,
        "insurer": InsurerFactory(grace_days=60),
        "number": "N-1",
        "product_name": "康健重疾",
        "policy_type": Policy.Type.CRITICAL_ILLNESS,
        "holder": client_obj,
        "insured_client": client_obj,
        "effective_date": date(2026, 10, 1),
        "sum_assured": Decimal(300000),
        "premium": Decimal(8000),
        "payment_term_years": 20,
        "status": Status.IN_FORCE,
    }
    return services.policy_create(**(data | kwargs))


def test_a_policy_entered_in_force_is_paid_for_its_first_period(client_obj):
    with at(date(2026, 10, 2)):
        policy = create(client_obj)
    assert policy.premium_paid_to == date(2027, 10, 1)
    assert policy.premium_next_due == date(2027, 10, 1)
    for day in (date(2026, 10, 2), date(2026, 12, 5), date(2027, 2, 1)):
        with at(day):
            assert selectors.policy_premium_state(policy=policy).risk == dates.LapseRisk.OK
            assert services.policies_lapse_overdue(day) == {}
    policy.refresh_from_db()
    assert policy.status == Status.IN_FORCE


def test_unless_the_agent_says_the_first_premium_is_unpaid(client_obj):
    with at(date(2026, 10, 2)):
        policy = create(client_obj, first_premium_paid=False)
    assert (policy.premium_paid_to, policy.premium_next_due) == (None, date(2026, 10, 1))
    with at(date(2026, 11, 1)):
        assert selectors.policy_premium_state(policy=policy).risk == dates.LapseRisk.IN_GRACE
        assert services.policies_lapse_overdue(date(2026, 11, 1)) == {Status.GRACE: 1}


def test_a_monthly_policy_is_due_again_a_month_later(client_obj):
    policy = create(
        client_obj, effective_date=date(2026, 1, 31), payment_frequency=Frequency.MONTHLY
    )
    assert policy.premium_next_due == date(2026, 2, 28)
    with at(date(2026, 2, 20)):
        schedule = selectors.premium_schedule(policy=policy, today=date(2026, 2, 20))
    first = schedule.rows[0]
    assert (first.due_date, first.state, first.payment) == (date(2026, 1, 31), "paid", None)
    assert schedule.paid_count == 1
    assert date(2026, 1, 31) not in schedule.payable  # not offered to be paid again
    assert schedule.payable[0] == date(2026, 2, 28)


def test_moving_the_effective_date_moves_the_first_period(client_obj):
    policy = create(client_obj)
    services.policy_update(policy=policy, effective_date=date(2026, 11, 15))
    policy.refresh_from_db()
    assert policy.premium_paid_to == date(2027, 11, 15)
    assert policy.premium_next_due == date(2027, 11, 15)


def test_a_paid_up_to_date_before_the_effective_date_is_refused(client_obj):
    with pytest.raises(Exception) as exc:
        create(client_obj, premium_paid_to=date(2026, 9, 1))
    assert "premium_paid_to" in exc.value.message_dict
    assert not Policy.objects.exists() and not PolicyStatusChange.objects.exists()


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
        "payment_frequency": Frequency.ANNUAL,
        "payment_term_years": "20",
        "coverage_kind": Policy.Coverage.WHOLE_LIFE,
        "coverage_value": "",
        "effective_date": "2026-10-01",
        "status": Status.IN_FORCE,
        "first_premium_paid": "on",
        "riders-TOTAL_FORMS": "0",
        "riders-INITIAL_FORMS": "0",
        "beneficiaries-TOTAL_FORMS": "0",
        "beneficiaries-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(("ticked", "risk_badge_absent"), [("on", True), (None, False)])
def test_the_form_ticks_first_premium_paid(as_user, owner, client_obj, ticked, risk_badge_absent):
    insurer = InsurerFactory()
    with at(date(2026, 11, 1)):
        http = as_user(owner)
        page = http.get(reverse("policies:create"))
        assert page.context["form"]["first_premium_paid"].value() is True
        assert "首期保费已缴" in page.content.decode()
        response = http.post(
            reverse("policies:create"), form_data(client_obj, insurer, first_premium_paid=ticked)
        )
        assert response.status_code == 302
        policy = Policy.objects.get(number="NEW-001")
        state = http.get(response["Location"]).context["premium"]
    assert (state.risk != dates.LapseRisk.IN_GRACE) is risk_badge_absent
    assert (policy.premium_paid_to is not None) is risk_badge_absent


def test_the_edit_form_does_not_ask_again(as_user, owner, client_obj):
    policy = create(client_obj)
    page = as_user(owner).get(reverse("policies:edit", kwargs={"pk": policy.pk}))
    assert "first_premium_paid" not in page.context["form"].fields


# --- imports --------------------------------------------------------------------------------

HEADERS = [
    "客户姓名", "手机", "保险公司", "保单号", "产品名称", "险种", "保额", "保费",
    "缴费频率", "缴费年期", "生效日期", "保单状态", "缴至日期",
]  # fmt: skip


def import_rows(owner, rows, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(owner=owner, upload=upload(xlsx_bytes(table(rows, HEADERS))))
    job.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        import_job_confirm(job=job, only_valid=False)
    job.refresh_from_db()
    return job


@pytest.mark.parametrize("today", [date(2026, 12, 5), date(2027, 3, 20)])
def test_imported_policies_are_paid_up_to_the_import_day(
    owner, django_capture_on_commit_callbacks, today
):
    rows = [
        policy_row(number="OLD", 生效日期="2019-03-15"),
        policy_row(number="GIVEN", 生效日期="2019-03-15", 缴至日期="2025-03-15"),
        policy_row(number="GRACE", 生效日期="2019-03-15", 保单状态="宽限期"),
        policy_row(number="MONTHLY", 生效日期="2020-01-31", 缴费频率="月交"),
        policy_row(number="SINGLE", 生效日期="2020-05-01", 缴费频率="趸交", 缴费年期=""),
        policy_row(number="DONE", 生效日期="2000-06-01", 缴费年期="10"),
    ]
    with at(today):
        job = import_rows(owner, rows, django_capture_on_commit_callbacks)
        assert job.status == "done", list(job.row_errors.values_list("column", "message"))
        policies = {p.number: p for p in Policy.objects.select_related("insurer")}
        # Next due: the first due on or after the import day.
        next_march = date(today.year + (today >= date(today.year, 3, 15)), 3, 15)
        assert policies["OLD"].premium_paid_to == next_march
        assert policies["OLD"].premium_next_due == next_march
        assert policies["GIVEN"].premium_next_due == date(2025, 3, 15)  # the row's word
        last_march = date(next_march.year - 1, 3, 15)
        assert policies["GRACE"].premium_next_due == last_march  # the arrears it speaks of
        assert policies["MONTHLY"].premium_next_due >= today
        assert (today - policies["MONTHLY"].premium_next_due).days < 31
        assert policies["SINGLE"].premium_next_due is None
        assert policies["DONE"].premium_next_due is None  # the 10-year term has run out
        risks = {
            number: selectors.policy_premium_state(policy=p).risk for number, p in policies.items()
        }
        assert risks["OLD"] != dates.LapseRisk.IN_GRACE
        assert risks["MONTHLY"] != dates.LapseRisk.IN_GRACE
        assert risks["GIVEN"] == dates.LapseRisk.LAPSED  # paid to 2025: the row says so
        assert services.policies_lapse_overdue(today).get(Status.GRACE, 0) == 0


def test_a_paid_up_to_date_before_the_effective_date_is_a_row_problem(
    owner, django_capture_on_commit_callbacks
):
    rows = [policy_row(number="BAD", 生效日期="2024-03-15", 缴至日期="2023-03-15")]
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(owner=owner, upload=upload(xlsx_bytes(table(rows, HEADERS))))
    job.refresh_from_db()
    messages = list(job.row_errors.values_list("column", "message"))
    assert ("缴至日期", "缴至日期不能早于生效日期。") in messages


def test_the_template_and_the_export_carry_the_column(owner, client_obj):
    import io

    notes = load_workbook(io.BytesIO(template_workbook()))["说明"]
    help_rows = {row[0]: row for row in notes.iter_rows(values_only=True) if row and row[0]}
    assert "导入当天之前应缴的保费都算已缴" in help_rows["缴至日期"][3]
    with at(date(2026, 10, 2)):
        policy = create(client_obj)
    out = io.BytesIO()
    write_policies(out, [Policy.objects.select_related("insurer", "holder").get(pk=policy.pk)])
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    header, values = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert values[header.index("缴至日期")].date() == date(2027, 10, 1)
