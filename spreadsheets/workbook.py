""".xlsx files written for the agent: the import template and the exports.

Exports are written by `agentcrm.core.spreadsheets.write_xlsx` (openpyxl's write-only mode:
rows are serialised as they are added, not kept as cell objects) and carry the template's
Chinese headers, so an export can be imported back. Phone numbers and policy numbers are
written as text, dates as date cells.
"""

import re
import tempfile
from collections.abc import Iterable
from datetime import date

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from phonenumbers import PhoneNumberFormat

from agentcrm.core.spreadsheets import DATE_FORMAT, write_xlsx
from clients.models import Client
from policies.models import Policy

from .columns import (
    BY_KEY,
    COLUMNS,
    CURRENCIES,
    FREQUENCIES,
    GENDERS,
    INSURED_HEADER,
    POLICY_REQUIRED,
    POLICY_TYPES,
    STAGES,
    STATUSES,
    coverage_text,
)

TEXT_KINDS = {"mobile", "phone_other", "number", "wechat_id", "id_number"}
# Imported, never written out: nothing leaving the system carries an ID number.
NEVER_EXPORTED = {"id_number"}
HEADER_COLOR = "DDEBF7"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor=HEADER_COLOR)
CLIENT_KEYS = [c.key for c in COLUMNS if c.part == "client" and c.key not in NEVER_EXPORTED]
POLICY_KEYS = [c.key for c in COLUMNS if c.part == "policy"]


def _width(key: str) -> int:
    return {"name": 12, "mobile": 15, "number": 18, "product_name": 22, "insurer": 18}.get(key, 12)


def template_workbook() -> bytes:
    """The empty template: headers, one example row, and a sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户与保单"
    sheet.append([column.header for column in COLUMNS])
    sheet.append([column.example if column.example != "" else None for column in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _width(column.key)
        head = sheet.cell(row=1, column=index)
        head.font, head.fill = HEADER_FONT, HEADER_FILL
        example = sheet.cell(row=2, column=index)
        if column.key in TEXT_KINDS:
            # Text cells keep leading zeros and long numbers as typed.
            example.number_format = "@"
            for row in range(3, 1003):
                sheet.cell(row=row, column=index).number_format = "@"
        elif isinstance(column.example, date):
            example.number_format = DATE_FORMAT
    sheet.freeze_panes = "B2"

    notes = workbook.create_sheet("说明")
    notes.append([_("Column"), _("Other accepted headers"), _("Required"), _("Values")])
    for cell in notes[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for column in COLUMNS:
        if column.required:
            required = _("Yes")
        elif column.key in POLICY_REQUIRED:
            required = _("With a policy")
        else:
            required = ""
        values = str(column.help)
        if column.choices is not None:
            values = " ".join(filter(None, ["、".join(column.choices.canonical_words()), values]))
        notes.append([column.header, ", ".join(column.aliases), required, values])
    notes.append([])
    for line in (
        _("One row is one client and, optionally, one policy the client holds and is insured by."),
        _("Rows with the same mobile (or the same name and birth date) are one client."),
        _("Rows that duplicate an existing client or policy are reported and not imported."),
        _(
            "Premiums: a policy is paid up to its 缴至日期; without one, every premium due "
            "before the import day is taken as paid (宽限期 or 失效: all but the latest)."
        ),
    ):
        notes.append([line])
    for letter, width in zip("ABCD", (14, 48, 12, 60), strict=True):
        notes.column_dimensions[letter].width = width
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        return out.read()


def _national(phone) -> str:
    """Chinese numbers as agents write them (13800138000, 02164381234); others in full."""
    if not phone:
        return ""
    if phone.country_code == 86 and phone.is_valid():
        return re.sub(r"\D", "", phone.format_as(PhoneNumberFormat.NATIONAL))
    return str(phone)


def _client_row(client: Client) -> dict:
    return {
        "name": client.name,
        "gender": GENDERS.word(client.gender),
        "mobile": _national(client.mobile),
        "phone_other": _national(client.phone_other),
        "birth_date": client.birth_date,
        "wechat_id": client.wechat_id,
        "email": client.email,
        "address": client.address,
        "occupation": client.occupation,
        "employer": client.employer,
        "stage": STAGES.word(client.stage),
        "client_notes": client.notes,
    }


def _policy_values(policy: Policy) -> dict:
    return {
        "insurer": policy.insurer.name,
        "number": policy.number,
        "product_name": policy.product_name,
        "policy_type": POLICY_TYPES.word(policy.policy_type),
        "sum_assured": policy.sum_assured,
        "premium": policy.premium,
        "currency": CURRENCIES.word(policy.currency),
        "payment_frequency": FREQUENCIES.word(policy.payment_frequency),
        "payment_term_years": policy.payment_term_years,
        "coverage": coverage_text(policy.coverage_kind, policy.coverage_value),
        "application_date": policy.application_date,
        "effective_date": policy.effective_date,
        "receipt_signed_date": policy.receipt_signed_date,
        "status": STATUSES.word(policy.status),
        # Paid up to the first unpaid due (payments recorded included); empty once all paid.
        "premium_paid_to": policy.premium_next_due,
        "policy_notes": policy.notes,
    }


def _write(stream, headers: list[str], keys: list[str], rows: Iterable[dict]) -> None:
    write_xlsx(
        stream,
        title="客户与保单",
        header=headers,
        rows=([values.get(key) for key in keys] for values in rows),
        widths=[_width(key) for key in keys],
        header_fill=HEADER_COLOR,
    )


def write_clients(stream, clients: Iterable[Client]) -> None:
    """One row per client: the client columns of the template."""
    headers = [BY_KEY[key].header for key in CLIENT_KEYS]
    _write(stream, headers, CLIENT_KEYS, (_client_row(client) for client in clients))


def write_policies(stream, policies: Iterable[Policy]) -> None:
    """One row per policy: the holder's client columns, then the policy's, then the insured
    (for reading only: an import makes the holder the insured)."""
    keys = [*CLIENT_KEYS, *POLICY_KEYS, "insured"]
    headers = [*(BY_KEY[key].header for key in CLIENT_KEYS + POLICY_KEYS), INSURED_HEADER]

    def rows():
        for policy in policies:
            values = _client_row(policy.holder)
            values.update(_policy_values(policy))
            insured = policy.insured
            values["insured"] = insured.name if insured else ""
            yield values

    _write(stream, headers, keys, rows())
