from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from storedesk.accounts.models import Agent, ApiToken, AuditLog, Team


@admin.register(Agent)
class AgentAdmin(UserAdmin):
    list_display = ("username", "display_name", "email", "role", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("storedesk", {"fields": ("role", "display_name", "locale", "time_zone", "stores")}),
    )
    filter_horizontal = ("stores", "groups", "user_permissions")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name",)
    filter_horizontal = ("members",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("agent", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "token_hash", "last_used_at")


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)

    def has_change_permission(self, request, obj=None):
        return False
