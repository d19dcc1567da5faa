"""Thread hints carried by our own outgoing mail: a signed reply address
(``support+c123-<mac>@shop.example``) and a subject tag (``[#123]``).

They only *suggest* a conversation: ``message_receive`` still requires the sender to be that
conversation's contact, so a leaked reply address never lets a stranger in.
"""

import hashlib
import hmac
import re

from django.conf import settings

_PLUS = re.compile(r"^(?P<local>[^+@]+)\+c(?P<id>\d{1,18})-(?P<mac>[a-z0-9]{10})@(?P<domain>.+)$")
_SUBJECT = re.compile(r"\[#(\d{1,18})\]")


def _mac(conversation_id: int) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"reply:{conversation_id}".encode(), hashlib.sha256
    ).hexdigest()
    return digest[:10]


def reply_address(address: str, conversation_id: int) -> str:
    local, _, domain = address.partition("@")
    return f"{local}+c{conversation_id}-{_mac(conversation_id)}@{domain}"


def base_address(address: str) -> str:
    """``support+anything@shop.example`` → ``support@shop.example`` (lower-cased)."""
    local, _, domain = address.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if domain else address.strip().lower()


def conversation_from_addresses(addresses) -> int | None:
    """The conversation id of the first correctly signed reply address, if any."""
    for address in addresses:
        match = _PLUS.match(address.strip().lower())
        if match and hmac.compare_digest(match["mac"], _mac(int(match["id"]))):
            return int(match["id"])
    return None


def subject_tag(conversation_id: int) -> str:
    return f"[#{conversation_id}]"


def conversation_from_subject(subject: str) -> int | None:
    match = _SUBJECT.search(subject or "")
    return int(match.group(1)) if match else None
