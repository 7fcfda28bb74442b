"""What the policy detail page shows of the policy's records (premium schedule, payouts,
status change) and the forms on it. The cards other apps add (delivery, service requests,
annual reviews) come through `touches.registry.policy_parts`.

`policy_detail` adds these to its context; the views behind those forms re-render the page
with their bound form (and status 400) when the input is refused.
"""

from datetime import date
from typing import Any

from .. import selectors
from ..forms.policy import StatusChangeForm
from ..forms.schedule import PayoutForm, PayoutGenerateForm, PremiumPaymentForm
from ..models import Payout, Policy
from ..services.schedule import PayoutPattern


def detail_sections(*, policy: Policy, today: date) -> dict[str, Any]:
    """A fixed number of queries whatever the number of payouts or payments: one each."""
    payouts = list(policy.payouts.all())
    premiums = selectors.premium_schedule(policy=policy, today=today)
    next_payable = premiums.payable[0].isoformat() if premiums.payable else None
    return {
        "payouts": payouts,
        "payout_schedule": selectors.payout_schedule(payouts=payouts, today=today),
        "premium_schedule": premiums,
        "pay_form": PremiumPaymentForm(
            payable=premiums.payable,
            initial={"due_date": next_payable, "paid_on": today, "amount": policy.premium},
            auto_id="pay_%s",  # each form of the page its own ids (labels point at its fields)
        ),
        "status_form": StatusChangeForm(policy=policy, auto_id="status_%s"),
        "payout_add_form": PayoutForm(initial={"kind": Payout.Kind.SURVIVAL}, auto_id="payout_%s"),
        "payout_generate_form": PayoutGenerateForm(
            initial={"pattern": PayoutPattern.EVERY_N_YEARS, "kind": Payout.Kind.SURVIVAL},
            auto_id="payouts_%s",
        ),
    }
