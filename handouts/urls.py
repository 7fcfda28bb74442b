"""The household review pages under /clients/<id>/ and the annual review's snapshot
(namespace handouts)."""

from django.urls import path

from . import views

app_name = "handouts"

urlpatterns = [
    path("clients/<int:pk>/household/", views.household, name="household"),
    path("clients/<int:pk>/review.pdf", views.review_pdf_view, name="review_pdf"),
    path("clients/<int:pk>/review.png", views.review_png_view, name="review_png"),
    path(
        "policies/reviews/<int:review_pk>/handout/", views.review_snapshot, name="review_snapshot"
    ),
    path(
        "policies/reviews/<int:review_pk>/handout/save/",
        views.review_snapshot_save,
        name="review_snapshot_save",
    ),
]
