from django.contrib import admin

from storedesk.stores.models import Store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "default_locale", "time_zone")
