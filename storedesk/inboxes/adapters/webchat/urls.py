from django.urls import path

from storedesk.inboxes.adapters.webchat import views

urlpatterns = [
    path("widget.js", views.widget_script, name="chat-widget"),
    path("demo-shop/", views.demo_shop, name="demo-shop"),
    path("chat/<str:public_token>/", views.chat_frame, name="chat-frame"),
    path("chat/<str:public_token>/upload", views.chat_upload, name="chat-upload"),
    path("chat/<str:public_token>/offline", views.chat_offline, name="chat-offline"),
    path("chat/<str:public_token>/files/<str:file_token>", views.chat_file, name="chat-file"),
]
