from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "storedesk.commerce"
    label = "commerce"
