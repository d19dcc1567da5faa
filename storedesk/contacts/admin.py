from django.contrib import admin

from storedesk.contacts.models import Contact, ContactIdentity


class IdentityInline(admin.TabularInline):
    model = ContactIdentity
    extra = 0


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "store", "created_at")
    list_filter = ("store",)
    search_fields = ("name", "email", "phone")
    raw_id_fields = ("dedicated_agent",)
    inlines = [IdentityInline]
