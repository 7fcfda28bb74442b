"""What the policy detail page shows of the policy's records and after-sales work (premium
schedule, payouts, delivery, reviews, status change) and the forms on it.

`policy_detail` adds these to its context; the views behind those forms re-render the page
with their bound form (and status 400) when the input is refused.
"""

from datetime import date
from typing import Any

from .. import selectors
from ..forms_records import (
    PayoutForm,
    PayoutGenerateForm,
    PremiumPaymentForm,
    StatusChangeForm,
)
from ..models import Payout, Policy
from ..services import PayoutPattern


def detail_sections(*, policy: Policy, today: date) -> dict[str, Any]:
    """A fixed number of queries whatever the number of payouts, payments, ticks or reviews:
    payouts, payments, the delivery tick count, the reviews and the household's review for
    the latest anniversary, one each."""
    payouts = list(policy.payouts.all())
    premiums = selectors.premium_schedule(policy=policy, today=today)
    reviews = list(selectors.reviews_for_policy(policy=policy))
    review_anniversary = selectors.review_default_anniversary(policy=policy, today=today)
    # The anniversary a new review would be for, once it has come, if it has no review yet.
    review_missing = (
        policy.status in Policy.ACTIVE_STATUSES and review_anniversary <= today
    ) and not selectors.household_review_on(household=policy.holder, anniversary=review_anniversary)
    next_payable = premiums.payable[0].isoformat() if premiums.payable else None
    return {
        "payouts": payouts,
        "payout_schedule": selectors.payout_schedule(payouts=payouts, today=today),
        "premium_schedule": premiums,
        "pay_form": PremiumPaymentForm(
            payable=premiums.payable,
            initial={"due_date": next_payable, "paid_on": today, "amount": policy.premium},
        ),
        "status_form": StatusChangeForm(policy=policy),
        "payout_add_form": PayoutForm(initial={"kind": Payout.Kind.SURVIVAL}),
        "payout_generate_form": PayoutGenerateForm(
            initial={"pattern": PayoutPattern.EVERY_N_YEARS, "kind": Payout.Kind.SURVIVAL}
        ),
        "delivery_progress": selectors.delivery_progress(policy=policy),
        "reviews": reviews,
        "review_missing": review_anniversary if review_missing else None,
    }
