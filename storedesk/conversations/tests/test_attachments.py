import pytest
from django.test import Client

from storedesk.conversations import services
from storedesk.conversations.attachments import safe_filename, sniff_content_type
from storedesk.conversations.models import Attachment
from storedesk.core.errors import ValidationError
from storedesk.core.testing import bearer, inbound, make_inbox
from storedesk.inboxes.adapters.base import InboundAttachment

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\invoice.pdf", "invoice.pdf"),
        ('a<b>"c".txt', "a_b_c_.txt"),
        ("\x00\x07name.png", "_name.png"),
        ("...", "attachment"),
        ("", "attachment"),
        ("račun za narudžbu.pdf", "račun za narudžbu.pdf"),
        ("发票.pdf", "发票.pdf"),
    ],
)
def test_safe_filename(raw, expected):
    assert safe_filename(raw) == expected


def test_long_filename_keeps_extension():
    name = safe_filename("x" * 400 + ".pdf")
    assert len(name) <= 150 and name.endswith(".pdf")


def test_content_type_comes_from_bytes_not_the_claim():
    assert sniff_content_type(PNG, "photo.jpg", "text/html") == "image/png"
    assert sniff_content_type(b"hello", "notes.txt", "image/png") == "text/plain"
    assert sniff_content_type(b"\x00\x01", "blob", "") == "application/octet-stream"


def _with_attachments(inbox, *attachments):
    return services.message_receive(
        inbox=inbox, inbound=inbound("see attached", attachments=attachments)
    )


def test_inbound_attachments_are_stored_with_hash_and_safe_name(api_inbox):
    message = _with_attachments(api_inbox, InboundAttachment("../photo.png", PNG, "text/html"))
    stored = Attachment.objects.get(message=message)
    assert stored.filename == "photo.png"
    assert stored.content_type == "image/png"
    assert stored.size == len(PNG)
    assert "photo" not in stored.file.name  # no customer text on disk
    with stored.file.open("rb") as handle:
        assert handle.read() == PNG


def test_attachment_limits_name_the_field(api_inbox, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError) as error:
        _with_attachments(
            api_inbox, InboundAttachment("a.txt", b"ok"), InboundAttachment("b.bin", b"x" * 11)
        )
    assert error.value.field == "attachments.1"
    assert Attachment.objects.count() == 0


def test_download_requires_access_and_is_never_inline(
    api_inbox, agent, restricted_agent, other_store
):
    message = _with_attachments(api_inbox, InboundAttachment("evil.svg", SVG, "image/svg+xml"))
    attachment = Attachment.objects.get(message=message)
    url = f"/attachments/{attachment.pk}/download"

    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]

    response = Client().get(url, **bearer(agent))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == SVG

    # A restricted agent of this store may download; one of another store gets 404.
    assert Client().get(url, **bearer(restricted_agent)).status_code == 200
    from storedesk.accounts.enums import Role
    from storedesk.core.testing import AgentFactory

    outsider = AgentFactory(role=Role.RESTRICTED, stores=[other_store])
    assert Client().get(url, **bearer(outsider)).status_code == 404
    assert Client().get(url + "x").status_code == 404


def test_session_download(api_inbox, agent):
    message = _with_attachments(api_inbox, InboundAttachment("p.png", PNG))
    client = Client()
    client.force_login(agent)
    response = client.get(f"/attachments/{message.attachments.get().pk}/download")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_other_inbox_kind_can_hold_attachments(store):
    inbox = make_inbox(store, "webform")
    message = _with_attachments(inbox, InboundAttachment("a.txt", b"plain"))
    assert message.attachments.count() == 1
