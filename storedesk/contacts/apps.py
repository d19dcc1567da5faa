from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "storedesk.contacts"
    label = "contacts"
