"""The household policy review (家庭保单检视): per person, the sums assured by cover type set
against adjustable needs, and the issue list (问题清单).

Every figure is an aggregate in SQL over the household's policies and riders (conditional
sums grouped by the insured person); Python only compares the few grouped rows with the
needs. `review_data` returns plain JSON-able data: the page, the PDF, the long image and the
annual review's snapshot all read the same dict.
"""

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agentcrm.core.masking import mask_id
from agentcrm.core.money import money_text
from policies import dates
from policies.models import Policy, Rider
from policies.selectors import lapse_risk_filter

from .household import Household, Person, household_policies, household_policy_rows, insured_key

T = Policy.Type
LIFE, CI, MEDICAL, ACCIDENT, ANNUITY, EDUCATION = (
    "life",
    "critical_illness",
    "medical",
    "accident",
    "annuity",
    "education",
)
COVER_TYPES = (LIFE, CI, MEDICAL, ACCIDENT, ANNUITY, EDUCATION)
COVER_LABELS = {
    LIFE: gettext_lazy("Life"),
    CI: gettext_lazy("Critical illness"),
    MEDICAL: gettext_lazy("Medical"),
    ACCIDENT: gettext_lazy("Accident"),
    ANNUITY: gettext_lazy("Annuity / pension"),
    EDUCATION: gettext_lazy("Education"),
}
# Which policy types count as which cover (a product or rider named 教育 is education cover
# whatever its type, but for the three protection types).
LIFE_TYPES = (T.LIFE, T.UNIVERSAL, T.INVESTMENT_LINKED)
SAVINGS_TYPES = (T.ANNUITY, T.ENDOWMENT)
PROTECTION_TYPES = (T.CRITICAL_ILLNESS, T.MEDICAL, T.ACCIDENT)
# Policies with a death benefit, whose beneficiaries the review checks.
DEATH_BENEFIT_TYPES = (*LIFE_TYPES, *SAVINGS_TYPES, T.CRITICAL_ILLNESS)
PAYMENTS_A_YEAR = {
    Policy.Frequency.ANNUAL: 1,
    Policy.Frequency.SEMI_ANNUAL: 2,
    Policy.Frequency.QUARTERLY: 4,
    Policy.Frequency.MONTHLY: 12,
}
RIDER_EXPIRY_DAYS = 365
MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Needs:
    """What the review measures the cover against; the agent adjusts each on the page."""

    life_years: int = 10  # life cover: years of income, for an earner
    ci_years: int = 5  # critical illness: years of income, for an earner
    ci_min: int = 300_000  # critical illness for everyone else (children included)
    medical: int = 1_000_000  # a 百万医疗 (¥10,000 deductible) for everyone
    accident_years: int = 5  # accident: years of income, for an earner
    accident_min: int = 100_000  # accident for everyone else
    education: int = 200_000  # education fund per child
    premium_share: int = 20  # yearly premiums at most this % of the household's income

    def need(self, person: Person, cover: str) -> int:
        """The need of `person` for `cover` in yuan (0: none measured)."""
        income = person.income if person.is_earner else 0
        if cover == LIFE:
            return self.life_years * income
        if cover == CI:
            if person.is_elder and not income:
                return 0  # seldom insurable; the elder check below asks for any cover
            return max(self.ci_years * income, self.ci_min)
        if cover == MEDICAL:
            return self.medical
        if cover == ACCIDENT:
            return max(self.accident_years * income, self.accident_min)
        if cover == EDUCATION:
            return self.education if person.is_child else 0
        return 0


def cover_of(type_field: str, name_field: str) -> Case:
    """The review's cover category of a policy or rider, in SQL."""
    return Case(
        When(
            Q(**{f"{name_field}__contains": "教育"})
            & ~Q(**{f"{type_field}__in": PROTECTION_TYPES}),
            then=Value(EDUCATION),
        ),
        When(**{f"{type_field}__in": LIFE_TYPES}, then=Value(LIFE)),
        When(**{f"{type_field}__in": SAVINGS_TYPES}, then=Value(ANNUITY)),
        When(**{f"{type_field}__in": PROTECTION_TYPES}, then=F(type_field)),
        default=Value("other"),
    )


def yearly(amount: str, frequency_field: str) -> Case:
    """A premium per payment as a yearly amount (a single premium: 0), in SQL."""
    return Case(
        *(
            When(**{frequency_field: freq}, then=F(amount) * Value(times))
            for freq, times in PAYMENTS_A_YEAR.items()
        ),
        default=Value(ZERO),
        output_field=MONEY,
    )


def _sums(qs: QuerySet, *, prefix: str) -> QuerySet:
    """Per insured person: the CNY sums assured and the count of each cover, the count of
    all cover, the yearly premium still being paid (CNY). `prefix` reaches the policy from
    a rider ("policy__")."""
    cny = Q(**{f"{prefix}currency": Policy.Currency.CNY})
    paying = Q(
        **{
            f"{prefix}status__in": Policy.PREMIUM_PAYING_STATUSES,
            f"{prefix}premium_next_due__isnull": False,
        }
    )
    aggregates: dict[str, Any] = {}
    for cover in COVER_TYPES:
        aggregates[f"sum_{cover}"] = Coalesce(
            Sum("sum_assured", filter=cny & Q(cover=cover)), Value(ZERO), output_field=MONEY
        )
        aggregates[f"n_{cover}"] = Count("id", filter=Q(cover=cover))
    aggregates["n_all"] = Count("id")
    aggregates["n_foreign"] = Count("id", filter=~cny)
    aggregates["premium"] = Coalesce(
        Sum("yearly_premium", filter=cny & paying), Value(ZERO), output_field=MONEY
    )
    return qs.order_by().values("person").annotate(**aggregates)


def cover_rows(*, household: Household, today: date) -> dict[str, dict[str, Any]]:
    """The grouped sums per person key: two queries (policies, riders not yet expired), both
    over active policies only."""
    active = household_policies(household=household).filter(status__in=Policy.ACTIVE_STATUSES)
    policies = active.annotate(
        person=insured_key(),
        cover=cover_of("policy_type", "product_name"),
        yearly_premium=yearly("premium", "payment_frequency"),
    )
    riders = Rider.objects.filter(policy__in=active.values("pk"), expiry_date__gte=today).annotate(
        person=insured_key("policy__"),
        cover=cover_of("policy_type", "name"),
        yearly_premium=yearly("premium", "policy__payment_frequency"),
    )
    merged: dict[str, dict[str, Any]] = {}
    for row in [*_sums(policies, prefix=""), *_sums(riders, prefix="policy__")]:
        into = merged.setdefault(row["person"], dict.fromkeys(row, 0) | {"person": row["person"]})
        for key, value in row.items():
            if key != "person":
                into[key] += value
    return merged


def _issue(code: str, text: str, person: str = "") -> dict[str, str]:
    return {"code": code, "person": person, "text": text}


def _wan(amount) -> str:
    return money_text(amount, "CNY", short=True)


def lapse_issues(*, household: Household, today: date) -> list[dict[str, str]]:
    """Policies in grace, unpaid past grace, or lapsed: one query."""
    risk = lapse_risk_filter(risk=dates.LapseRisk.IN_GRACE, today=today) | lapse_risk_filter(
        risk=dates.LapseRisk.LAPSED, today=today
    )
    rows = (
        household_policies(household=household)
        .filter(risk | Q(status__in=(Policy.Status.GRACE, Policy.Status.LAPSED)))
        .values("product_name", "number", "status", "premium_grace_end")
        .order_by("premium_grace_end", "id")
    )
    issues = []
    for row in rows:
        what = _policy(row["product_name"], row["number"])
        if row["status"] == Policy.Status.LAPSED:
            text = _("%(policy)s has lapsed: ask about reinstatement.") % {"policy": what}
        elif row["premium_grace_end"] and row["premium_grace_end"] < today:
            text = _("%(policy)s: premium unpaid past the grace period.") % {"policy": what}
        else:
            text = _("%(policy)s is in its grace period until %(date)s: pay the premium.") % {
                "policy": what,
                "date": _date(row["premium_grace_end"]),
            }
        issues.append(_issue("lapse", text))
    return issues


def _date(value: date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else "—"


def _policy(product: str, number: str) -> str:
    """A policy named in an issue: its product and masked number."""
    return _("%(product)s (%(number)s)") % {"product": product, "number": mask_id(number)}


def rider_issues(*, household: Household, today: date) -> list[dict[str, str]]:
    """Riders (not renewed yearly) of active policies expiring within a year: one query."""
    rows = (
        Rider.objects.filter(
            policy__in=household_policies(household=household)
            .filter(status__in=Policy.ACTIVE_STATUSES)
            .values("pk"),
            expiry_date__gte=today,
            expiry_date__lte=today + timedelta(days=RIDER_EXPIRY_DAYS),
            yearly_renewable=False,
        )
        .values("name", "expiry_date", "policy__product_name")
        .order_by("expiry_date", "id")
    )
    return [
        _issue(
            "rider_expiry",
            _("Rider %(rider)s of %(policy)s expires on %(date)s: plan its replacement.")
            % {
                "rider": row["name"],
                "policy": row["policy__product_name"],
                "date": _date(row["expiry_date"]),
            },
        )
        for row in rows
    ]


def beneficiary_issues(*, household: Household) -> list[dict[str, str]]:
    """Active policies with a death benefit and no beneficiary named, or shares not adding
    up to 100%: one grouped query."""
    rows = (
        household_policies(household=household)
        .filter(status__in=Policy.ACTIVE_STATUSES, policy_type__in=DEATH_BENEFIT_TYPES)
        .annotate(named=Count("beneficiaries"), total=Sum("beneficiaries__share"))
        .filter(Q(named=0) | ~Q(total=Decimal(100)))
        .values("product_name", "number", "named", "total")
        .order_by("id")
    )
    issues = []
    for row in rows:
        what = _policy(row["product_name"], row["number"])
        if not row["named"]:
            text = _("%(policy)s names no beneficiary: the benefit goes to the legal heirs.")
        else:
            text = _("%(policy)s: the beneficiaries' shares add up to %(total)s%%, not 100%%.")
        issues.append(
            _issue(
                "beneficiary",
                text % {"policy": what, "total": f"{Decimal(row['total'] or 0).normalize():f}"},
            )
        )
    return issues


def review_data(
    *,
    household: Household,
    needs: Needs | None = None,
    agent=None,
    today: date | None = None,
    policy_rows: list[Policy] | None = None,
) -> dict[str, Any]:
    """Everything the review shows, as JSON-able data (amounts as strings of yuan).
    `policy_rows`: `household_policy_rows` when the caller already has them (the page)."""
    today = today or timezone.localdate()
    needs = needs or Needs()
    rows = cover_rows(household=household, today=today)
    issues: list[dict[str, str]] = []
    people = []
    known = {p.key for p in household.people}
    for person in household.people:
        row = rows.get(person.key, {})
        cover = {}
        for kind in COVER_TYPES:
            amount = row.get(f"sum_{kind}", ZERO)
            need = needs.need(person, kind)
            if not need:
                state = "ok" if row.get(f"n_{kind}") else "na"
            elif not row.get(f"n_{kind}"):
                state = "none"
            elif amount < need:
                state = "below"
            else:
                state = "ok"
            cover[kind] = {
                "sum": str(amount),
                "count": row.get(f"n_{kind}", 0),
                "need": need,
                "state": state,
            }
            label = str(COVER_LABELS[kind])
            if state == "none":
                issues.append(
                    _issue(
                        "no_cover",
                        _("%(name)s has no %(cover)s cover (need about %(need)s).")
                        % {"name": person.name, "cover": label, "need": _wan(need)},
                        person.key,
                    )
                )
            elif state == "below":
                issues.append(
                    _issue(
                        "below_need",
                        _("%(name)s: %(cover)s cover %(have)s, below the need of %(need)s.")
                        % {
                            "name": person.name,
                            "cover": label,
                            "have": _wan(amount),
                            "need": _wan(need),
                        },
                        person.key,
                    )
                )
        if row.get(f"n_{MEDICAL}", 0) > 1:
            issues.append(
                _issue(
                    "duplicate",
                    _(
                        "%(name)s has %(count)s medical covers: reimbursement pays a bill only "
                        "once, check for duplicated cover."
                    )
                    % {"name": person.name, "count": row[f"n_{MEDICAL}"]},
                    person.key,
                )
            )
        if not row.get("n_all") and (person.is_child or person.is_elder):
            issues.append(
                _issue(
                    "uncovered",
                    (
                        _("%(name)s (a child) has no cover at all.")
                        if person.is_child
                        else _("%(name)s (an elder) has no cover at all.")
                    )
                    % {"name": person.name},
                    person.key,
                )
            )
        people.append(
            {
                **{k: v for k, v in asdict(person).items() if k != "birth_date"},
                "group": (
                    "child"
                    if person.is_child
                    else "elder"
                    if person.is_elder
                    else "earner"
                    if person.is_earner
                    else "adult"
                ),
                "cover": cover,
                "premium": str(row.get("premium", ZERO)),
                "foreign": row.get("n_foreign", 0),
            }
        )
    premium = sum((r["premium"] for r in rows.values()), ZERO)
    income = household.income
    share = (premium * 100 / income).quantize(Decimal("0.1")) if income else None
    if share is not None and share > needs.premium_share:
        issues.append(
            _issue(
                "premium_burden",
                _(
                    "Yearly premiums of %(premium)s are %(share)s%% of the household's income "
                    "(%(income)s): above %(limit)s%%."
                )
                % {
                    "premium": money_text(premium, "CNY"),
                    "share": share,
                    "income": _wan(income),
                    "limit": needs.premium_share,
                },
            )
        )
    issues += lapse_issues(household=household, today=today)
    issues += rider_issues(household=household, today=today)
    issues += beneficiary_issues(household=household)
    client = household.client
    return {
        "prepared_on": today.isoformat(),
        "client": {
            "id": client.pk,
            "name": client.name,
            "id_number": client.id_number_masked,
        },
        "agent": _agent(agent or client.owner),
        "needs": asdict(needs),
        "people": people,
        "others": sorted(set(rows) - known),
        "totals": {
            "premium": str(premium),
            "income": income,
            "premium_share": str(share) if share is not None else None,
            "sums": {
                kind: str(sum((r[f"sum_{kind}"] for r in rows.values()), ZERO))
                for kind in COVER_TYPES
            },
        },
        "issues": issues,
        "policies": [
            _policy_data(p) for p in household_policy_rows(household=household, today=today)
        ],
    }


def _agent(user) -> dict[str, str]:
    return {
        "name": user.display_name or user.get_full_name() or user.username,
        "phone": user.phone,
        "email": user.email,
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _policy_data(policy: Policy) -> dict[str, Any]:
    insured = policy.insured
    return {
        "id": policy.pk,
        "person": policy.person_key,
        "insured": insured.name if insured else "",
        "holder": policy.holder.name,
        "insurer": policy.insurer.name,
        "product": policy.product_name,
        "number": mask_id(policy.number),
        "type": policy.policy_type,
        "type_label": str(policy.get_policy_type_display()),
        "status": policy.status,
        "status_label": str(policy.get_status_display()),
        "active": policy.is_active,
        "currency": policy.currency,
        "sum_assured": str(policy.sum_assured),
        "premium": str(policy.premium),
        "frequency_label": str(policy.get_payment_frequency_display()),
        "next_due": _iso(
            policy.premium_next_due if policy.status in Policy.PREMIUM_PAYING_STATUSES else None
        ),
        "next_anniversary": _iso(policy.next_anniversary),
        "next_payout": _iso(policy.next_payout),
        "payouts_to_come": str(policy.payouts_to_come or ZERO),
        "next_rider_expiry": _iso(policy.next_rider_expiry),
        "coverage_end": _iso(policy.coverage_end),
        "sold_by_others": policy.sold_by_others,
        "sold_through": policy.sold_through,
    }
