from django.contrib import admin

from .models import Gift, GiftCap


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    list_display = ["what", "client", "owner", "occasion", "cost", "given_on"]
    list_filter = ["given_on"]
    raw_id_fields = ["owner", "client"]


@admin.register(GiftCap)
class GiftCapAdmin(admin.ModelAdmin):
    list_display = ["owner", "tier", "per_gift", "per_year"]
    raw_id_fields = ["owner"]
