from django.contrib import admin

from .models import JobMarker


@admin.register(JobMarker)
class JobMarkerAdmin(admin.ModelAdmin):
    list_display = ("name", "last_completed_day", "last_success_at")
    search_fields = ("name",)
