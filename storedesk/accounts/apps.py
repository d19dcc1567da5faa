from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "storedesk.accounts"
    label = "accounts"
