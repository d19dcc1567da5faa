from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "storedesk.assistant"
    label = "assistant"
    verbose_name = "Assistant"
