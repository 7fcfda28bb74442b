from django.contrib import admin

from .models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "reason", "due_date", "touches_made", "created_at")
    list_filter = ("reason",)
    raw_id_fields = ("owner",)
