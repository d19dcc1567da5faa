from django.contrib import admin

from storedesk.inboxes.models import Inbox


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    list_display = ("name", "store", "kind", "is_active")
    list_filter = ("kind", "store")
    # The config is edited in storedesk's settings; here it is shown without secrets.
    exclude = ("config",)
    readonly_fields = ("public_token", "settings_without_secrets")

    @admin.display(description="config")
    def settings_without_secrets(self, inbox):
        from storedesk.inboxes.selectors import config_without_secrets

        return config_without_secrets(inbox)
