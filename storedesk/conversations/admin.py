from django.contrib import admin

from storedesk.conversations.models import Conversation, Message, Tag


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "subject", "store", "status", "assignee", "created_at")
    list_filter = ("status", "store")
    raw_id_fields = ("contact", "assignee")
    search_fields = ("subject",)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "kind", "delivery_status", "created_at")
    list_filter = ("kind", "delivery_status")
    raw_id_fields = ("conversation", "sender_contact", "sender_agent")


admin.site.register(Tag)
