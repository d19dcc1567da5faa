from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "storedesk.analytics"
    label = "analytics"
    verbose_name = "Analytics"
