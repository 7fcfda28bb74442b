"""Admin for users and teams."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .forms import AdminLoginForm
from .models import Team, User

# The admin's own sign-in page checks the user name's length too (forms.LoginForm).
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "team", "is_active", "last_login")
    list_filter = ("role", "team", "is_active", "is_staff")
    search_fields = ("username", "display_name", "first_name", "last_name", "email")
    list_select_related = ("team",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("AgentCRM"), {"fields": ("role", "team", "display_name", "phone")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("AgentCRM"), {"fields": ("role", "team", "display_name")}),
    )

    def save_model(self, request, obj, form, change):
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        # Saving an inactive user ends their sessions (accounts.signals), so the switch-off
        # takes effect on every device at once; the admin is told so.
        super().save_model(request, obj, form, change)
        if deactivated:
            messages.info(
                request, _("%(user)s was signed out on every device.") % {"user": obj.username}
            )


class MemberInline(admin.TabularInline):
    model = User
    fields = ("username", "display_name", "role", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager", "parent")
    list_filter = ("parent",)
    search_fields = ("name", "manager__username", "manager__display_name")
    autocomplete_fields = ("manager", "parent")
    list_select_related = ("manager", "parent")
    inlines = [MemberInline]
