from django.contrib.auth import views as auth_views
from django.urls import path

from storedesk.web.views import (
    auth,
    contacts,
    conversation,
    helpcenter,
    inbox,
    public,
    reports,
    settings_pages,
)

urlpatterns = [
    path("", public.home, name="home"),
    path("forms/<str:token>/", public.webform_page, name="webform"),
    path("requests/solved/<str:token>/", public.request_solved, name="assistant-solved"),
    path("login/", auth.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", auth.preferences, name="preferences"),
    path("availability", auth.availability, name="availability"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/counts", inbox.inbox_counts, name="inbox-counts"),
    path("inbox/bulk", inbox.inbox_bulk, name="inbox-bulk"),
    path("c/<int:conversation_id>/", conversation.conversation_page, name="conversation"),
    path(
        "c/<int:conversation_id>/thread",
        conversation.conversation_thread,
        name="conversation-thread",
    ),
    path(
        "c/<int:conversation_id>/compose",
        conversation.conversation_compose,
        name="conversation-compose",
    ),
    path(
        "c/<int:conversation_id>/update",
        conversation.conversation_update,
        name="conversation-update",
    ),
    path(
        "c/<int:conversation_id>/canned/<int:reply_id>",
        conversation.canned_reply_text,
        name="canned-text",
    ),
    path(
        "c/<int:conversation_id>/m/<int:message_id>/body",
        conversation.message_body,
        name="message-body",
    ),
    path(
        "c/<int:conversation_id>/m/<int:message_id>/original",
        conversation.message_original,
        name="message-original",
    ),
    path(
        "c/<int:conversation_id>/m/<int:message_id>/raw",
        conversation.message_raw,
        name="message-raw",
    ),
    path(
        "c/<int:conversation_id>/assist",
        conversation.conversation_assist,
        name="conversation-assist",
    ),
    path(
        "c/<int:conversation_id>/articles",
        helpcenter.article_picker,
        name="conversation-articles",
    ),
    path("contacts/", contacts.contact_list, name="contacts"),
    path("contacts/<int:contact_id>/", contacts.contact_detail, name="contact"),
    path("contacts/<int:contact_id>/merge", contacts.contact_merge, name="contact-merge"),
    path("helpcenter/", helpcenter.article_list, name="helpcenter"),
    path("helpcenter/new", helpcenter.article_new, name="helpcenter-new"),
    path("helpcenter/preview", helpcenter.article_preview, name="helpcenter-preview"),
    path("helpcenter/categories/", helpcenter.category_list, name="helpcenter-categories"),
    path("helpcenter/gaps/", helpcenter.content_gap_list, name="helpcenter-gaps"),
    path(
        "helpcenter/<int:article_id>/questions",
        helpcenter.article_questions,
        name="helpcenter-questions",
    ),
    path(
        "helpcenter/<int:article_id>/delete",
        helpcenter.article_delete,
        name="helpcenter-delete",
    ),
    path(
        "helpcenter/<int:article_id>/<str:locale>/",
        helpcenter.article_edit,
        name="helpcenter-article",
    ),
    path("reports/", reports.reports, name="reports"),
    path("reports/conversations", reports.report_conversations, name="reports-conversations"),
    path("reports/export/<slug:table>.csv", reports.report_export, name="reports-export"),
    path("settings/", settings_pages.settings_home, name="settings"),
    path("settings/stores/", settings_pages.settings_stores, name="settings-stores"),
    path("settings/stores/<int:store_id>/", settings_pages.settings_stores, name="settings-store"),
    path("settings/inboxes/", settings_pages.settings_inboxes, name="settings-inboxes"),
    path(
        "settings/inboxes/<int:inbox_id>/", settings_pages.settings_inboxes, name="settings-inbox"
    ),
    path(
        "settings/inboxes/<int:inbox_id>/rotate",
        settings_pages.settings_inbox_rotate,
        name="settings-inbox-rotate",
    ),
    path(
        "settings/inboxes/<int:inbox_id>/received/",
        settings_pages.settings_inbox_received,
        name="settings-inbox-received",
    ),
    path(
        "settings/inboxes/<int:inbox_id>/received/<int:payload_id>/raw",
        settings_pages.settings_payload_raw,
        name="settings-payload-raw",
    ),
    path(
        "settings/inboxes/<int:inbox_id>/received/<int:payload_id>/reprocess",
        settings_pages.settings_payload_reprocess,
        name="settings-payload-reprocess",
    ),
    path("settings/agents/", settings_pages.settings_agents, name="settings-agents"),
    path("settings/agents/<int:agent_id>/", settings_pages.settings_agents, name="settings-agent"),
    path("settings/teams/", settings_pages.settings_teams, name="settings-teams"),
    path("settings/teams/<int:team_id>/", settings_pages.settings_teams, name="settings-team"),
    path("settings/canned/", settings_pages.settings_canned, name="settings-canned"),
    path("settings/assistant/", settings_pages.settings_assistant, name="settings-assistant"),
    path(
        "settings/assistant/<int:intent_id>/",
        settings_pages.settings_assistant,
        name="settings-assistant-intent",
    ),
    path(
        "settings/canned/<int:reply_id>/",
        settings_pages.settings_canned,
        name="settings-canned-edit",
    ),
]
