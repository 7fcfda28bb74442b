from django.contrib import admin

from .models import ErasureLog


@admin.register(ErasureLog)
class ErasureLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "client_id", "user", "reason", "counts"]
    list_filter = ["reason"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
