"""The after-sales pages of a policy: delivery and annual review. They live under
/policies/ with the `policies:` URL names they always had: the root URLconf joins these
patterns to `policies.urls` in the one `policies` namespace (policies imports nothing of
this app)."""

from django.urls import path

from .views import delivery, reviews

urlpatterns = [
    path("<int:pk>/delivery/", delivery.delivery, name="delivery"),
    path("<int:pk>/delivery/tick/", delivery.delivery_tick, name="delivery_tick"),
    path("<int:pk>/reviews/new/", reviews.review_create, name="review_create"),
    path("reviews/<int:review_pk>/", reviews.review_detail, name="review_detail"),
    path("reviews/<int:review_pk>/edit/", reviews.review_edit, name="review_edit"),
]
