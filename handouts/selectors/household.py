"""The household (家庭): a client, the client's family members, and the family members who
are clients themselves (linked through `FamilyMember.as_client`, not copied), with every
policy on any of them, as holder or insured.

A person is keyed "c<id>" (a client record: the client, or a family member linked to their
own client record) or "m<id>" (a family member who is not a client). The same key is built
in SQL for a policy's insured (`insured_key`), so the review's sums group by person in the
database.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.calendar import age_on
from clients.models import Client, FamilyMember
from clients.selectors import get_client_for_user
from policies import dates
from policies.models import Payout, Policy, Rider

CHILD_RELATIONS = {FamilyMember.Relation.CHILD, FamilyMember.Relation.GRANDCHILD}
ELDER_RELATIONS = {
    FamilyMember.Relation.PARENT,
    FamilyMember.Relation.PARENT_IN_LAW,
    FamilyMember.Relation.GRANDPARENT,
}
CHILD_UNDER = 18
ELDER_FROM = 60
# The income band's yearly income as the needs reckon it (the middle of the band; the top
# band at its floor), in yuan.
INCOME_OF_BAND = {
    Client.Income.UNDER_100K: 80_000,
    Client.Income.FROM_100K: 200_000,
    Client.Income.FROM_300K: 500_000,
    Client.Income.OVER_1M: 1_000_000,
}


@dataclass
class Person:
    key: str
    name: str
    relation: str  # "" for the client; a FamilyMember.Relation otherwise
    relation_label: str
    client_id: int | None = None
    member_id: int | None = None
    birth_date: date | None = None
    age: int | None = None
    income_band: str = ""
    income: int = 0

    @property
    def is_child(self) -> bool:
        if self.age is not None:
            return self.age < CHILD_UNDER
        return self.relation in CHILD_RELATIONS

    @property
    def is_elder(self) -> bool:
        if self.age is not None:
            return self.age >= ELDER_FROM
        return self.relation in ELDER_RELATIONS

    @property
    def is_earner(self) -> bool:
        return self.income > 0 and not self.is_child


@dataclass
class Household:
    client: Client
    people: list[Person]
    client_ids: list[int] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)

    @property
    def income(self) -> int:
        return sum(p.income for p in self.people)

    def person(self, key: str) -> Person | None:
        return next((p for p in self.people if p.key == key), None)


def _person_of_client(client: Client, *, relation: str, label: str, today: date) -> Person:
    return Person(
        key=f"c{client.pk}",
        name=client.name,
        relation=relation,
        relation_label=label,
        client_id=client.pk,
        birth_date=client.birth_date,
        age=age_on(client.birth_date, today) if client.birth_date else None,
        income_band=client.income_band,
        income=INCOME_OF_BAND.get(client.income_band, 0),
    )


def household_of(*, client: Client, today: date | None = None) -> Household:
    """The client and their living family, linked clients as their own record: one query."""
    today = today or timezone.localdate()
    people = [_person_of_client(client, relation="", label=_("Client"), today=today)]
    client_ids, member_ids = [client.pk], []
    members = (
        FamilyMember.objects.filter(client=client, is_living=True)
        .select_related("as_client")
        .order_by("relation", "birth_date", "id")
    )
    for member in members:
        member_ids.append(member.pk)
        linked = member.as_client
        label = str(member.get_relation_display())
        if (
            linked is not None
            and linked.owner_id == client.owner_id
            and linked.erased_at is None
            and linked.pk not in client_ids
        ):
            client_ids.append(linked.pk)
            people.append(
                _person_of_client(linked, relation=member.relation, label=label, today=today)
            )
        elif linked is None:
            people.append(
                Person(
                    key=f"m{member.pk}",
                    name=member.name,
                    relation=member.relation,
                    relation_label=label,
                    member_id=member.pk,
                    birth_date=member.birth_date,
                    age=age_on(member.birth_date, today) if member.birth_date else None,
                )
            )
    return Household(client=client, people=people, client_ids=client_ids, member_ids=member_ids)


def get_household_for_user(*, user: User, pk: int, today: date | None = None) -> Household:
    """The household of the user's client `pk`, else 404 (another agent's, a manager)."""
    return household_of(client=get_client_for_user(user=user, pk=pk), today=today)


def insured_key(prefix: str = "") -> Case:
    """A policy's insured as a person key ("c12" / "m34"), in SQL; `prefix` reaches the
    policy from another row ("policy__" from a rider)."""
    client_id = Coalesce(f"{prefix}insured_client_id", f"{prefix}insured_member__as_client_id")
    return Case(
        When(
            Q(**{f"{prefix}insured_client_id__isnull": False})
            | Q(**{f"{prefix}insured_member__as_client_id__isnull": False}),
            then=Concat(Value("c"), Cast(client_id, CharField())),
        ),
        default=Concat(Value("m"), Cast(f"{prefix}insured_member_id", CharField())),
        output_field=CharField(),
    )


def household_policies(*, household: Household) -> QuerySet[Policy]:
    """Every policy of the client's agent held by a household client or insuring anyone of
    the household; sold by others included (they count in the family's cover)."""
    ids, members = household.client_ids, household.member_ids
    return Policy.objects.filter(owner_id=household.client.owner_id).filter(
        Q(holder_id__in=ids)
        | Q(insured_client_id__in=ids)
        | Q(insured_member_id__in=members)
        | Q(insured_member__as_client_id__in=ids)
    )


def household_policy_rows(*, household: Household, today: date) -> list[Policy]:
    """The household page's policy table: one query, each policy with its insured's key,
    the next payout still to come and its next premium due, and `next_anniversary`."""
    rows = list(
        household_policies(household=household)
        .select_related("insurer", "holder", "insured_client", "insured_member")
        .annotate(
            person_key=insured_key(),
            next_payout=Subquery(_payouts(today).values("date")[:1]),
            payouts_to_come=Subquery(
                _payouts(today)
                .order_by()
                .values("policy_id")
                .annotate(total=Sum("amount"))
                .values("total")
            ),
            next_rider_expiry=Subquery(
                Rider.objects.filter(policy_id=OuterRef("pk"), expiry_date__gte=today)
                .order_by("expiry_date")
                .values("expiry_date")[:1]
            ),
        )
        .order_by("person_key", "-sum_assured", "id")
    )
    for policy in rows:
        policy.next_anniversary = dates.next_anniversary(
            effective=policy.effective_date, on_or_after=today
        )
        policy.is_active = policy.status in Policy.ACTIVE_STATUSES
        policy.coverage_end = coverage_end(policy)
    return rows


def _payouts(today: date) -> QuerySet[Payout]:
    return Payout.objects.filter(policy_id=OuterRef("pk"), claimed=False, date__gte=today).order_by(
        "date"
    )


def coverage_end(policy: Policy) -> date | None:
    """The day the cover ends (满期), None for whole life or an unknown birth date."""
    if policy.coverage_kind == Policy.Coverage.YEARS and policy.coverage_value:
        return dates.nth_anniversary(effective=policy.effective_date, n=policy.coverage_value)
    if policy.coverage_kind == Policy.Coverage.TO_AGE and policy.coverage_value:
        birth = policy.insured_birth_date
        if birth:
            return dates.anniversary_in_year(
                effective=policy.effective_date, year=birth.year + policy.coverage_value
            )
    return None
