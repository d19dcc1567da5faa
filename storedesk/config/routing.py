from django.urls import path

from storedesk.core.consumers import AgentEventsConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentEventsConsumer.as_asgi()),
]
