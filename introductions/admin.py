from django.contrib import admin

from .models import Introduction, Need, Offer


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("title", "client", "consent_on")
    raw_id_fields = ("client",)


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ("kind", "client", "consent_on")
    raw_id_fields = ("client",)


@admin.register(Introduction)
class IntroductionAdmin(admin.ModelAdmin):
    list_display = ("kind", "owner", "introduced_on", "outcome")
    raw_id_fields = ("owner", "client_a", "client_b", "offer", "profile_a", "profile_b")
