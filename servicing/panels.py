"""What servicing adds to the pages of the apps below it, registered in
`ServicingConfig.ready()` (those apps import nothing of this one): the household's annual
reviews on the client page, and the delivery, service-request and annual-review cards on the
policy page. Each context function runs a fixed number of queries."""

from datetime import date
from typing import Any

from clients.models import Client
from policies.models import Policy

from . import selectors


def client_reviews_panel(client: Client) -> dict[str, Any]:
    """The household's annual reviews, newest first, with their counts: one query."""
    return {"client": client, "reviews": list(selectors.reviews_for_client(client=client))}


def policy_delivery_part(policy: Policy, today: date) -> dict[str, Any]:
    """How far the delivery checklist is: one query."""
    return {"delivery_progress": selectors.delivery_progress(policy=policy)}


def policy_requests_part(policy: Policy, today: date) -> dict[str, Any]:
    """The policy's requests, open ones by urgency first: one query, when the card shows."""
    return {"service_requests": selectors.service_requests_for_policy(policy=policy, today=today)}


def policy_reviews_part(policy: Policy, today: date) -> dict[str, Any]:
    """The reviews that covered the policy, and the latest anniversary still without one (once
    it has come, for a policy in force): two queries."""
    reviews = list(selectors.reviews_for_policy(policy=policy))
    anniversary = selectors.review_default_anniversary(policy=policy, today=today)
    missing = (
        policy.status in Policy.ACTIVE_STATUSES and anniversary <= today
    ) and not selectors.household_review_on(household=policy.holder, anniversary=anniversary)
    return {"reviews": reviews, "review_missing": anniversary if missing else None}
