from django.contrib import admin

from storedesk.commerce.models import Order


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "store", "customer_email", "status", "total", "currency")
    list_filter = ("store", "status")
    search_fields = ("number", "customer_email")
    raw_id_fields = ("contact",)
