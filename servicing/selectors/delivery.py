"""Reads for the delivery checklist of a policy the caller already got from
`get_policy_for_user`."""

from dataclasses import dataclass

from policies.models import Policy

from ..models import Delivery, DeliveryItem, DeliveryTick


@dataclass(frozen=True)
class DeliveryProgress:
    done: int
    total: int = len(DeliveryItem)

    @property
    def complete(self) -> bool:
        return self.done >= self.total


@dataclass(frozen=True)
class ChecklistRow:
    item: DeliveryItem
    tick: DeliveryTick | None

    @property
    def is_referrals_step(self) -> bool:
        return self.item == DeliveryItem.STEP_REFERRALS


@dataclass
class DeliveryChecklist:
    delivery: Delivery | None
    preparation: list[ChecklistRow]
    steps: list[ChecklistRow]
    progress: DeliveryProgress


def delivery_progress(*, policy: Policy) -> DeliveryProgress:
    """How many of the checklist's items are done: one query."""
    return DeliveryProgress(done=DeliveryTick.objects.filter(delivery__policy=policy).count())


def delivery_checklist_row(*, policy: Policy, item: DeliveryItem) -> ChecklistRow:
    tick = (
        DeliveryTick.objects.filter(delivery__policy=policy, item=item).select_related("by").first()
    )
    return ChecklistRow(item=item, tick=tick)


def delivery_checklist(*, policy: Policy) -> DeliveryChecklist:
    """The delivery record (None until first used) and every item with its tick: two queries."""
    delivery = Delivery.objects.filter(policy=policy).first()
    ticks = (
        {t.item: t for t in DeliveryTick.objects.filter(delivery=delivery).select_related("by")}
        if delivery
        else {}
    )
    return DeliveryChecklist(
        delivery=delivery,
        preparation=[ChecklistRow(item=i, tick=ticks.get(i)) for i in DeliveryItem.preparation()],
        steps=[ChecklistRow(item=i, tick=ticks.get(i)) for i in DeliveryItem.steps()],
        progress=DeliveryProgress(done=len(ticks)),
    )
