from django.urls import path

from storedesk.core.consumers import AgentEventsConsumer
from storedesk.inboxes.adapters.webchat.consumer import VisitorConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentEventsConsumer.as_asgi()),
    path("ws/chat/<str:public_token>/", VisitorConsumer.as_asgi()),
]
