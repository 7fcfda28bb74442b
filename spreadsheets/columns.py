"""The spreadsheet's columns: headers in Chinese (the template's) and the other spellings
accepted, and how each cell becomes a value.

Every parser takes the raw cell (str from a CSV; str, int, float or datetime from an .xlsx)
and returns the value or raises CellError with a message for the agent.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils.datetime import from_excel

from clients.models import Client, Gender
from policies.models import Policy

# Excel keeps 15 significant digits: a longer number typed into a number cell is already
# wrong in the file, so it is refused rather than imported with its tail zeroed.
EXCEL_DIGITS = 15
SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
DATE_PARTS = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
TIME_PART = re.compile(r"(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")


class CellError(ValueError):
    """A cell that cannot be read; the message is shown beside the row."""


def normalise(text: str) -> str:
    """The form headers and choice values are compared in: case, spaces, dashes and
    underscores ignored, full-width ASCII folded to half-width."""
    text = text.translate(FULL_WIDTH).lower()
    return re.sub(r"[\s_\-]+", "", text)


FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Full-width characters folded, and the dashes an input method types (－ — – ‐ ‑ −) as "-",
# for dates and phone numbers typed in Chinese input mode ("１９９５－１２－０５").
DIGITS_AND_DASHES = FULL_WIDTH | dict.fromkeys((8208, 8209, 8211, 8212, 8722), "-")


def header_key(header: str) -> str:
    """A header cell as compared: notes in brackets ("保费（元）") and a required marker
    ("客户姓名*") are dropped."""
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", header.translate(FULL_WIDTH))
    return normalise(text.replace("*", ""))


def cell_text(value) -> str:
    """Any cell as text. A whole number stored as a number loses its ".0"; a date becomes
    YYYY-MM-DD; nothing is ever written in scientific notation."""
    if value is None:
        return ""
    if isinstance(value, str):
        # NUL characters mean nothing in a cell, and PostgreSQL cannot store or compare them.
        return value.replace("\x00", "").replace("\u3000", " ").replace("\xa0", " ").strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def parse_text(value) -> str:
    return cell_text(value)


def parse_code(value) -> str:
    """Phone numbers, policy numbers, IDs: text whose digits must survive exactly."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise CellError(
                _("Expected a number written as text, not %(value)s.") % {"value": value}
            )
        if len(str(abs(int(value)))) > EXCEL_DIGITS:
            raise CellError(
                _(
                    "Excel kept only 15 digits of this long number. Format the column as "
                    "text and type the number again."
                )
            )
        return str(int(value))
    text = cell_text(value).translate(DIGITS_AND_DASHES)
    if SCIENTIFIC.match(text):
        raise CellError(
            _(
                "Excel turned this number into scientific notation (%(value)s) and its digits "
                "are lost. Format the column as text and type the number again."
            )
            % {"value": text}
        )
    return text


def parse_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
        if COMPACT_DATE.match(str(number)):
            return _date_from_parts(*COMPACT_DATE.match(str(number)).groups(), text=str(number))
        if 0 < value < 2958466:  # an Excel serial day number without a date format
            return from_excel(value).date()
        raise CellError(_("%(value)s is not a date.") % {"value": cell_text(value)})
    text = cell_text(value).translate(DIGITS_AND_DASHES).strip()
    if not text:
        return None
    text = TIME_PART.sub("", text)  # "2015-12-30 00:00:00", "2015-12-30T08:00"
    match = DATE_PARTS.match(text) or COMPACT_DATE.match(text)
    if not match:
        raise CellError(_("Write the date as YYYY-MM-DD, not %(value)s.") % {"value": text})
    return _date_from_parts(*match.groups(), text=text)


def _date_from_parts(year: str, month: str, day: str, *, text: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise CellError(_("%(value)s is not a date.") % {"value": text}) from None


def parse_money(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = cell_text(value)
        if not text:
            return None
        cleaned = re.sub(r"[,，\s¥￥$元]|RMB|CNY", "", text, flags=re.IGNORECASE)
        scale = 1
        if cleaned.endswith("万"):
            cleaned, scale = cleaned[:-1], 10_000
        try:
            amount = Decimal(cleaned) * scale
        except InvalidOperation:
            raise CellError(_("%(value)s is not an amount.") % {"value": text}) from None
    if not amount.is_finite():
        raise CellError(_("%(value)s is not an amount.") % {"value": cell_text(value)})
    if amount < 0:
        raise CellError(_("An amount cannot be negative."))
    return amount


def parse_years(value) -> int | None:
    """A payment term: 20, "20", "20年"; a single premium (趸交) counts as one year."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = cell_text(value)
        if not text:
            return None
        if normalise(text) in SINGLE_PREMIUM_WORDS:
            return 1
        match = re.fullmatch(r"(\d{1,3})\s*(?:年|years?|yrs?)?", text, flags=re.IGNORECASE)
        if not match:
            raise CellError(
                _("Write the number of years, such as 20, not %(value)s.") % {"value": text}
            )
        number = int(match.group(1))
    if not 0 <= number <= 100:
        raise CellError(_("%(value)s is not a number of years.") % {"value": number})
    return number


SINGLE_PREMIUM_WORDS = {"趸交", "趸缴", "一次性交清", "一次交清", "single", "singlepremium"}


def parse_coverage(value) -> tuple[str, int | None] | None:
    """保障期限: 终身 (whole life), 至70岁 / 70岁 (to an age), 20年 (a number of years)."""
    text = cell_text(value)
    if not text:
        return None
    key = normalise(text)
    if key in {"终身", "终生", "wholelife", "lifetime", "whole_life"}:
        return Policy.Coverage.WHOLE_LIFE, None
    match = re.fullmatch(r"(?:至|到|保至|保到|toage)?(\d{1,3})(?:周岁|岁)", key) or re.fullmatch(
        r"(?:至|到|保至|保到|toage)(\d{1,3})", key
    )
    if match:
        return Policy.Coverage.TO_AGE, int(match.group(1))
    match = re.fullmatch(r"(\d{1,3})(?:年|years?|yrs?)?", key)
    if match:
        return Policy.Coverage.YEARS, int(match.group(1))
    raise CellError(
        _("Write 终身, 至70岁 or 20年 (whole life, to an age, a number of years), not %(value)s.")
        % {"value": text}
    )


def coverage_text(kind: str, value: int | None) -> str:
    """The inverse of parse_coverage, for exports."""
    if kind == Policy.Coverage.TO_AGE:
        return f"至{value}岁"
    if kind == Policy.Coverage.YEARS:
        return f"{value}年"
    return "终身"


@dataclass(frozen=True)
class Choices:
    """A choice column: the Chinese words agents write for each value. The first word of each
    value is the one exports and the template use; the model's own value and its labels (in
    English and as translated) are accepted as well."""

    model_choices: type
    words: dict[str, tuple[str, ...]]
    _lookup: dict[str, str] = field(default_factory=dict, compare=False)

    def lookup(self) -> dict[str, str]:
        if not self._lookup:
            table = {}
            for value, label in self.model_choices.choices:
                table[normalise(value)] = value
                with translation.override("en"):
                    table[normalise(str(label))] = value
                with translation.override("zh-hans"):
                    table[normalise(str(label))] = value
            for value, words in self.words.items():
                for word in words:
                    table[normalise(word)] = value
            self._lookup.update(table)
        return self._lookup

    def parse(self, value) -> str | None:
        text = cell_text(value)
        if not text:
            return None
        try:
            return self.lookup()[normalise(text)]
        except KeyError:
            raise CellError(
                _("%(value)s is not one of: %(choices)s.")
                % {"value": text, "choices": "、".join(self.canonical_words())}
            ) from None

    def word(self, value: str) -> str:
        return self.words[value][0] if value in self.words else value

    def canonical_words(self) -> list[str]:
        return [words[0] for words in self.words.values()]


GENDERS = Choices(
    Gender,
    {
        Gender.MALE: ("男", "男性", "m", "先生"),
        Gender.FEMALE: ("女", "女性", "f", "女士"),
        Gender.UNKNOWN: ("未知", "不详"),
    },
)
STAGES = Choices(
    Client.Stage,
    {
        Client.Stage.PROSPECT: ("准客户", "潜在客户", "意向客户"),
        Client.Stage.CLIENT: ("客户", "已成交", "成交客户", "老客户"),
    },
)
POLICY_TYPES = Choices(
    Policy.Type,
    {
        Policy.Type.LIFE: ("寿险", "人寿保险", "终身寿险", "定期寿险", "定寿"),
        Policy.Type.CRITICAL_ILLNESS: ("重疾险", "重大疾病保险", "重疾", "重疾保险"),
        Policy.Type.MEDICAL: ("医疗险", "医疗保险", "医疗", "百万医疗"),
        Policy.Type.ACCIDENT: ("意外险", "意外伤害保险", "意外", "意外保险"),
        Policy.Type.ANNUITY: ("年金险", "年金保险", "年金", "养老年金"),
        Policy.Type.ENDOWMENT: ("两全险", "两全保险", "两全"),
        Policy.Type.UNIVERSAL: ("万能险", "万能寿险", "万能"),
        Policy.Type.INVESTMENT_LINKED: ("投连险", "投资连结保险", "投连"),
        Policy.Type.OTHER: ("其他",),
    },
)
FREQUENCIES = Choices(
    Policy.Frequency,
    {
        Policy.Frequency.ANNUAL: ("年交", "年缴", "年付", "每年", "按年"),
        Policy.Frequency.SEMI_ANNUAL: ("半年交", "半年缴", "每半年"),
        Policy.Frequency.QUARTERLY: ("季交", "季缴", "每季", "按季"),
        Policy.Frequency.MONTHLY: ("月交", "月缴", "每月", "按月"),
        Policy.Frequency.SINGLE: ("趸交", "趸缴", "一次性交清", "一次交清"),
    },
)
CURRENCIES = Choices(
    Policy.Currency,
    {
        Policy.Currency.CNY: ("人民币", "元", "rmb", "¥"),
        Policy.Currency.HKD: ("港币", "港元"),
        Policy.Currency.USD: ("美元", "美金", "$"),
    },
)
STATUSES = Choices(
    Policy.Status,
    {
        Policy.Status.IN_FORCE: ("有效", "生效", "正常", "承保", "保单有效"),
        Policy.Status.PENDING: ("待生效", "待承保", "核保中", "未生效"),
        Policy.Status.GRACE: ("宽限期", "宽限期内"),
        Policy.Status.LAPSED: ("失效", "中止", "效力中止"),
        Policy.Status.REINSTATED: ("复效", "已复效"),
        Policy.Status.PAID_UP: ("减额交清", "缴清", "交清"),
        Policy.Status.SURRENDERED: ("退保", "已退保"),
        Policy.Status.MATURED: ("满期", "期满", "已满期"),
        Policy.Status.TERMINATED_CLAIM: ("理赔终止", "理赔后终止"),
    },
)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the template's and the exports' header
    aliases: tuple[str, ...]
    part: str  # "client" or "policy"
    parse: object
    help: str = ""
    choices: Choices | None = None
    required: bool = False  # for a client row; policy columns are required with a policy
    example: object = ""

    @property
    def accepted(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


def _choice(choices: Choices):
    return choices.parse


CLIENT, POLICY = "client", "policy"

COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "客户姓名",
        (
            "姓名",
            "客户名称",
            "客户",
            "投保人",
            "投保人姓名",
            "name",
            "client",
            "client name",
            "holder",
        ),
        CLIENT,
        parse_text,
        gettext_lazy("Required."),
        required=True,
        example="王芳",
    ),
    Column(
        "gender",
        "性别",
        ("gender", "sex"),
        CLIENT,
        _choice(GENDERS),
        gettext_lazy("男 or 女."),
        choices=GENDERS,
        example="女",
    ),
    Column(
        "mobile",
        "手机",
        (
            "手机号",
            "手机号码",
            "移动电话",
            "联系电话",
            "联系方式",
            "mobile",
            "mobile phone",
            "cell",
        ),
        CLIENT,
        parse_code,
        gettext_lazy("One client per mobile number."),
        example="13800138000",
    ),
    Column(
        "phone_other",
        "其他电话",
        ("固定电话", "座机", "电话", "other phone", "phone", "landline"),
        CLIENT,
        parse_code,
        example="021-64381234",
    ),
    Column(
        "birth_date",
        "出生日期",
        ("生日", "出生年月日", "birth date", "birthday", "date of birth", "dob"),
        CLIENT,
        parse_date,
        gettext_lazy("YYYY-MM-DD (solar)."),
        example=date(1985, 6, 15),
    ),
    Column(
        "id_number",
        "证件号码",
        ("身份证号", "身份证号码", "身份证", "证件号", "id number", "id card"),
        CLIENT,
        parse_code,
        gettext_lazy("18-digit resident ID number: gives the birth date and gender."),
    ),
    Column("wechat_id", "微信号", ("微信", "wechat", "wechat id"), CLIENT, parse_code),
    Column("email", "邮箱", ("电子邮箱", "电子邮件", "email", "e-mail"), CLIENT, parse_text),
    Column("address", "地址", ("联系地址", "家庭地址", "address"), CLIENT, parse_text),
    Column("occupation", "职业", ("occupation", "job"), CLIENT, parse_text, example="教师"),
    Column("employer", "工作单位", ("单位", "employer"), CLIENT, parse_text),
    Column(
        "stage",
        "客户阶段",
        ("阶段", "stage"),
        CLIENT,
        _choice(STAGES),
        gettext_lazy("准客户 or 客户; empty: 客户 when the row has a policy."),
        choices=STAGES,
    ),
    Column("client_notes", "客户备注", ("备注", "client notes", "notes"), CLIENT, parse_text),
    Column(
        "insurer",
        "保险公司",
        ("承保公司", "保险公司名称", "insurer", "insurance company"),
        POLICY,
        parse_text,
        gettext_lazy("A new name creates the insurer."),
        example="中国平安人寿",
    ),
    Column(
        "number",
        "保单号",
        ("保单号码", "保单编号", "policy number", "policy no", "policy no."),
        POLICY,
        parse_code,
        gettext_lazy("Unique for each insurer."),
        example="P000123456",
    ),
    Column(
        "product_name",
        "产品名称",
        ("产品", "险种名称", "保险产品", "保险产品名称", "product", "product name"),
        POLICY,
        parse_text,
        example="平安福终身寿险",
    ),
    Column(
        "policy_type",
        "险种",
        ("险种类型", "保险类型", "type", "policy type"),
        POLICY,
        _choice(POLICY_TYPES),
        choices=POLICY_TYPES,
        example="寿险",
    ),
    Column(
        "sum_assured",
        "保额",
        ("基本保额", "保险金额", "sum assured", "sum insured"),
        POLICY,
        parse_money,
        gettext_lazy("50万 is read as 500000."),
        example=Decimal("500000"),
    ),
    Column(
        "premium",
        "保费",
        ("每期保费", "期交保费", "年交保费", "年缴保费", "首年保费", "premium"),
        POLICY,
        parse_money,
        gettext_lazy("Per payment."),
        example=Decimal("12000"),
    ),
    Column(
        "currency",
        "币种",
        ("货币", "currency"),
        POLICY,
        _choice(CURRENCIES),
        gettext_lazy("Empty: 人民币."),
        choices=CURRENCIES,
    ),
    Column(
        "payment_frequency",
        "缴费频率",
        ("缴费方式", "交费方式", "交费频率", "payment frequency", "frequency"),
        POLICY,
        _choice(FREQUENCIES),
        gettext_lazy("Empty: 年交."),
        choices=FREQUENCIES,
        example="年交",
    ),
    Column(
        "payment_term_years",
        "缴费年期",
        ("缴费期限", "交费年期", "交费期间", "缴费期间", "交费年限", "缴费年限", "payment term"),
        POLICY,
        parse_years,
        gettext_lazy("Years, such as 20."),
        example=20,
    ),
    Column(
        "coverage",
        "保障期限",
        ("保险期间", "保障期间", "保险期限", "coverage", "coverage term"),
        POLICY,
        parse_coverage,
        gettext_lazy("终身, 至70岁 or 20年; empty: 终身."),
        example="终身",
    ),
    Column("application_date", "投保日期", ("application date",), POLICY, parse_date),
    Column(
        "effective_date",
        "生效日期",
        ("承保日期", "生效日", "保单生效日", "effective date", "start date"),
        POLICY,
        parse_date,
        example=date(2024, 3, 15),
    ),
    Column(
        "receipt_signed_date",
        "回执签收日期",
        ("回执日期", "签收日期", "receipt date", "receipt signed"),
        POLICY,
        parse_date,
    ),
    Column(
        "premium_paid_to",
        "缴至日期",
        ("交至日期", "缴费至", "保费缴至", "paid to", "paid up to", "premium paid to"),
        POLICY,
        parse_date,
        gettext_lazy(
            "Premiums due before this date are paid. Empty: every premium due before the "
            "import day is taken as paid (宽限期 or 失效: all but the latest), so a policy "
            "in force is not shown in grace after the import."
        ),
    ),
    Column(
        "status",
        "保单状态",
        ("状态", "status"),
        POLICY,
        _choice(STATUSES),
        gettext_lazy("Empty: 有效."),
        choices=STATUSES,
        example="有效",
    ),
    Column("policy_notes", "保单备注", ("policy notes",), POLICY, parse_text),
)

BY_KEY = {column.key: column for column in COLUMNS}
BY_HEADER = {header_key(name): column for column in COLUMNS for name in column.accepted}
# Required once a row has anything in a policy column.
POLICY_REQUIRED = (
    "insurer",
    "number",
    "product_name",
    "policy_type",
    "sum_assured",
    "premium",
    "effective_date",
)
# Shown by exports for the reader, ignored (and listed as ignored) when imported back.
INSURED_HEADER = "被保险人"
