from django.contrib import admin
from django.urls import path

from storedesk.conversations.views import attachment_download
from storedesk.core.api import api
from storedesk.core.views import healthz
from storedesk.web import views as web_views

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("attachments/<int:attachment_id>/download", attachment_download, name="attachment"),
    path("forms/<str:token>/", web_views.webform_page, name="webform"),
    path("admin/", admin.site.urls),
    path("", web_views.home, name="home"),
]
