"""Importing a 10,000-row workbook in agents' own format (issue 12): a title row above the
header, the client's cells merged over their policy rows, agents' Chinese headers (姓名,
电话, 身份证号, 险种 as the product, 年缴保费, 交费年限), dates in mixed forms (date cells,
"2015 年 3 月 30 日", full-width "２０１８－０６－０１", "2019/5/6").

Figures: the check and the import (wall time), the peak of Python allocations of each step
(a second run under tracemalloc), and the time until the book's touches are on the
dashboard: the set-based rebuild the import runs in its transaction
(touches.registry.touches_rebuild_for_clients), timed inside it. Aim: ≤ 20 s in all and
≤ 2 s for the touches. Also the CPU time of this process for both steps (cpu_s: the machine
may be shared, wall times are then noise) and the process's ru_maxrss. Run alone:
`.venv/bin/python bench/run.py bench.agents_book`; the hot spots: bench.import_profile.
"""

import datetime
import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.core.files import File
from django.test import override_settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange

from agentcrm.accounts.models import User
from clients.id_numbers import id_number_check_char
from spreadsheets import services
from spreadsheets.models import ImportJob
from touches.build import touch_build_now

ROWS = int(os.environ.get("BENCH_BOOK_ROWS", "10000"))
HEADERS = ["姓名", "性别", "电话", "身份证号", "出生日期", "保险公司", "保单号", "险种",
           "基本保额", "年缴保费", "交费年限", "生效日期"]  # fmt: skip
INSURERS = ["中国人寿", "中国平安人寿", "太平洋人寿", "新华保险", "泰康人寿"]
PRODUCTS = ["福寿终身寿险", "康健重疾险", "安心医疗险", "金色年华年金", "两全保险"]
FULL = str.maketrans("0123456789-", "０１２３４５６７８９－")


def _id(born: datetime.date, n: int) -> str:
    # Distinct for every client of the book (n // 40: the clients born on today's date are
    # the multiples of 40), so no two clients share an ID number.
    first17 = f"110105{born:%Y%m%d}{(n // 40) % 100:02d}{1 if n % 2 else 2}"  # odd: a man
    return first17 + id_number_check_char(first17)


def _date(day: datetime.date, n: int):
    form = n % 4
    if form == 0:
        return day
    if form == 1:
        return f"{day.year} 年 {day.month} 月 {day.day} 日"
    if form == 2:
        return day.isoformat().translate(FULL)
    return f"{day.year}/{day.month}/{day.day}"


def generate(path: Path, rows: int, *, tag: str) -> None:
    """Two policy rows per client, the client's cells merged over both (normal-mode
    openpyxl: merges need it)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([f"{tag} 客户保单明细（截至2026年）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.append(HEADERS)
    today = timezone.localdate()
    for i in range(rows):
        client = i // 2
        first = i % 2 == 0
        # Birthdays spread over the year, so some fall in the coming days.
        born = datetime.date(1960 + client % 40, 1, 1) + datetime.timedelta(days=client % 365)
        if client % 40 == 0:
            born = born.replace(month=today.month, day=min(today.day, 28))
        effective = datetime.date(2012, 1, 1) + datetime.timedelta(days=(i * 7) % 4000)
        sheet.append(
            [
                f"客户{tag}{client:05d}" if first else None,
                ("男" if client % 2 else "女") if first else None,
                f"139{client:08d}" if first else None,
                _id(born, client) if first and client % 3 == 0 else None,
                _date(born, client) if first else None,
                INSURERS[client % len(INSURERS)] if first else None,
                f"{tag}{i:08d}",
                PRODUCTS[i % len(PRODUCTS)],
                "50万" if i % 3 else 300000,
                [3000, "8,000", 12000][i % 3],
                f"{[10, 20, 30][i % 3]}年",
                _date(effective, i),
            ]
        )
    # The merges set at once: merge_cells() one at a time checks each against every range
    # so far (minutes for 30,000). The cells a merge covers are empty already.
    merges = [
        CellRange(min_col=column, min_row=start, max_col=column, max_row=start + 1)
        for start in range(3, rows + 3, 2)
        for column in range(1, 7)
    ]
    sheet.merged_cells = MultiCellRange({*sheet.merged_cells.ranges, *merges})
    workbook.save(path)


def _run(agent: User, path: Path, *, trace: bool) -> dict:
    job = ImportJob(owner=agent, original_name=path.name, kind="xlsx")
    with path.open("rb") as handle:
        job.file.save(path.name, File(handle), save=False)
    job.save()
    figures: dict = {}
    rebuild = services.touches_rebuild_for_clients

    def timed_rebuild(**kwargs):
        start = time.perf_counter()
        try:
            return rebuild(**kwargs)
        finally:
            figures["touches_s"] = round(time.perf_counter() - start, 2)

    services.touches_rebuild_for_clients = timed_rebuild
    try:
        if trace:
            tracemalloc.start()
        start, cpu = time.perf_counter(), time.process_time()
        job = services.import_job_validate(job_id=job.pk)
        figures["validate_s"] = round(time.perf_counter() - start, 2)
        assert job.status == ImportJob.Status.VALIDATED and job.error_rows == 0, (
            job.message,
            list(job.row_errors.values_list("row", "column", "message")[:5]),
        )
        if trace:
            figures["validate_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.reset_peak()
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
        start = time.perf_counter()
        job = services.import_job_run(job_id=job.pk)
        figures["import_s"] = round(time.perf_counter() - start, 2)
        figures["cpu_s"] = round(time.process_time() - cpu, 2)  # this process: both steps
        assert job.status == ImportJob.Status.DONE, job.message
        if trace:
            figures["import_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
    finally:
        services.touches_rebuild_for_clients = rebuild
    figures["total_s"] = round(figures["validate_s"] + figures["import_s"], 2)
    figures["clients"] = job.clients_created
    figures["policies"] = job.policies_created
    figures["touches"] = job.touches_total
    return figures


def run(*, report, timed) -> None:
    with tempfile.TemporaryDirectory() as media:
        storage = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(MEDIA_ROOT=media, STORAGES=storage):
            timed_file = Path(media) / "agents-book.xlsx"
            second_file = Path(media) / "agents-book-second.xlsx"
            traced_file = Path(media) / "agents-book-traced.xlsx"
            generate(timed_file, ROWS, tag="A")
            generate(second_file, ROWS, tag="C")
            generate(traced_file, ROWS, tag="B")
            agent = User.objects.create_user("bench-agents-book", password="x")
            second_agent = User.objects.create_user("bench-agents-book-second", password="x")
            tracer = User.objects.create_user("bench-agents-book-traced", password="x")
            touch_build_now(today=timezone.localdate())  # the nightly build has run
            size_kb = timed_file.stat().st_size // 1024
            # Twice: the first import meets tables never analyzed (a new installation's), the
            # second tables that autovacuum has analyzed since (or not yet).
            for user, path, label in (
                (agent, timed_file, f".xlsx, {size_kb} KB"),
                (second_agent, second_file, "again, another agent"),
            ):
                figures = _run(user, path, trace=False)
                report(f"agents' book {ROWS:,} rows ({label})", **figures)
            figures = _run(tracer, traced_file, trace=True)
            report(
                f"agents' book {ROWS:,} rows under tracemalloc",
                validate_peak_mb=figures["validate_peak_mb"],
                import_peak_mb=figures["import_peak_mb"],
                # the whole process's high-water mark, the workbooks' generation included
                maxrss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            )
