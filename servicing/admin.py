"""The admin of service requests, with their documents checklist and status timeline (shown,
never edited: the timeline is written by `service_request_set_status`)."""

from django.contrib import admin

from .models import ServiceRequest, ServiceRequestDocument, ServiceRequestStatusChange


class ServiceRequestDocumentInline(admin.TabularInline):
    model = ServiceRequestDocument
    extra = 0


class ServiceRequestStatusChangeInline(admin.TabularInline):
    # The timeline is written by service_request_set_status; the admin shows it, never edits it.
    model = ServiceRequestStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "at", "by", "note")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = (
        "policy",
        "kind",
        "category",
        "status",
        "opened_on",
        "next_action_date",
        "closed_on",
        "owner",
    )
    list_filter = ("kind", "category", "status")
    search_fields = ("policy__number", "policy__holder__name", "owner__username", "next_action")
    list_select_related = ("policy__insurer", "owner")
    raw_id_fields = ("owner", "policy")
    # Status moves through the service so the timeline is kept; closing sets closed_on.
    readonly_fields = ("status", "closed_on")
    date_hierarchy = "opened_on"
    inlines = [ServiceRequestDocumentInline, ServiceRequestStatusChangeInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # a request opened here starts its timeline like any other
            ServiceRequestStatusChange.objects.create(
                request=obj, from_status="", to_status=obj.status, by=request.user
            )


@admin.register(ServiceRequestDocument)
class ServiceRequestDocumentAdmin(admin.ModelAdmin):
    list_display = ("name", "request", "received_on")
    search_fields = ("name", "request__policy__number", "request__policy__holder__name")
    list_select_related = ("request__policy__insurer",)
    raw_id_fields = ("request",)


@admin.register(ServiceRequestStatusChange)
class ServiceRequestStatusChangeAdmin(admin.ModelAdmin):
    list_display = ("request", "from_status", "to_status", "at", "by")
    list_filter = ("to_status",)
    search_fields = ("request__policy__number", "request__policy__holder__name", "note")
    list_select_related = ("request__policy__insurer", "by")
    readonly_fields = ("request", "from_status", "to_status", "at", "by", "note")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
