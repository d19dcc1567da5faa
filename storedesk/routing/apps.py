from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "storedesk.routing"
    label = "routing"
