"""Importing a generated .xlsx of clients with policies: wall time and peak memory.

Runs the two steps the Celery tasks run (`import_job_validate`, then `import_job_run`), on
a file in a real FileSystemStorage. Wall time is measured without tracemalloc; the memory
figures come from a second run of each size under tracemalloc (Python allocations, peak
of each step), at 2,500 and 10,000 rows, to show that memory does not grow with the file.
Run it alone with `.venv/bin/python bench/run.py bench.policy_import`.
"""

import datetime
import random
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.core.files import File
from django.test import override_settings
from openpyxl import Workbook

from agentcrm.accounts.models import User
from spreadsheets.columns import BY_KEY
from spreadsheets.models import ImportJob
from spreadsheets.services import import_job_run, import_job_validate

SIZES = (2_500, 10_000)
TIMED_SIZE = 10_000
HEADERS = [
    "客户姓名", "性别", "手机", "出生日期", "职业", "保险公司", "保单号", "产品名称", "险种",
    "保额", "保费", "缴费频率", "缴费年期", "保障期限", "生效日期", "保单状态",
]  # fmt: skip
INSURERS = ["中国人寿", "中国平安人寿", "太平洋人寿", "新华保险", "泰康人寿"]
PRODUCTS = [("福寿终身寿险", "寿险"), ("康健重疾险", "重疾险"), ("安心医疗险", "医疗险")]


def generate(path: Path, rows: int, *, tag: str) -> None:
    """`rows` rows; one client in four has a second policy on the next row."""
    assert all(h in {c.header for c in BY_KEY.values()} for h in HEADERS)
    rng = random.Random(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("客户与保单")
    sheet.append(HEADERS)
    client = 0
    for i in range(rows):
        if i % 4 != 1:  # rows 1, 5, 9… repeat the previous row's client
            client += 1
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=(client * 37) % 20000)
        product, kind = PRODUCTS[i % len(PRODUCTS)]
        sheet.append(
            [
                f"客户{tag}{client:05d}",
                "男" if client % 2 else "女",
                13800000000 + client,  # stored as a number, as Excel does
                born,
                "教师",
                INSURERS[i % len(INSURERS)],
                f"{tag}{i:08d}",
                product,
                kind,
                rng.choice([100000, 300000, 500000]),
                rng.choice([3000, 8000, 12000]),
                "年交",
                rng.choice([10, 20, 30]),
                "终身",
                datetime.date(2015, 1, 1) + datetime.timedelta(days=i % 3000),
                "有效",
            ]
        )
    workbook.save(path)


def _job(agent: User, path: Path) -> ImportJob:
    job = ImportJob(owner=agent, original_name=path.name, kind="xlsx")
    with path.open("rb") as handle:
        job.file.save(path.name, File(handle), save=False)
    job.save()
    return job


def _import(agent: User, path: Path, *, trace: bool) -> dict:
    job = _job(agent, path)
    figures = {}
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    job = import_job_validate(job_id=job.pk)
    figures["validate_s"] = round(time.perf_counter() - start, 2)
    assert job.status == ImportJob.Status.VALIDATED and job.error_rows == 0, job.message
    if trace:
        figures["validate_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.reset_peak()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    start = time.perf_counter()
    job = import_job_run(job_id=job.pk)
    figures["import_s"] = round(time.perf_counter() - start, 2)
    assert job.status == ImportJob.Status.DONE, job.message
    if trace:
        figures["import_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    figures["total_s"] = round(figures["validate_s"] + figures["import_s"], 2)
    figures["clients"] = job.clients_created
    figures["policies"] = job.policies_created
    return figures


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run(*, report, timed) -> None:
    with tempfile.TemporaryDirectory() as media:
        storage = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(MEDIA_ROOT=media, STORAGES=storage):
            folder = Path(media)
            files = {}
            for size in SIZES:
                files[size] = folder / f"book-{size}.xlsx"
                generate(files[size], size, tag=f"T{size}")
            timed_file = folder / "book-timed.xlsx"
            generate(timed_file, TIMED_SIZE, tag="W")
            size_kb = timed_file.stat().st_size // 1024

            rss_before = _maxrss_mb()
            agent = User.objects.create_user("bench-import-timed", password="x")
            figures = _import(agent, timed_file, trace=False)
            report(
                f"import {TIMED_SIZE:,} rows (.xlsx, {size_kb} KB)",
                **figures,
                maxrss_growth_mb=round(_maxrss_mb() - rss_before, 1),
            )
            for size in SIZES:
                agent = User.objects.create_user(f"bench-import-{size}", password="x")
                figures = _import(agent, files[size], trace=True)
                report(
                    f"import {size:,} rows under tracemalloc",
                    validate_peak_mb=figures["validate_peak_mb"],
                    import_peak_mb=figures["import_peak_mb"],
                    total_s=figures["total_s"],
                )
