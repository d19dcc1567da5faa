"""Storing attachment files safely: size limits, safe names, sniffed content types."""

import hashlib
import mimetypes
import re
import secrets
import unicodedata

import filetype
from django.conf import settings
from django.core.files.base import ContentFile

from storedesk.conversations.models import Attachment, Message
from storedesk.core.errors import ValidationError

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
# Types a browser could execute if served inline; always downloaded as octet-stream.
ACTIVE_CONTENT_TYPES = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "application/javascript",
    "text/javascript",
}


def safe_filename(name: str) -> str:
    """A display filename with path parts, control and reserved characters removed."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:140] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:150]
    return name or "attachment"


def sniff_content_type(content: bytes, filename: str, declared: str = "") -> str:
    """The content type from the bytes' signature, else from the extension, else the declared
    one, else ``application/octet-stream``. Never trusts the declared type for active
    content."""
    kind = filetype.guess(content[:8192])
    if kind is not None:
        return kind.mime
    guessed, _ = mimetypes.guess_type(filename)
    candidate = (guessed or declared or "application/octet-stream").lower()
    return candidate.split(";")[0].strip()


def check_attachments(attachments) -> None:
    """Raise ``ValidationError`` naming the attachment that breaks a limit."""
    if len(attachments) > settings.ATTACHMENTS_PER_MESSAGE_MAX:
        raise ValidationError(
            f"At most {settings.ATTACHMENTS_PER_MESSAGE_MAX} attachments.", field="attachments"
        )
    for index, attachment in enumerate(attachments):
        if len(attachment.content) > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                f"Larger than {settings.ATTACHMENT_MAX_BYTES} bytes.",
                field=f"attachments.{index}",
            )


def attachment_store(
    *, message: Message, filename: str, content: bytes, content_type: str = "", content_id: str = ""
) -> Attachment:
    """Write one file for ``message``. Call inside the message's transaction."""
    clean_name = safe_filename(filename)
    attachment = Attachment(
        message=message,
        store_id=message.store_id,
        storage_token=secrets.token_hex(16),
        filename=clean_name,
        content_type=sniff_content_type(content, clean_name, content_type),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_id=content_id[:255],
    )
    attachment.file.save(attachment.storage_token, ContentFile(content), save=False)
    attachment.save()
    return attachment
