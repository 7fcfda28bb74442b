"""Check spreadsheet rows a batch at a time.

One row is one client and, optionally, one policy held by and insuring that client. The
client columns are validated as the client form validates them (its fields for these
columns, then the client rules of `clients.rules`), the policy columns by the rules
`policy_create` applies, evaluated here without a query per row:

- the model's field validation (what `full_clean` checks, without the foreign keys, which the import
  sets itself: holder and insured are the row's client, owner is the agent);
- `DATE_ORDER`, the regular-premium term and the coverage constraint, with the services'
  and the model's own messages;
- the unique policy number per insurer, checked for the whole batch in one query.

Each row of a file is checked against the rows before it: the same client on several rows
(same mobile, or same name and birth date) is one client with several policies; the same
policy number twice is a duplicate. Duplicates of the agent's existing clients and of
existing policies are found with one query per batch.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.masking import mask_id
from clients.forms import ClientForm
from clients.id_numbers import id_number_normalise
from clients.models import Client, Gender
from clients.rules import client_problems
from clients.selectors import PersonKeys, duplicates_in_book
from policies import dates
from policies.models import Insurer, Policy
from policies.services.policy import DATE_ORDER, policy_range_errors

from .columns import (
    BY_KEY,
    CLIENT,
    POLICY,
    POLICY_REQUIRED,
    POLICY_TYPES,
    CellError,
    Column,
    cell_text,
)
from .selectors import policy_numbers_taken


# The policy fields set by the import itself, not read from the row.
def assumed_paid_to(*, policy: Policy, day):
    """The paid-up-to date (缴至日期) of an imported policy whose row gives none: an existing
    policy in force was paid as it fell due, so every premium due before the import day is
    taken as paid (at least the first, paid at issue) and the policy is not "in grace" the
    day after its import. A row whose status says the premium is unpaid (宽限期, 失效) keeps
    its latest due before the import day unpaid: the arrears the status speaks of. The
    import page and the template's 说明 sheet say so."""
    effective, frequency = policy.effective_date, policy.payment_frequency
    term = policy.payment_term_years
    if policy.status in (Policy.Status.GRACE, Policy.Status.LAPSED):
        due_dates = dates.premium_due_dates(
            effective=effective, frequency=frequency, term_years=term
        )
        passed = [due for due in due_dates if due < day]
        return passed[-1] if passed else effective
    return dates.paid_to_before(effective=effective, frequency=frequency, term_years=term, day=day)


POLICY_SET_BY_IMPORT = {"owner", "insurer", "holder", "insured_client", "insured_member"}
# Model field -> the column it came from.
POLICY_FIELD_COLUMN = {
    "coverage_kind": "coverage",
    "coverage_value": "coverage",
    "cooling_off_end": "receipt_signed_date",
    "notes": "policy_notes",
}
CLIENT_FIELD_COLUMN = {"notes": "client_notes", "__all__": ""}
MASKED_COLUMNS = {"id_number"}
# A single phone column (电话) holds the mobile when its number looks like one.
MOBILE = re.compile(r"^(?:\+?86[\s-]*)?1[3-9]\d(?:[\s-]*\d){8}$")
# A 险种 cell that is not a policy type names the product; its type is read from the words
# in it, most specific first ("终身寿险" is life, "重疾" critical illness).
TYPE_WORDS = (
    (("重疾", "重大疾病"), Policy.Type.CRITICAL_ILLNESS),
    (("医疗",), Policy.Type.MEDICAL),
    (("意外",), Policy.Type.ACCIDENT),
    (("年金", "养老"), Policy.Type.ANNUITY),
    (("两全",), Policy.Type.ENDOWMENT),
    (("万能",), Policy.Type.UNIVERSAL),
    (("投连", "投资连结"), Policy.Type.INVESTMENT_LINKED),
    (("寿",), Policy.Type.LIFE),
)


def policy_type_from_words(text: str) -> str | None:
    for words, kind in TYPE_WORDS:
        if any(word in text for word in words):
            return kind
    return None


COVERAGE_CONSTRAINT = next(c for c in Policy._meta.constraints if c.name == "policy_coverage_value")


# The client columns, checked by the client form's own fields (so with its messages).
CLIENT_COLUMNS = [
    "name",
    "gender",
    "birth_date",
    "id_number",
    "mobile",
    "phone_other",
    "wechat_id",
    "email",
    "address",
    "occupation",
    "employer",
    "stage",
    "notes",
]
CLIENT_COLUMN_FIELDS = {name: ClientForm.base_fields[name] for name in CLIENT_COLUMNS}


# Phone numbers: the costliest fields to check (libphonenumber parses and validates each).
# The form field runs the model field's validator too, so the model's own check is not run
# again on them, and a number a file repeats (a client over several policy rows) is
# checked once per file.
PHONE_FIELDS = frozenset({"mobile", "phone_other"})
CLIENT_FIELD_NAMES = frozenset(f.name for f in Client._meta.fields)


# The checks remembered per file (clean_fields_memo): enough for the values files repeat,
# while names and numbers, different on every row, cannot make memory grow with the file.
FIELD_MEMO_LIMIT = 5_000


def clean_fields_memo(instance, *, exclude: set[str], memo: dict | None) -> dict[str, list]:
    """`Model.clean_fields(exclude)` with each field's check done once per distinct value in
    a file: the same rules in the same order with the same messages (the field's `clean`:
    conversion, choices, blank and null, length, validators), but a value the file repeats
    (an insurer's product, a premium, a status, 20年) is checked once, not on every row.
    Returns {field name: error list} as `clean_fields` would raise them. The import's models
    have no field whose check reads the instance (their foreign keys are set by the import
    and excluded), so the result of a value's check does not depend on its row."""
    errors: dict[str, list] = {}
    for f in instance._meta.fields:
        if f.name in exclude or f.generated:
            continue
        raw = getattr(instance, f.attname)
        if f.blank and raw in f.empty_values:
            continue
        try:
            key = (f.name, type(raw), raw)
            hash(key)
        except TypeError:
            key = None
        if memo is not None and key is not None and key in memo:
            value, problems = memo[key]
        else:
            try:
                value, problems = f.clean(raw, instance), None
            except ValidationError as exc:
                value, problems = None, exc.error_list
            if memo is not None and key is not None and len(memo) < FIELD_MEMO_LIMIT:
                memo[key] = (value, problems)
        if problems:
            errors[f.name] = problems
        else:
            setattr(instance, f.attname, value)
    return errors


def client_row_check(
    data: dict, *, phones: dict | None = None, memo: dict | None = None
) -> tuple[Client | None, dict[str, list[str]]]:
    """A row's client values checked as the client form checks them: each field (phone
    numbers, field lengths, choices), the client rules (no birth date in the future), the
    model's field validation. Returns the unsaved client, or None with the messages by field
    name in the order the form would give them. `phones`: a cache of checked phone numbers
    ({(field, text): (value, messages)}) kept across the rows of a file; `memo`: the model
    field checks done so far (`clean_fields_memo`)."""
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for name, form_field in CLIENT_COLUMN_FIELDS.items():
        raw = data.get(name)
        key = (name, raw) if phones is not None and name in PHONE_FIELDS else None
        if key is not None and key in phones:
            value, messages = phones[key]
        else:
            try:
                value, messages = form_field.clean(raw), None
            except ValidationError as exc:
                value, messages = None, exc.messages
            if key is not None:
                phones[key] = (value, messages)
        if messages:
            errors[name] = list(messages)
        else:
            cleaned[name] = value
    problems, filled = client_problems(cleaned)
    for name, message in problems:
        errors.setdefault(name, []).append(str(message))
        cleaned.pop(name, None)
    cleaned.update(filled)
    client = Client(**cleaned)
    # What ModelForm validation adds: the model fields' own checks.
    failed = clean_fields_memo(
        client, exclude=CLIENT_FIELD_NAMES - (set(cleaned) - PHONE_FIELDS), memo=memo
    )
    if failed:
        for name, messages in ValidationError(failed).message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return (None, errors) if errors else (client, {})


@dataclass(slots=True)
class Problem:
    column: str  # a column key, or "" for the row as a whole
    message: str
    value: str = ""
    duplicate: bool = False


@dataclass(slots=True)
class Identity:
    """A client as the file names it; the rows naming the same client share one."""

    row: int
    name: str
    existing: str = ""  # why it is a duplicate of a client the agent already has
    existing_column: str = ""  # the column that says so
    pk: int | None = None
    stage: str = ""
    stage_given: bool = False
    has_policy: bool = False


@dataclass
class CheckedRow:
    number: int
    values: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    client: Client | None = None
    mobile: str = ""  # the client's mobile in E.164, worked out once
    stage_given: bool = False
    policy: Policy | None = None
    insurer_name: str = ""
    identity: Identity | None = None

    @property
    def status(self) -> str:
        if not self.problems:
            return "ok"
        return "duplicate" if all(p.duplicate for p in self.problems) else "error"

    def add(self, column: str, message: str, *, duplicate: bool = False) -> None:
        value = self.raw.get(column, "")
        if column in MASKED_COLUMNS:  # the preview shows an ID number masked, as every page
            value = mask_id(id_number_normalise(value))
        self.problems.append(Problem(column, str(message), value[:100], duplicate))


def _name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip()


def identity_keys(client: Client, mobile: str) -> list[tuple]:
    """The keys a client is known by; the first is the one a row is matched on."""
    name = _name_key(client.name)
    keys: list[tuple] = []
    if mobile:
        keys.append(("mobile", mobile))
    if client.birth_date:
        keys.append(("name_birth", name, client.birth_date))
    keys.append(("name", name))
    return keys


class RowChecker:
    """Checks the rows of one file in order, one batch at a time, remembering the clients and
    policies earlier rows named. Both the check step and the import step use it, so a row
    is imported only if it passes the very checks the preview showed."""

    def __init__(self, *, owner: User, columns: dict[int, Column]):
        self.owner = owner
        self.columns = columns
        self.identities: dict[tuple, Identity] = {}
        self.policy_rows: dict[tuple[str, str], int] = {}
        self.insurers: dict[str, Insurer | None] = {}
        self.new_insurers: list[str] = []
        self.phones: dict = {}  # phone numbers checked so far (client_row_check)
        self.field_checks: dict = {}  # model field checks done so far (clean_fields_memo)
        # The day premiums are assumed paid up to when a row gives no 缴至日期.
        self.today = timezone.localdate()
        keys = {column.key for column in columns.values()}
        # One phone column (电话) and no mobile column: a mobile-looking number is the mobile.
        self.phone_may_be_mobile = "phone_other" in keys and "mobile" not in keys
        # A type column and no product column (险种 as agents use it): the product's name.
        self.type_names_product = "policy_type" in keys and "product_name" not in keys

    # -- one row -------------------------------------------------------------------------

    def parse(self, number: int, cells) -> CheckedRow | None:
        """The row's values and the problems found in it alone; None for an empty row."""
        row = CheckedRow(number)
        empty = True
        for index, column in self.columns.items():
            raw = cells[index] if index < len(cells) else None
            text = cell_text(raw)
            if text:
                empty = False
            row.raw[column.key] = text
            if column.key == "policy_type" and text:
                self._read_type(row, raw, text)
                continue
            try:
                row.values[column.key] = column.parse(raw)
            except CellError as exc:
                row.add(column.key, str(exc))
        if empty:
            return None
        if self.phone_may_be_mobile and MOBILE.match(row.values.get("phone_other") or ""):
            row.values["mobile"] = row.values.pop("phone_other")
            row.raw["mobile"] = row.raw.get("phone_other", "")
        # Columns with a default (currency, frequency, status…) alone make no policy.
        has_policy = any(row.raw.get(key) for key in POLICY_REQUIRED)
        self._check_client(row, has_policy=has_policy)
        if has_policy:
            self._check_policy(row)
        return row

    def _read_type(self, row: CheckedRow, raw, text: str) -> None:
        """险种: a policy type (寿险, 重疾险), or, in a file without a product column, the
        product's name, whose type is read from its words (康健重疾 → 重疾险)."""
        try:
            kind = POLICY_TYPES.parse(raw)
        except CellError as exc:
            kind = policy_type_from_words(text)
            if kind is None or not self.type_names_product:
                message = str(exc)
                if self.type_names_product:
                    message = _(
                        "Write the kind of policy (%(choices)s), or add a 产品名称 column "
                        "for the product's name."
                    ) % {"choices": "、".join(POLICY_TYPES.canonical_words())}
                row.add("policy_type", message)
                return
        row.values["policy_type"] = kind
        if self.type_names_product:
            row.values["product_name"] = text
            row.raw["product_name"] = text

    def _failed(self, row: CheckedRow, key: str) -> bool:
        return any(p.column == key for p in row.problems)

    def _check_client(self, row: CheckedRow, *, has_policy: bool) -> None:
        values = row.values
        stage = values.get("stage")
        row.stage_given = bool(stage)
        data = {
            "name": values.get("name") or "",
            "gender": values.get("gender") or Gender.UNKNOWN,
            "birth_date": values.get("birth_date"),
            "id_number": values.get("id_number") or "",
            "mobile": values.get("mobile") or "",
            "phone_other": values.get("phone_other") or "",
            "wechat_id": values.get("wechat_id") or "",
            "email": values.get("email") or "",
            "address": values.get("address") or "",
            "occupation": values.get("occupation") or "",
            "employer": values.get("employer") or "",
            "stage": stage or (Client.Stage.CLIENT if has_policy else Client.Stage.PROSPECT),
            "notes": values.get("client_notes") or "",
        }
        client, errors = client_row_check(data, phones=self.phones, memo=self.field_checks)
        if client is not None:
            if not any(BY_KEY[p.column].part == CLIENT for p in row.problems if p.column):
                row.client = client
                row.mobile = self._e164(data["mobile"], client.mobile)
            return
        for name, messages in errors.items():
            key = CLIENT_FIELD_COLUMN.get(name, name)
            if key and self._failed(row, key):
                continue  # the cell could not be read: that message says it already
            for message in messages:
                row.add(key, message)

    def _e164(self, text: str, mobile) -> str:
        """The mobile in E.164, formatted once per number a file gives (formatting validates
        the number again)."""
        if not mobile:
            return ""
        key = ("e164", text)
        if key not in self.phones:
            self.phones[key] = str(mobile)
        return self.phones[key]

    def _check_policy(self, row: CheckedRow) -> None:
        values = row.values
        for key in POLICY_REQUIRED:
            if values.get(key) in (None, "") and not self._failed(row, key):
                row.add(key, _("Required when the row has a policy."))
        frequency = values.get("payment_frequency") or Policy.Frequency.ANNUAL
        term = values.get("payment_term_years")
        if frequency == Policy.Frequency.SINGLE:
            term = 1  # as policy_create
        elif term is None and not self._failed(row, "payment_term_years"):
            row.add(
                "payment_term_years",
                _("Required for a regular premium: the number of years it is paid."),
            )
        coverage_kind, coverage_value = values.get("coverage") or (
            Policy.Coverage.WHOLE_LIFE,
            None,
        )
        receipt = values.get("receipt_signed_date")
        name = _name_key(values.get("insurer") or "")
        if len(name) > Insurer._meta.get_field("name").max_length:
            row.add("insurer", _("An insurer's name has at most 100 characters."))
        row.insurer_name = name
        policy = Policy(
            owner=self.owner,
            number=(values.get("number") or "").strip(),
            product_name=values.get("product_name") or "",
            policy_type=values.get("policy_type") or "",
            sum_assured=values.get("sum_assured"),
            premium=values.get("premium"),
            currency=values.get("currency") or Policy.Currency.CNY,
            payment_frequency=frequency,
            payment_term_years=term if term is not None else 1,
            coverage_kind=coverage_kind,
            coverage_value=coverage_value,
            application_date=values.get("application_date"),
            effective_date=values.get("effective_date"),
            receipt_signed_date=receipt,
            cooling_off_end=(
                dates.cooling_off_end(receipt_signed=receipt)
                if receipt and dates.plausible(receipt)
                else None
            ),
            status=values.get("status") or Policy.Status.IN_FORCE,
            notes=values.get("policy_notes") or "",
            premium_paid_to=values.get("premium_paid_to"),
        )
        # The model's field validation (what `full_clean` adds without the constraints: Policy
        # has no clean() of its own and no unique field the import sets, so its unique checks
        # find nothing to check), each distinct value checked once per file.
        errors: dict[str, list[str]] = {}
        failed = clean_fields_memo(policy, exclude=POLICY_SET_BY_IMPORT, memo=self.field_checks)
        if failed:
            errors = ValidationError(failed).message_dict
        for earlier, later in DATE_ORDER:  # the rule of policy_create, with its message
            first, second = getattr(policy, earlier), getattr(policy, later)
            if first and second and second < first:
                errors.setdefault(later, []).append(
                    _("%(later)s cannot be before %(earlier)s.")
                    % {
                        "later": Policy._meta.get_field(later).verbose_name,
                        "earlier": Policy._meta.get_field(earlier).verbose_name,
                    }
                )
        if policy.payment_frequency != Policy.Frequency.SINGLE and policy.payment_term_years < 1:
            errors.setdefault("payment_term_years", []).append(
                _("A regular premium is paid for at least a year.")
            )
        for name, messages in policy_range_errors(policy=policy).items():
            errors.setdefault(name, []).extend(messages)
        whole_life = policy.coverage_kind == Policy.Coverage.WHOLE_LIFE
        if whole_life != (policy.coverage_value is None) or (
            not whole_life and not policy.coverage_value
        ):
            errors.setdefault("coverage_value", []).append(
                str(COVERAGE_CONSTRAINT.get_violation_error_message())
            )
        for name, messages in errors.items():
            key = POLICY_FIELD_COLUMN.get(name, name)
            if key not in BY_KEY or self._failed(row, key):
                continue  # a required or unreadable cell already has its message
            for message in messages:
                row.add(key, message)
        if not any(BY_KEY[p.column].part == POLICY for p in row.problems if p.column):
            if policy.premium_paid_to is None:
                policy.premium_paid_to = assumed_paid_to(policy=policy, day=self.today)
            row.policy = policy

    # -- a batch: what needs the database, then the order of the rows ---------------------------

    def check(self, batch: list[tuple[int, list]]) -> list[CheckedRow]:
        rows = [row for number, cells in batch if (row := self.parse(number, cells))]
        self._resolve_insurers(rows)
        existing = self._existing_clients(rows)
        taken = policy_numbers_taken(
            pairs={(row.insurer_name, row.policy.number) for row in rows if row.policy},
            owner=self.owner,
        )
        for row in rows:
            self._link_client(row, existing)
            self._link_policy(row, taken)
        return rows

    def _resolve_insurers(self, rows: list[CheckedRow]) -> None:
        names = {row.insurer_name for row in rows if row.insurer_name} - set(self.insurers)
        if not names:
            return
        found = {i.name: i for i in Insurer.objects.filter(name__in=names)}
        for name in sorted(names):
            self.insurers[name] = found.get(name)
            if name not in found:
                self.new_insurers.append(name)

    def _existing_clients(self, rows: list[CheckedRow]) -> dict[int, tuple[str, str]]:
        """{row number: (column, message)} for the rows whose client the agent already has,
        by the one duplicate rule (`clients.selectors.duplicates_in_book`: the same mobile,
        ID number, or name and birth date; a name alone never matches). One query."""
        checked = [row for row in rows if row.client is not None]
        people = [
            PersonKeys(
                name=_name_key(row.client.name),
                mobile=row.mobile,
                birth_date=row.client.birth_date,
                id_number=row.client.id_number or "",
            )
            for row in checked
        ]
        found = duplicates_in_book(user=self.owner, people=people)
        existing: dict[int, tuple[str, str]] = {}
        for row, matches in zip(checked, found, strict=True):
            if not matches:
                continue
            client, keys = matches[0]
            if "mobile" in keys:
                message = _("You already have a client with this mobile: %(name)s.")
                existing[row.number] = ("mobile", message % {"name": client.name})
            elif "id_number" in keys:
                message = _("You already have a client with this ID number: %(name)s.")
                existing[row.number] = ("id_number", message % {"name": client.name})
            else:
                message = _("You already have a client with this name and birth date.")
                existing[row.number] = ("name", message)
        return existing

    def _link_client(self, row: CheckedRow, existing: dict[int, tuple[str, str]]) -> None:
        client = row.client
        if client is None:
            return
        keys = identity_keys(client, row.mobile)
        identity = self.identities.get(keys[0])
        # One ID number is one person: a later row giving it to another client of the file
        # is refused here, at the check, as the import would refuse it once the earlier row
        # is written (its duplicate check sees that client's number in the book).
        id_key = ("id_number", id_number_normalise(client.id_number)) if client.id_number else None
        holder = self.identities.get(id_key) if id_key else None
        if holder is not None and holder is not identity:
            row.add(
                "id_number",
                _("Row %(row)s has this ID number for %(name)s: one ID number is one person.")
                % {"row": holder.row, "name": holder.name},
            )
            return
        if id_key:
            keys.append(id_key)
        if identity is None:
            identity = Identity(row=row.number, name=_name_key(client.name))
            identity.existing_column, identity.existing = existing.get(row.number, ("", ""))
            for key in keys:
                self.identities.setdefault(key, identity)
        elif keys[0][0] == "mobile" and identity.name != _name_key(client.name):
            row.add(
                "mobile",
                _("Row %(row)s has this mobile for %(name)s: one mobile is one client.")
                % {"row": identity.row, "name": identity.name},
            )
            return
        if id_key:
            self.identities.setdefault(id_key, identity)
        row.identity = identity
        if identity.existing:
            row.add(identity.existing_column, identity.existing, duplicate=True)

    def _link_policy(self, row: CheckedRow, taken: dict[tuple[str, str], bool]) -> None:
        if row.policy is None:
            return
        key = (row.insurer_name, row.policy.number)
        if taken.get(key):
            row.add(
                "number",
                _("This policy is already in your book: it is not imported again."),
                duplicate=True,
            )
        elif key in taken:
            # Another agent's policy: refused without saying that it exists or whose it is.
            row.add(
                "number",
                _(
                    "This policy number cannot be imported. Check the insurer and the number "
                    "against the policy; if both are right, ask your manager."
                ),
            )
        first = self.policy_rows.setdefault(key, row.number)
        if first != row.number:
            row.add(
                "number",
                _("The same policy (insurer and number) is on row %(row)s.") % {"row": first},
                duplicate=True,
            )
