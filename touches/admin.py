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


@admin.register(DigestPreference)
class DigestPreferenceAdmin(admin.ModelAdmin):
    list_display = ("owner", "enabled", "send_at", "email")
    list_filter = ("enabled",)
    search_fields = ("owner__username", "owner__display_name", "email")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)


@admin.register(TouchPreference)
class TouchPreferenceAdmin(admin.ModelAdmin):
    list_display = ("owner", "kind", "enabled", "lead_days")
    list_filter = ("kind", "enabled")
    search_fields = ("owner__username", "owner__display_name")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)


@admin.register(FestivalPreference)
class FestivalPreferenceAdmin(admin.ModelAdmin):
    list_display = ("owner", "festival", "enabled", "audience", "lead_days")
    list_filter = ("festival", "enabled")
    search_fields = ("owner__username", "owner__display_name")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)


@admin.register(ContactCadence)
class ContactCadenceAdmin(admin.ModelAdmin):
    list_display = ("owner", "tier", "days")
    list_filter = ("tier",)
    search_fields = ("owner__username", "owner__display_name")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)


@admin.register(GreetingTemplate)
class GreetingTemplateAdmin(admin.ModelAdmin):
    list_display = ("owner", "kind", "festival", "style")
    list_filter = ("kind", "style")
    search_fields = ("owner__username", "owner__display_name", "text")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)


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
