"""Shop platform connectors, found by ``Store.commerce_platform`` through :data:`REGISTRY`."""

from storedesk.commerce.connectors.base import Connector
from storedesk.core.errors import ValidationError

REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    REGISTRY[cls.platform] = cls
    return cls


def connector_for(store) -> Connector:
    try:
        return REGISTRY[store.commerce_platform](store)
    except KeyError:
        raise ValidationError(
            f"Unknown shop platform {store.commerce_platform!r}.", field="commerce_platform"
        ) from None


# Registry lines: one per platform.
from storedesk.commerce.connectors.demo import connector as _demo  # noqa: E402, F401
