"""Admin for book handovers."""

from django.contrib import admin

from .models import Handover, HandoverClient


class HandoverClientInline(admin.TabularInline):
    model = HandoverClient
    fields = ("client", "from_agent", "to_agent", "changed_on")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Handover)
class HandoverAdmin(admin.ModelAdmin):
    list_display = ("from_agent", "by", "created_at", "clients_moved", "policies_moved")
    readonly_fields = ("from_agent", "by", "reason", "clients_moved", "policies_moved")
    inlines = [HandoverClientInline]

    def has_add_permission(self, request):
        return False  # handovers are made on /team/handover/, in one transaction
