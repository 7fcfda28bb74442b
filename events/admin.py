from django.contrib import admin

from .models import Event, Invitee


class InviteeInline(admin.TabularInline):
    model = Invitee
    extra = 0
    raw_id_fields = ["client"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "date", "owner", "venue", "budget"]
    list_filter = ["date"]
    raw_id_fields = ["owner"]
    inlines = [InviteeInline]
