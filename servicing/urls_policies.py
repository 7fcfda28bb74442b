"""The pages under /policies/, in the one `policies` URL namespace they always had: the
policy pages of `policies.urls` and this app's after-sales pages of a policy (delivery and
annual review). The root URLconf includes this module by name (the base imports no domain
app); policies imports nothing of this app.
"""

from django.urls import path

from policies import urls as policies_urls

from .views import delivery, reviews

app_name = policies_urls.app_name

urlpatterns = [
    *policies_urls.urlpatterns,
    path("<int:pk>/delivery/", delivery.delivery, name="delivery"),
    path("<int:pk>/delivery/tick/", delivery.delivery_tick, name="delivery_tick"),
    path("<int:pk>/reviews/new/", reviews.review_create, name="review_create"),
    path("reviews/<int:review_pk>/", reviews.review_detail, name="review_detail"),
    path("reviews/<int:review_pk>/edit/", reviews.review_edit, name="review_edit"),
]
