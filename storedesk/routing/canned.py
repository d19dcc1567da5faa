"""Canned replies: validation and rendering of their variables.

Bodies are Django templates rendered against plain dictionaries only (never model
instances), so an admin-written body can reach exactly the values listed in
:data:`VARIABLES` and nothing else.
"""

from django.template import Context, Engine, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from storedesk.core.errors import ValidationError

VARIABLES = {
    "contact.first_name": _("The customer's first name"),
    "contact.name": _("The customer's full name"),
    "contact.email": _("The customer's email address"),
    "order.number": _("The customer's latest order number"),
    "order.status": _("The latest order's status"),
    "order.tracking_url": _("The latest order's tracking link"),
    "agent.name": _("Your name"),
    "store.name": _("The store's name"),
    "conversation.id": _("The conversation number"),
}

# An engine with no loaders, no libraries and autoescape off: replies are plain text.
_ENGINE = Engine(
    autoescape=False,
    libraries={},
    builtins=["django.template.defaulttags", "django.template.defaultfilters"],
)
_FORBIDDEN_TAGS = ("{% load", "{% include", "{% extends", "{% debug", "{% ssi")


def canned_body_check(body: str) -> None:
    """Raise ``ValidationError`` (field ``body``) if the body is not a valid template."""
    lowered = body.replace(" ", "").lower()
    for tag in _FORBIDDEN_TAGS:
        if tag.replace(" ", "") in lowered:
            raise ValidationError(f"{tag} %}} is not allowed in canned replies.", field="body")
    try:
        _ENGINE.from_string(body)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"Template error: {exc}", field="body") from None


def canned_context(*, conversation, agent, order=None) -> dict:
    contact = conversation.contact
    return {
        "contact": {
            "first_name": contact.first_name,
            "name": contact.name,
            "email": contact.email,
        },
        "order": {
            "number": getattr(order, "number", ""),
            "status": getattr(order, "get_status_display", lambda: "")(),
            "tracking_url": getattr(order, "tracking_url", ""),
        },
        "agent": {"name": str(agent) if agent else ""},
        "store": {"name": conversation.store.name},
        "conversation": {"id": conversation.pk},
    }


def canned_render(body: str, context: dict) -> str:
    canned_body_check(body)
    return _ENGINE.from_string(body).render(Context(context, autoescape=False))
