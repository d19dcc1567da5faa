from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from storedesk.conversations.views import attachment_download, attachment_inline
from storedesk.core.api import api
from storedesk.core.views import healthz
from storedesk.web.views.public import TranslationCatalog

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("attachments/<int:attachment_id>/download", attachment_download, name="attachment"),
    path("attachments/inline/<str:token>", attachment_inline, name="attachment-inline"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/catalog.js", TranslationCatalog.as_view(), name="js-catalog"),
    path("admin/", admin.site.urls),
    path("", include("storedesk.inboxes.adapters.webchat.urls")),
    path("help/", include("storedesk.helpcenter.urls")),
    path("", include("storedesk.web.urls")),
]
