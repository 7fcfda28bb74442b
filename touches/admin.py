"""Admin for the touch engine's settings and the nightly build's record. Touches themselves
are the agents' work and are reached through their pages, not edited here; the nightly
build's runs are read-only (a run is claimed and finished by the workers alone)."""

from django.contrib import admin

from .models import (
    ContactCadence,
    DigestPreference,
    FestivalPreference,
    GreetingTemplate,
    TouchBuildBatch,
    TouchBuildRun,
    TouchPreference,
)


class AgentSettingAdmin(admin.ModelAdmin):
    """An agent's own setting: found by the agent's name, the agent picked by id."""

    search_fields = ("owner__username", "owner__display_name")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)


@admin.register(DigestPreference)
class DigestPreferenceAdmin(AgentSettingAdmin):
    list_display = ("owner", "enabled", "send_at", "email")
    list_filter = ("enabled",)
    search_fields = (*AgentSettingAdmin.search_fields, "email")


@admin.register(TouchPreference)
class TouchPreferenceAdmin(AgentSettingAdmin):
    list_display = ("owner", "kind", "enabled", "lead_days")
    list_filter = ("kind", "enabled")


@admin.register(FestivalPreference)
class FestivalPreferenceAdmin(AgentSettingAdmin):
    list_display = ("owner", "festival", "enabled", "audience", "lead_days")
    list_filter = ("festival", "enabled")


@admin.register(ContactCadence)
class ContactCadenceAdmin(AgentSettingAdmin):
    list_display = ("owner", "tier", "days")
    list_filter = ("tier",)


@admin.register(GreetingTemplate)
class GreetingTemplateAdmin(AgentSettingAdmin):
    list_display = ("owner", "kind", "festival", "style")
    list_filter = ("kind", "style")
    search_fields = (*AgentSettingAdmin.search_fields, "text")


class TouchBuildBatchInline(admin.TabularInline):
    model = TouchBuildBatch
    extra = 0
    can_delete = False
    readonly_fields = ("number", "first_owner_id", "last_owner_id", "touches_written", "done_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TouchBuildRun)
class TouchBuildRunAdmin(admin.ModelAdmin):
    list_display = (
        "day", "batches_done", "batches_total", "touches_written", "created_at", "completed_at"
    )  # fmt: skip
    date_hierarchy = "day"
    readonly_fields = list_display
    inlines = [TouchBuildBatchInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
