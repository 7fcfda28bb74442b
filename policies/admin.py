"""The admin of policies: insurers (a changed grace period moves the stored grace ends),
policies with their riders, beneficiaries, payouts, payments and status history."""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import (
    Beneficiary,
    Insurer,
    Payout,
    Policy,
    PolicyStatusChange,
    PremiumPayment,
    Rider,
)
from .services.policy import (
    beneficiary_shares_validate,
    insurer_grace_days_apply,
    policy_premium_refresh,
)


class RiderInline(admin.TabularInline):
    model = Rider
    extra = 0


class BeneficiaryFormSet(BaseInlineFormSet):
    """Shares total 100 over the rows kept, the same rule the services apply."""

    def clean(self):
        super().clean()
        kept = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE", False)
        ]
        beneficiary_shares_validate(shares=[row.get("share") for row in kept])


class BeneficiaryInline(admin.TabularInline):
    model = Beneficiary
    formset = BeneficiaryFormSet
    extra = 0


class PayoutInline(admin.TabularInline):
    model = Payout
    extra = 0


class PremiumPaymentInline(admin.TabularInline):
    model = PremiumPayment
    extra = 0


class StatusChangeInline(admin.TabularInline):
    # History is written by policy_set_status only; the admin shows it, never edits it.
    model = PolicyStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "at", "by", "note")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Insurer)
class InsurerAdmin(admin.ModelAdmin):
    list_display = ("name", "grace_days", "confirmed", "added_by")
    list_filter = ("confirmed",)
    search_fields = ("name",)
    actions = ["confirm"]

    @admin.action(description=gettext_lazy("Confirm: offer to every agent"))
    def confirm(self, request, queryset):
        count = queryset.filter(confirmed=False).update(confirmed=True)
        self.message_user(request, _("%(count)s insurers confirmed.") % {"count": count})

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "grace_days" in form.changed_data:
            insurer_grace_days_apply(insurer=obj)


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "insurer",
        "product_name",
        "policy_type",
        "holder",
        "owner",
        "status",
        "effective_date",
    )
    list_filter = ("status", "policy_type", "insurer", "payment_frequency", "currency")
    search_fields = ("number", "product_name", "holder__name", "owner__username")
    list_select_related = ("insurer", "holder", "owner")
    raw_id_fields = ("owner", "holder", "insured_client", "insured_member")
    # Status changes go through the service so history is written; the admin shows it only.
    readonly_fields = (
        "status",
        "status_changed_at",
        "anniversary_md",
        "premium_next_due",
        "premium_grace_end",
    )
    date_hierarchy = "effective_date"
    inlines = [
        RiderInline,
        BeneficiaryInline,
        PayoutInline,
        PremiumPaymentInline,
        StatusChangeInline,
    ]

    def save_related(self, request, form, formsets, change):
        # After the inlines, so payments entered here count for the next due.
        super().save_related(request, form, formsets, change)
        policy_premium_refresh(policy=form.instance)


@admin.register(Rider)
class RiderAdmin(admin.ModelAdmin):
    list_display = ("name", "policy", "expiry_date", "yearly_renewable")
    list_filter = ("yearly_renewable",)
    search_fields = ("name", "policy__number", "policy__holder__name")
    list_select_related = ("policy__insurer",)
    raw_id_fields = ("policy",)


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "amount", "policy", "claimed", "claimed_on")
    list_filter = ("kind", "claimed")
    search_fields = ("policy__number", "policy__holder__name")
    list_select_related = ("policy__insurer",)
    raw_id_fields = ("policy",)
    date_hierarchy = "date"
