"""Channel adapters, found by ``Inbox.kind`` through :data:`REGISTRY`.

Adding a channel: a package under ``adapters/`` with a :class:`ChannelAdapter` subclass
decorated with :func:`register`, and its import line at the bottom of this module.
"""

from storedesk.core.errors import ValidationError
from storedesk.inboxes.adapters.base import ChannelAdapter

REGISTRY: dict[str, type[ChannelAdapter]] = {}


def register(cls: type[ChannelAdapter]) -> type[ChannelAdapter]:
    REGISTRY[cls.kind] = cls
    return cls


def adapter_class(kind: str) -> type[ChannelAdapter]:
    try:
        return REGISTRY[kind]
    except KeyError:
        raise ValidationError(f"Unknown inbox kind {kind!r}.", field="kind") from None


def adapter_for(inbox) -> ChannelAdapter:
    return adapter_class(inbox.kind)(inbox)


# Registry lines: one per channel.
from storedesk.inboxes.adapters.api import adapter as _api  # noqa: E402, F401
from storedesk.inboxes.adapters.email import adapter as _email  # noqa: E402, F401
from storedesk.inboxes.adapters.webchat import adapter as _webchat  # noqa: E402, F401
from storedesk.inboxes.adapters.webform import adapter as _webform  # noqa: E402, F401
