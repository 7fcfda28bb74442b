"""Admin for the client archive."""

from django.contrib import admin

from .models import (
    Client,
    Commitment,
    CustomDate,
    FamilyMember,
    Interaction,
    LifeEvent,
    Segment,
    Tag,
)
from .services import client_last_contact_refresh


class FamilyMemberInline(admin.TabularInline):
    model = FamilyMember
    fk_name = "client"
    extra = 0
    fields = ("relation", "name", "gender", "birth_date", "birthday_calendar", "is_living")


class CustomDateInline(admin.TabularInline):
    model = CustomDate
    extra = 0


class CommitmentInline(admin.TabularInline):
    model = Commitment
    extra = 0
    fields = ("description", "due_date", "done_date")


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "stage", "source", "vip_tier", "mobile", "archived_at")
    list_filter = ("stage", "source", "vip_tier", "segments", "do_not_contact", "owner__team")
    search_fields = ("name", "mobile", "wechat_id", "owner__username", "owner__display_name")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    filter_horizontal = ("segments",)
    autocomplete_fields = ("tags",)
    date_hierarchy = "created_at"
    inlines = [FamilyMemberInline, CustomDateInline, CommitmentInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "owner")
    search_fields = ("name", "owner__username")
    list_select_related = ("owner",)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("code", "__str__")


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "client", "summary", "gift_value")
    list_filter = ("kind", "date")
    search_fields = ("client__name", "summary")
    list_select_related = ("client",)
    raw_id_fields = ("client", "created_by")

    # The clients' last contact follows an edit (a date, or a row moved to another client)
    # and a delete, as it does every service's write.
    def save_model(self, request, obj, form, change):
        before = Interaction.objects.filter(pk=obj.pk).values_list("client_id", flat=True)
        ids = [*before, obj.client_id] if change else [obj.client_id]
        super().save_model(request, obj, form, change)
        client_last_contact_refresh(client_ids=ids)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        client_last_contact_refresh(client_ids=[obj.client_id])

    def delete_queryset(self, request, queryset):
        ids = list(queryset.values_list("client_id", flat=True))
        super().delete_queryset(request, queryset)
        client_last_contact_refresh(client_ids=ids)


@admin.register(LifeEvent)
class LifeEventAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "client")
    list_filter = ("kind",)
    search_fields = ("client__name", "notes")
    list_select_related = ("client",)
    raw_id_fields = ("client",)


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ("due_date", "description", "client", "done_date")
    list_filter = ("done_date", "due_date")
    search_fields = ("client__name", "description")
    list_select_related = ("client",)
    raw_id_fields = ("client",)
