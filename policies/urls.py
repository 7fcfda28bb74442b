from django.urls import path

from . import views

app_name = "policies"

urlpatterns = [
    path("", views.policy_list, name="list"),
    path("new/", views.policy_create, name="create"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/edit/", views.policy_edit, name="edit"),
    # The policy's records (views.records). The after-sales pages (delivery, annual review)
    # join this namespace from servicing.urls_policies, in the root URLconf.
    path("<int:pk>/status/", views.policy_status_change, name="status_change"),
    path("<int:pk>/premiums/pay/", views.premium_pay, name="premium_pay"),
    path("<int:pk>/payouts/generate/", views.payout_generate, name="payout_generate"),
    path("<int:pk>/payouts/add/", views.payout_add, name="payout_add"),
    path("<int:pk>/payouts/<int:payout_pk>/edit/", views.payout_edit, name="payout_edit"),
    path("<int:pk>/payouts/<int:payout_pk>/delete/", views.payout_delete, name="payout_delete"),
    path("<int:pk>/payouts/<int:payout_pk>/claim/", views.payout_claim, name="payout_claim"),
]
