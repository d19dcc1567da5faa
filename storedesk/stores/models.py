from django.core.validators import RegexValidator
from django.db import models

from storedesk.core.models import TimeStampedModel


class Store(TimeStampedModel):
    """A shop or brand. Every customer-facing record belongs to exactly one store."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    default_locale = models.CharField(max_length=16, default="en")
    supported_locales = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    # Shop platform whose connector supplies orders (a key of commerce.connectors.REGISTRY).
    commerce_platform = models.CharField(max_length=40, default="demo")
    commerce_config = models.JSONField(default=dict, blank=True)
    brand_color = models.CharField(
        max_length=7,
        default="#1f6feb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a #rrggbb colour.")],
    )

    # When a person answers, in the store's time zone (see storedesk.stores.hours); empty
    # means always open.
    business_hours = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def locales(self) -> list[str]:
        """The default locale first, then the other supported ones."""
        rest = [code for code in self.supported_locales if code != self.default_locale]
        return [self.default_locale, *rest]
