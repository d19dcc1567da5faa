from django.contrib import admin

from storedesk.routing.models import CannedReply


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "store", "updated_at")
    list_filter = ("store",)
