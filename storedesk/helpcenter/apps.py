from django.apps import AppConfig


class HelpcenterConfig(AppConfig):
    name = "storedesk.helpcenter"
    label = "helpcenter"
    verbose_name = "Help center"
