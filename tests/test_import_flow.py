"""Import from upload to done: the check (preview) writes nothing but the report, bad rows
get row-level messages, a file with problems writes nothing unless the agent imports only
the valid rows, the import is all or nothing, a task delivered twice works once, and an
export imports back."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from clients.models import Client
from policies.models import Insurer, Policy, PolicyStatusChange
from policies.services import policy_create, policy_premium_refresh
from spreadsheets import services as importing_services
from spreadsheets import tasks
from spreadsheets.models import ImportJob
from spreadsheets.rows import RowChecker
from spreadsheets.services import (
    import_job_confirm,
    import_job_create,
    import_job_run,
    import_job_validate,
    import_jobs_expire,
)
from touches.build import touch_build_now

from .factories import ClientFactory
from .import_factories import (
    HEADERS,
    csv_bytes,
    policy_row,
    read_xlsx,
    table,
    upload,
    xlsx_bytes,
)
from .policy_factories import InsurerFactory, PolicyFactory


@pytest.fixture(autouse=True)
def english_messages():
    """The messages are asserted in English; the UI's default language is Chinese."""
    with translation.override("en"):
        yield


Status = ImportJob.Status


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the tasks queued with transaction.on_commit (eagerly, as in tests)."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def checked(owner, run_on_commit):
    """Upload a file through the service and return the job after its check."""

    def check(content: bytes, name: str = "book.xlsx") -> ImportJob:
        with run_on_commit():
            job = import_job_create(owner=owner, upload=upload(content, name))
        job.refresh_from_db()
        return job

    return check


@pytest.fixture
def imported(run_on_commit):
    def run(job: ImportJob, *, only_valid: bool = False) -> ImportJob:
        with run_on_commit():
            import_job_confirm(job=job, only_valid=only_valid)
        job.refresh_from_db()
        return job

    return run


def problems(job: ImportJob) -> list[tuple]:
    return list(job.row_errors.values_list("row", "column", "kind"))


def nothing_written(owner) -> bool:
    return not Client.objects.filter(owner=owner).exists() and not Policy.objects.exists()


# -- the happy path ------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_preview_confirm_through_the_pages(as_user, owner, run_on_commit):
    http = as_user(owner)
    rows = [
        policy_row(),
        policy_row(number="P0002", 险种="重疾险", 产品名称="康健重疾险"),  # same client
        policy_row(name="李雷", mobile="139 0013 9000", number="P0003", 性别="男"),
    ]
    with run_on_commit():
        response = http.post(reverse("imports:index"), {"file": upload(xlsx_bytes(table(rows)))})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", kwargs={"pk": job.pk})
    assert (job.status, job.total_rows, job.valid_rows, job.error_rows) == (
        Status.VALIDATED,
        3,
        3,
        0,
    )
    assert job.new_insurers == ["中国平安人寿"]
    assert nothing_written(owner)  # the check writes nothing but its report
    page = http.get(response["Location"]).content.decode()
    assert "中国平安人寿" in page and 'value="all"' in page

    with run_on_commit():
        response = http.post(reverse("imports:confirm", kwargs={"pk": job.pk}), {"mode": "all"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.clients_created, job.policies_created) == (Status.DONE, 2, 3)
    assert job.file.name == ""  # the uploaded file is deleted once imported

    wang = Client.objects.get(owner=owner, name="王芳")
    assert str(wang.mobile) == "+8613800138000"
    assert (wang.gender, wang.birth_date, wang.stage) == (
        "female",
        datetime.date(1985, 6, 15),
        "client",
    )
    assert wang.birth_md == 615
    policy = Policy.objects.get(number="P0002")
    assert policy.owner == owner and policy.holder == wang and policy.insured_client == wang
    assert policy.insurer.name == "中国平安人寿"
    assert policy.policy_type == Policy.Type.CRITICAL_ILLNESS
    assert (policy.sum_assured, policy.premium) == (Decimal("500000.00"), Decimal("12000.00"))
    assert (policy.payment_frequency, policy.payment_term_years) == ("annual", 20)
    assert policy.status == Policy.Status.IN_FORCE
    assert policy.anniversary_md == 315
    step = policy.status_history.get()
    assert (step.from_status, step.to_status, step.by) == ("", "in_force", owner)
    assert Client.objects.get(name="李雷").gender == "male"


@pytest.mark.django_db
def test_imported_policies_have_the_premium_dates_policy_create_stores(checked, imported):
    rows = [
        policy_row(number="A1"),
        policy_row(number="A2", 缴费频率="月交", 生效日期="2024-01-31"),
        policy_row(number="A3", 缴费频率="趸交", 缴费年期=""),
    ]
    imported(checked(xlsx_bytes(table(rows))))
    for policy in Policy.objects.select_related("insurer"):
        stored = (policy.premium_next_due, policy.premium_grace_end)
        assert policy_premium_refresh(policy=policy)
        assert stored == (policy.premium_next_due, policy.premium_grace_end)
    assert Policy.objects.get(number="A3").payment_term_years == 1  # as policy_create


@pytest.mark.django_db
def test_english_headers_in_a_csv(owner, checked, imported):
    cells = [
        ["Name", "Mobile", "Insurer", "Policy number", "Product", "Type", "Sum assured",
         "Premium", "Payment frequency", "Payment term", "Effective date", "Status"],
        ["Li Lei", "13900139000", "AIA", "AIA-1", "Life Plus", "Life", "1,000,000", "20000",
         "Annual", "10", "2023-05-01", "In force"],
    ]  # fmt: skip
    job = imported(checked(csv_bytes(cells), "book.csv"))
    assert job.status == Status.DONE
    policy = Policy.objects.get(number="AIA-1")
    assert (policy.holder.name, policy.sum_assured) == ("Li Lei", Decimal("1000000"))


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_utf8_or_gbk(owner, checked, imported, encoding):
    job = checked(
        csv_bytes(
            table([policy_row(), policy_row(name="张伟", mobile="13700137000", number="P2")]),
            encoding,
        ),
        "book.csv",
    )  # noqa: E501
    assert job.status == Status.VALIDATED and job.valid_rows == 2
    assert job.encoding in {"UTF-8", "UTF-8 (BOM)", "GB18030 / GBK"}
    imported(job)
    assert set(Client.objects.filter(owner=owner).values_list("name", flat=True)) == {
        "王芳",
        "张伟",
    }
    assert Insurer.objects.filter(name="中国平安人寿").exists()


@pytest.mark.django_db
def test_numbers_stored_as_numbers_and_leading_zeros(owner, checked, imported):
    headers = ["客户姓名", "手机", "微信号", "保险公司", "保单号", "产品名称", "险种", "保额",
               "保费", "缴费年期", "生效日期"]  # fmt: skip
    cells = [
        headers,
        # Excel stored the phone and the sum as numbers, the date as a date; the policy
        # number and the WeChat ID are text cells with leading zeros.
        ["王芳", 13800138000, "0086wf", "国寿", "000123", "福", "寿险", 500000.0, 12000, 20.0,
         datetime.datetime(2024, 3, 15)],
    ]  # fmt: skip
    imported(checked(xlsx_bytes(cells)))
    client = Client.objects.get(owner=owner)
    assert str(client.mobile) == "+8613800138000" and client.wechat_id == "0086wf"
    assert Policy.objects.get().number == "000123"


@pytest.mark.django_db
def test_same_client_on_several_rows_is_one_client(owner, checked, imported):
    rows = [
        policy_row(number="P1"),
        policy_row(number="P2", 出生日期=""),  # same mobile
        policy_row(name="赵敏", mobile="", number="P3"),
        policy_row(name="赵敏", mobile="", number="P4"),  # same name and birth date
        {"客户姓名": "钱多多", "手机": "13600136000"},  # a client without a policy
    ]
    job = imported(checked(xlsx_bytes(table(rows))))
    assert (job.clients_created, job.policies_created) == (3, 4)
    assert Client.objects.get(name="王芳").policies_held.count() == 2
    assert Client.objects.get(name="赵敏").policies_held.count() == 2
    assert Client.objects.get(name="钱多多").stage == Client.Stage.PROSPECT


@pytest.mark.django_db
def test_a_later_policy_row_makes_a_prospect_a_client(owner, checked, imported):
    rows = [{"客户姓名": "王芳", "手机": "13800138000"}, policy_row()]
    imported(checked(xlsx_bytes(table(rows))))
    assert Client.objects.get(owner=owner).stage == Client.Stage.CLIENT


# -- bad files and bad rows ----------------------------------------------------------------

BAD_ROWS = {
    "bad phone": ({"手机": "12345"}, "手机", "error"),
    "bad date": ({"生效日期": "2024-02-30"}, "生效日期", "error"),
    "future birth date": ({"出生日期": "2999-01-01"}, "出生日期", "error"),
    "negative premium": ({"保费": "-100"}, "保费", "error"),
    "unknown type": ({"险种": "宠物险"}, "险种", "error"),
    "unknown frequency": ({"缴费频率": "每两年"}, "缴费频率", "error"),
    "missing effective date": ({"生效日期": ""}, "生效日期", "error"),
    "missing name": ({"客户姓名": ""}, "客户姓名", "error"),
    "product too long": ({"产品名称": "长" * 201}, "产品名称", "error"),
    "regular premium without a term": ({"缴费年期": ""}, "缴费年期", "error"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_each_bad_row_is_reported_and_nothing_is_written(
    owner, as_user, checked, run_on_commit, case
):
    change, column, kind = BAD_ROWS[case]
    rows = [
        policy_row(number="OK1"),
        policy_row(name="坏行", mobile="13900139000", number="B1", **change),
    ]
    job = checked(xlsx_bytes(table(rows)))
    assert job.status == Status.VALIDATED
    assert (job.valid_rows, job.error_rows) == (1, 1)
    assert (3, column, kind) in problems(job)  # spreadsheet row 3, the column as in the file
    assert all(row == 3 for row, _, _ in problems(job))

    http = as_user(owner)
    with run_on_commit():
        response = http.post(reverse("imports:confirm", kwargs={"pk": job.pk}), {"mode": "all"})
    assert response.status_code == 400
    job.refresh_from_db()
    assert job.status == Status.VALIDATED
    assert nothing_written(owner) and not Insurer.objects.exists()


@pytest.mark.django_db
def test_duplicates_in_the_file_and_against_the_book(owner, checked):
    existing = ClientFactory(owner=owner, name="老客户", mobile="+8613500135000")
    PolicyFactory(holder=existing, insurer=InsurerFactory(name="中国平安人寿"), number="OLD-1")
    rows = [
        policy_row(number="P1"),
        policy_row(name="另一人", mobile="13700137000", number="P1"),  # policy twice in file
        policy_row(name="老客户", mobile="13500135000", number="P9"),  # client exists
        policy_row(name="新客户", mobile="13600136000", number="OLD-1"),  # policy exists
        policy_row(name="冒名", mobile="13800138000", number="P5"),  # row 2's mobile, new name
    ]
    job = checked(xlsx_bytes(table(rows)))
    assert (job.valid_rows, job.duplicate_rows, job.error_rows) == (1, 3, 1)
    assert set(problems(job)) == {
        (3, "保单号", "duplicate"),
        (4, "手机", "duplicate"),
        (5, "保单号", "duplicate"),
        (6, "手机", "error"),
    }
    messages = dict(job.row_errors.values_list("row", "message"))
    assert "老客户" in messages[4] and "2" in messages[3] and "王芳" in messages[6]
    with pytest.raises(ValidationError):
        import_job_confirm(job=job, only_valid=False)


@pytest.mark.django_db
def test_the_preview_uses_the_one_duplicate_rule(owner, teammate, checked):
    """clients.selectors.duplicates_in_book, as on client entry and referral: the same ID
    number is a duplicate (named by its column), a name alone is not, and a client merged
    away or another agent's client never is."""
    from clients.id_numbers import id_number_check_char

    first17 = "11010519850615002"
    number = first17 + id_number_check_char(first17)  # born 1985-06-15, a woman
    known = ClientFactory(owner=owner, name="王晓芳", mobile="+8613911110000", id_number=number)
    ClientFactory(owner=owner, name="李雷", mobile="+8613911110001", birth_date=None)
    kept = ClientFactory(owner=owner, name="韩梅", mobile="+8613911110002")
    ClientFactory(owner=owner, name="韩梅梅", mobile="+8613700137000", merged_into=kept)
    ClientFactory(owner=teammate, name="别人的", mobile="+8613600136000")
    headers = [*HEADERS, "身份证号"]
    rows = [
        policy_row(number="P1", 身份证号=number),  # 王芳 with 王晓芳's ID number
        policy_row(name="李雷", mobile="", number="P2", 出生日期=""),  # a name alone
        policy_row(name="韩梅梅", mobile="13700137000", number="P3"),  # merged away
        policy_row(name="别人的", mobile="13600136000", number="P4"),  # another agent's
    ]
    job = checked(xlsx_bytes(table(rows, headers=headers)))
    assert problems(job) == [(2, "身份证号", "duplicate")]
    message = job.row_errors.get().message
    assert known.name in message and "ID number" in message
    assert (job.valid_rows, job.duplicate_rows) == (3, 1)


@pytest.mark.django_db
def test_other_agents_clients_are_not_duplicates(owner, teammate, checked):
    ClientFactory(owner=teammate, name="王芳", mobile="+8613800138000")
    job = checked(xlsx_bytes(table([policy_row()])))
    assert (job.valid_rows, job.duplicate_rows) == (1, 0)


@pytest.mark.django_db
def test_only_the_valid_rows(owner, checked, imported):
    rows = [
        policy_row(number="P1"),
        policy_row(name="坏", mobile="13900139000", number="P2", 保费="-1"),
        policy_row(name="好", mobile="13700137000", number="P3"),
        policy_row(name="重复", mobile="13600136000", number="P1"),
    ]
    job = imported(checked(xlsx_bytes(table(rows))), only_valid=True)
    assert job.status == Status.DONE and job.only_valid
    assert (job.imported_rows, job.clients_created, job.policies_created) == (2, 2, 2)
    assert set(Policy.objects.values_list("number", flat=True)) == {"P1", "P3"}
    assert set(Client.objects.values_list("name", flat=True)) == {"王芳", "好"}


@pytest.mark.django_db
def test_only_valid_rows_takes_the_client_from_a_valid_row(owner, checked, imported):
    rows = [
        policy_row(number="P1", 生效日期="bad", 职业="教师"),
        policy_row(number="P2", 出生日期=""),
    ]
    headers = [*HEADERS, "职业"]
    imported(checked(xlsx_bytes(table(rows, headers))), only_valid=True)
    client = Client.objects.get(owner=owner)
    assert client.policies_held.get().number == "P2"
    assert (client.birth_date, client.occupation) == (None, "")  # nothing of row 2 is used


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (csv_bytes([["手机", "保单号"], ["13800138000", "P1"]]), "a.csv", "客户姓名"),
        (csv_bytes([["客户姓名", "手机"]]), "a.csv", "no rows"),
        (b"PK\x03\x04garbage", "a.xlsx", "could not be opened"),
    ],
)
def test_unreadable_files_fail_with_a_message(owner, checked, content, name, message):
    job = checked(content, name)
    assert job.status == Status.FAILED and message in job.message
    assert job.file.name == ""


@pytest.mark.django_db
@override_settings(IMPORT_MAX_ROWS=2)
def test_too_many_rows(owner, checked):
    rows = [policy_row(number=f"P{i}", mobile=f"1380013800{i}") for i in range(3)]
    job = checked(xlsx_bytes(table(rows)))
    assert job.status == Status.FAILED and "2" in job.message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "a.csv"),
        (b"PK\x03\x04old", "a.doc"),
        (b"%PDF-1.4", "a.pdf"),
        (b"x" * 11, "a.csv"),
    ],
)
@override_settings(IMPORT_MAX_UPLOAD_BYTES=10)
def test_upload_refuses_what_is_not_a_spreadsheet(as_user, owner, content, name):
    response = as_user(owner).post(reverse("imports:index"), {"file": upload(content, name)})
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


# -- all or nothing, at most once ----------------------------------------------------------


@pytest.mark.django_db
def test_a_failure_mid_import_leaves_nothing(owner, checked, run_on_commit, monkeypatch):
    rows = [
        policy_row(number=f"P{i}", mobile=f"1380013800{i}", 客户姓名=f"客户{i}") for i in range(5)
    ]
    job = checked(xlsx_bytes(table(rows)))
    monkeypatch.setattr(importing_services, "BATCH_ROWS", 2)
    real_write, calls = importing_services._write, []

    def write_then_fail(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_write(**kwargs)

    monkeypatch.setattr(importing_services, "_write", write_then_fail)
    with pytest.raises(RuntimeError), run_on_commit():
        import_job_confirm(job=job, only_valid=False)
    job.refresh_from_db()
    assert len(calls) == 3  # two batches were written before the failure
    assert job.status == Status.FAILED and "nothing was imported" in job.message
    assert nothing_written(owner) and not Insurer.objects.exists()
    assert not PolicyStatusChange.objects.exists()


@pytest.mark.django_db
def test_rows_that_changed_since_the_check_stop_an_import_of_every_row(owner, checked, imported):
    job = checked(
        xlsx_bytes(
            table([policy_row(), policy_row(name="李雷", mobile="13900139000", number="P2")])
        )
    )  # noqa: E501
    ClientFactory(owner=owner, name="李雷", mobile="+8613900139000")  # added meanwhile
    job = imported(job)
    assert job.status == Status.FAILED
    assert Client.objects.filter(owner=owner).count() == 1 and not Policy.objects.exists()
    assert problems(job) == [(3, "手机", "duplicate")]


@pytest.mark.django_db
def test_a_redelivered_task_does_nothing_twice(owner, checked, imported):
    job = checked(
        xlsx_bytes(
            table(
                [policy_row(保费="-1"), policy_row(name="李雷", mobile="13900139000", number="P2")]
            )
        )
    )  # noqa: E501
    tasks.import_validate(job.pk)  # the check delivered again
    assert job.row_errors.count() == 1
    job = imported(job, only_valid=True)
    assert job.status == Status.DONE
    tasks.import_run(job.pk)  # the import delivered again
    tasks.import_validate(job.pk)
    assert Policy.objects.count() == 1 and Client.objects.filter(owner=owner).count() == 1
    job.refresh_from_db()
    assert job.status == Status.DONE and job.attempt == 2


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_taken_over(owner, checked):
    job = checked(xlsx_bytes(table([policy_row()])))
    stale = timezone.now() - importing_services.STALE_AFTER - datetime.timedelta(minutes=1)
    ImportJob.objects.filter(pk=job.pk).update(status=Status.IMPORTING, progress_at=stale)
    assert import_job_run(job_id=job.pk).status == Status.DONE
    assert Policy.objects.count() == 1


@pytest.mark.django_db
def test_a_running_job_is_not_taken_over(owner, checked):
    job = checked(xlsx_bytes(table([policy_row()])))
    ImportJob.objects.filter(pk=job.pk).update(status=Status.IMPORTING, progress_at=timezone.now())
    assert import_job_run(job_id=job.pk) is None
    assert import_job_validate(job_id=job.pk) is None
    assert not Policy.objects.exists()


@pytest.mark.django_db
def test_confirming_twice_queues_one_import(owner, checked, imported):
    job = imported(checked(xlsx_bytes(table([policy_row()]))))
    with pytest.raises(ValidationError):
        import_job_confirm(job=job, only_valid=True)
    assert Policy.objects.count() == 1


# -- the same rules as policy_create -------------------------------------------------------

RULES = {
    "application after effective": (
        {"投保日期": "2024-04-01"},
        {"application_date": datetime.date(2024, 4, 1)},
    ),
    "regular premium for 0 years": ({"缴费年期": "0"}, {"payment_term_years": 0}),
    "term cover without years": (
        {"保障期限": "0年"},
        {"coverage_kind": Policy.Coverage.YEARS, "coverage_value": 0},
    ),
    "product name too long": ({"产品名称": "长" * 201}, {"product_name": "长" * 201}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(RULES))
def test_rows_break_the_rules_policy_create_enforces(owner, client_obj, case):
    cells, changes = RULES[case]
    kwargs = {
        "owner": owner,
        "insurer": InsurerFactory(),
        "number": "RULE-1",
        "product_name": "福",
        "policy_type": Policy.Type.LIFE,
        "holder": client_obj,
        "insured_client": client_obj,
        "effective_date": datetime.date(2024, 3, 15),
        "sum_assured": Decimal(1000),
        "premium": Decimal(100),
        "payment_term_years": 20,
    }
    with pytest.raises(ValidationError):
        policy_create(**kwargs | changes)
    headers = [*HEADERS, "投保日期", "保障期限"]
    cells_in_file = table([policy_row(**cells)], headers)
    checker = RowChecker(owner=owner, columns=dict(enumerate(_columns(headers))))
    (row,) = checker.check([(2, cells_in_file[1])])
    assert row.status == "error" and row.policy is None


def _columns(headers):
    from spreadsheets.columns import BY_HEADER, header_key

    return [BY_HEADER[header_key(h)] for h in headers]


# -- exports -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_then_import_gives_the_same_book(owner, as_user, checked, imported):
    wang = ClientFactory(
        owner=owner,
        name="王芳",
        mobile="+8613800138000",
        phone_other="+862164381234",
        gender="female",
    )
    li = ClientFactory(owner=owner, name="李雷", mobile="+8613900139000", birth_date=None)
    insurer = InsurerFactory(name="中国人寿")
    PolicyFactory(
        holder=wang,
        insurer=insurer,
        number="000123",
        coverage_kind="to_age",
        coverage_value=70,
        payment_frequency="monthly",
        premium=Decimal("800.50"),
    )
    PolicyFactory(
        holder=wang,
        insurer=insurer,
        number="P-2",
        policy_type="medical",
        status="lapsed",
        application_date=datetime.date(2024, 3, 1),
    )
    PolicyFactory(
        holder=li,
        insurer=insurer,
        number="P-3",
        coverage_kind="years",
        coverage_value=20,
        payment_frequency="single",
        payment_term_years=1,
    )
    fields = [
        "holder__name", "holder__mobile", "holder__phone_other", "holder__gender",
        "holder__birth_date", "insurer__name",
        "number", "product_name", "policy_type", "sum_assured", "premium", "currency",
        "payment_frequency", "payment_term_years", "coverage_kind", "coverage_value",
        "application_date", "effective_date", "status",
    ]  # fmt: skip
    before = sorted(Policy.objects.values_list(*fields))

    response = as_user(owner).get(reverse("imports:export_policies"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content)
    exported = read_xlsx(content)
    assert exported[0][:3] == ["客户姓名", "性别", "手机"] and len(exported) == 4
    assert ["王芳", "女", "13800138000", "02164381234"] in [row[:4] for row in exported]

    PolicyStatusChange.objects.all().delete()
    Policy.objects.all().delete()
    Client.objects.all().delete()
    job = imported(checked(content))
    assert job.status == Status.DONE, job.message
    assert sorted(Policy.objects.values_list(*fields)) == before


@pytest.mark.django_db
def test_client_export_imports_back(owner, teammate, as_user, run_on_commit):
    ClientFactory(owner=owner, name="王芳", mobile="+8613800138000", occupation="教师")
    ClientFactory(owner=owner, name="无手机", mobile="", birth_date=datetime.date(1990, 1, 2))
    content = b"".join(as_user(owner).get(reverse("imports:export_clients")).streaming_content)
    with run_on_commit():
        job = import_job_create(owner=teammate, upload=upload(content))
    job.refresh_from_db()
    assert job.valid_rows == 2
    with run_on_commit():
        import_job_confirm(job=job, only_valid=False)
    assert set(
        Client.objects.filter(owner=teammate).values_list("name", "occupation", "birth_date")
    ) == {("王芳", "教师", datetime.date(1985, 6, 15)), ("无手机", "", datetime.date(1990, 1, 2))}


@pytest.mark.django_db
def test_template_has_every_column_and_imports_its_example(owner, as_user, checked, imported):
    response = as_user(owner).get(reverse("imports:template"))
    content = b"".join(response.streaming_content)
    cells = read_xlsx(content)
    assert cells[0][0] == "客户姓名" and "保单号" in cells[0] and "缴费频率" in cells[0]
    job = imported(checked(content))
    assert (job.status, job.clients_created, job.policies_created) == (Status.DONE, 1, 1)


@pytest.mark.django_db
def test_unconfirmed_imports_expire_and_lose_their_file(owner, checked, time_machine):
    old = checked(xlsx_bytes(table([policy_row()])))
    done = checked(xlsx_bytes(table([policy_row(number="P2")])))
    ImportJob.objects.filter(pk=done.pk).update(status=Status.DONE)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=8))
    fresh = checked(xlsx_bytes(table([policy_row(number="P3")])))
    assert import_jobs_expire() == 1
    old.refresh_from_db(), fresh.refresh_from_db()
    assert old.status == Status.FAILED and old.file.name == "" and "7" in old.message
    assert fresh.status == Status.VALIDATED and fresh.file.name
    with pytest.raises(ValidationError):
        import_job_confirm(job=old, only_valid=True)


@pytest.mark.django_db
def test_the_nightly_run_deletes_expired_uploads(owner, checked, time_machine):
    """Expiry is a nightly step, after the policies lapse: an upload never confirmed loses
    its file (clients' personal data) once it has waited a week."""
    from django.core.files.storage import default_storage

    from agentcrm.core.services import nightly_run, nightly_steps

    steps = list(nightly_steps())
    assert steps.index("policies_lapse_overdue") < steps.index("import_jobs_expire")
    old = checked(xlsx_bytes(table([policy_row()])))
    stored = old.file.name
    assert old.status == Status.VALIDATED and default_storage.exists(stored)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=6))
    nightly_run(day=timezone.localdate())
    old.refresh_from_db()
    assert old.status == Status.VALIDATED and default_storage.exists(stored)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=2))
    nightly_run(day=timezone.localdate())
    old.refresh_from_db()
    assert old.status == Status.FAILED and old.file.name == ""
    assert not default_storage.exists(stored)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_import_transaction_is_open(owner, monkeypatch):
    """PostgreSQL: another connection (the job page) sees the progress of the import, and
    none of its rows, until the import commits."""
    from django.db import DEFAULT_DB_ALIAS, connections

    rows = [
        policy_row(number=f"P{i}", mobile=f"1380013800{i}", 客户姓名=f"客户{i}") for i in range(4)
    ]
    job = import_job_create(owner=owner, upload=upload(xlsx_bytes(table(rows))))
    job.refresh_from_db()  # checked already: without a test transaction on_commit runs at once
    assert job.status == Status.VALIDATED
    ImportJob.objects.filter(pk=job.pk).update(status=Status.QUEUED)
    monkeypatch.setattr(importing_services, "BATCH_ROWS", 2)
    real_write, seen = importing_services._write, []
    page = connections.create_connection(DEFAULT_DB_ALIAS)

    def write_and_look(**kwargs):
        result = real_write(**kwargs)
        with page.cursor() as cursor:
            cursor.execute("SELECT processed_rows FROM policies_importjob WHERE id = %s", [job.pk])
            processed = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM clients_client WHERE owner_id = %s", [owner.pk])
            seen.append((processed, cursor.fetchone()[0]))
        return result

    monkeypatch.setattr(importing_services, "_write", write_and_look)
    try:
        assert import_job_run(job_id=job.pk).status == Status.DONE
    finally:
        page.close()
    assert seen == [(0, 0), (2, 0)]  # the second batch sees the first one's progress only
    assert Client.objects.filter(owner=owner).count() == 4


def test_the_queries_of_an_import_do_not_grow_with_its_rows(
    owner, django_capture_on_commit_callbacks, monkeypatch
):
    """Both steps query per batch, never per row: 40 rows and 400 rows (one batch each, a
    client with two policies on every other row, as agents' books have them) cost the
    same number of queries. (The touch rebuild reads both sets of clients from its
    temporary table, as it does for an import's thousands.)"""
    monkeypatch.setattr("touches.build.CLIENT_SET_TABLE_FROM", 10)
    InsurerFactory(name="中国平安人寿")  # both files name an insurer the book has
    touch_build_now(today=timezone.localdate())  # so the import builds its touches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    soon = timezone.localdate() + datetime.timedelta(days=3)

    def book(size: int, tag: str) -> bytes:
        rows = [
            policy_row(
                name=f"客户{tag}{i // 2}",
                mobile=f"139{tag}{i // 2:07d}",
                number=f"{tag}-{i}",
                出生日期=f"1985-{soon:%m-%d}",  # birthdays in the built days: touches
            )
            for i in range(size)
        ]
        return csv_bytes(table(rows))

    counts = []
    for size, tag in ((40, "1"), (400, "2")):
        with django_capture_on_commit_callbacks(execute=False):
            job = import_job_create(owner=owner, upload=upload(book(size, tag), "book.csv"))
        with CaptureQueriesContext(connection) as checked:
            job = import_job_validate(job_id=job.pk)
        assert job.status == Status.VALIDATED and job.error_rows == 0
        ImportJob.objects.filter(pk=job.pk).update(status=Status.QUEUED)
        with CaptureQueriesContext(connection) as imported:
            job = import_job_run(job_id=job.pk)
        assert job.status == Status.DONE and job.policies_created == size
        assert job.touches_total > 0
        counts.append((len(checked), len(imported)))
    assert counts[0] == counts[1]
