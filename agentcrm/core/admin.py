"""Admin for the operations models (job markers, export log)."""

from django.contrib import admin

from .models import ExportLog, JobMarker


@admin.register(JobMarker)
class JobMarkerAdmin(admin.ModelAdmin):
    list_display = ("name", "last_completed_day", "last_success_at")
    search_fields = ("name",)


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the exports themselves and never edited."""

    list_display = ("created_at", "user", "kind", "row_count")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__display_name", "kind")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    fields = ("created_at", "user", "kind", "row_count")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
