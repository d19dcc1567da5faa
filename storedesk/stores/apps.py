from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "storedesk.stores"
    label = "stores"
