from django.contrib import admin

from storedesk.inboxes.models import Inbox


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    list_display = ("name", "store", "kind", "is_active")
    list_filter = ("kind", "store")
    readonly_fields = ("public_token",)
