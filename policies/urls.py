"""The policy pages under /policies/ (namespace `policies`). The root URLconf adds the
after-sales pages (servicing.urls_policies) to this namespace."""

from django.urls import path

from .views import policy, schedule

app_name = "policies"

urlpatterns = [
    path("", policy.policy_list, name="list"),
    path("new/", policy.policy_create, name="create"),
    # The policy form's pickers: the agent's clients matching a search, a holder's family.
    path("people/", policy.people_options, name="people"),
    path("<int:pk>/", policy.policy_detail, name="detail"),
    path("<int:pk>/edit/", policy.policy_edit, name="edit"),
    path("<int:pk>/status/", policy.policy_status_change, name="status_change"),
    # The rows dated against the policy.
    path("<int:pk>/premiums/pay/", schedule.premium_pay, name="premium_pay"),
    path("<int:pk>/payouts/generate/", schedule.payout_generate, name="payout_generate"),
    path("<int:pk>/payouts/add/", schedule.payout_add, name="payout_add"),
    path("<int:pk>/payouts/<int:payout_pk>/edit/", schedule.payout_edit, name="payout_edit"),
    path("<int:pk>/payouts/<int:payout_pk>/delete/", schedule.payout_delete, name="payout_delete"),
    path("<int:pk>/payouts/<int:payout_pk>/claim/", schedule.payout_claim, name="payout_claim"),
]
