"""Shared model building blocks."""

from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    # A default, not auto_now_add: services may date a row by when it happened (e.g. a
    # conversation started by a message received earlier).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
