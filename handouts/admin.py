from django.contrib import admin

from .models import ReviewSnapshot


@admin.register(ReviewSnapshot)
class ReviewSnapshotAdmin(admin.ModelAdmin):
    list_display = ("review", "saved_at", "saved_by")
    raw_id_fields = ("review", "saved_by")
