"""Email in the workspace: the full original one click away, raw sources, inline images
from signed URLs, and the admins' list of received input that needs attention."""

import html
import re
from email.message import EmailMessage

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from storedesk.conversations.models import Conversation
from storedesk.core.testing import committed_events, make_inbox
from storedesk.inboxes.models import InboundPayload
from storedesk.inboxes.services import inbound_payload_store

# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def email_inbox(store):
    return make_inbox(store, "email", "Support mail", config={"address": "support@fashion.example"})


def _mail(*, message_id="<m1@example.hr>", date="Sun, 22 Nov 2026 10:15:00 +0100") -> bytes:
    mail = EmailMessage()
    mail["From"] = "Ana Horvat <ana@example.hr>"
    mail["To"] = "support@fashion.example"
    mail["Subject"] = "Slika paketa"
    mail["Date"] = date
    mail["Message-ID"] = message_id
    mail.set_content("Paket je oštećen, slika je u prilogu.\n\nOn Sat, Bob wrote:\n> earlier")
    mail.add_alternative(
        '<p>Paket je oštećen:</p><img src="cid:photo1@example.hr" alt="paket">'
        '<img src="https://tracker.example/p.gif">',
        subtype="html",
    )
    mail.get_payload()[1].add_related(PNG, "image", "png", cid="<photo1@example.hr>")
    return mail.as_bytes()


def _receive(inbox, raw) -> InboundPayload:
    with committed_events():
        payload, _ = inbound_payload_store(inbox=inbox, raw=raw)
    payload.refresh_from_db()
    return payload


@pytest.fixture
def received(email_inbox):
    payload = _receive(email_inbox, _mail())
    assert payload.status == "processed"
    return payload.message


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_received_mail_links_to_its_full_original(received, agent):
    client = _client(agent)
    page = client.get(reverse("conversation", args=[received.conversation_id])).content.decode()
    original_url = reverse("message-original", args=[received.conversation_id, received.pk])
    assert original_url in page
    assert received.text == "Paket je oštećen, slika je u prilogu."
    original = client.get(original_url)
    assert original.status_code == 200
    body = original.content.decode()
    # The quoted part trimmed from the message is there in full, with the headers.
    assert "On Sat, Bob wrote:" in body and "&gt; earlier" in body
    assert "ana@example.hr" in body and "&lt;m1@example.hr&gt;" in body
    raw = client.get(reverse("message-raw", args=[received.conversation_id, received.pk]))
    assert raw.status_code == 200
    assert raw.content == bytes(InboundPayload.objects.get(message=received).raw)
    assert raw["Content-Type"] == "message/rfc822"
    assert raw["Content-Disposition"].startswith("attachment;")
    assert raw["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_original_and_raw_respect_store_scoping(received, other_store):
    from storedesk.accounts.enums import Role
    from storedesk.core.testing import AgentFactory

    outsider = AgentFactory(username="elsewhere", role=Role.RESTRICTED, stores=[other_store])
    client = _client(outsider)
    for name in ("message-original", "message-raw"):
        response = client.get(reverse(name, args=[received.conversation_id, received.pk]))
        assert response.status_code == 404


@pytest.mark.django_db
def test_messages_without_a_stored_source_have_no_original(conversation, agent):
    # ``conversation`` came in through the API inbox: nothing raw to show.
    message = conversation.messages.get()
    client = _client(agent)
    url = reverse("message-original", args=[conversation.pk, message.pk])
    assert client.get(url).status_code == 404
    page = client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert url not in page


@pytest.mark.django_db
def test_a_mail_read_with_problems_is_flagged_in_the_thread(email_inbox, agent):
    # "-0000": a date whose time zone is unknown (RFC 5322, 3.3); the receive time is used.
    raw = _mail(message_id="<m2@example.hr>", date="Sun, 22 Nov 2026 10:15:00 -0000")
    payload = _receive(email_inbox, raw)
    assert payload.status == "processed"
    assert payload.problems == ["Date without a time zone ignored"]
    page = _client(agent).get(reverse("conversation", args=[payload.message.conversation_id]))
    flag = 'class="badge flagged" title="Date without a time zone ignored"'
    assert flag in page.content.decode()


@pytest.mark.django_db
def test_inline_images_load_from_signed_urls_and_remote_ones_wait(received, agent):
    client = _client(agent)
    url = reverse("message-body", args=[received.conversation_id, received.pk])
    response = client.get(url)
    body = response.content.decode()
    assert "cid:" not in body
    inline = re.search(r'src="(/attachments/inline/[^"]+)"', body).group(1)
    csp = response["Content-Security-Policy"]
    assert "img-src data: http://testserver/attachments/inline/;" in csp
    assert "https:" not in csp and "allow-scripts" not in csp
    assert 'src="https://tracker.example/p.gif"' in body  # kept, but the CSP blocks it
    assert "https: http:" in client.get(url + "?images=1")["Content-Security-Policy"]
    # The frame has no session: the signed URL alone serves the image.
    image = Client().get(inline)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == PNG
    assert image["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_inline_image_urls_cannot_be_forged_or_reused_forever(received, settings, monkeypatch):
    attachment = received.attachments.get()
    anonymous = Client()
    forged = reverse("attachment-inline", args=[f"{attachment.pk}:abc:def"])
    assert anonymous.get(forged).status_code == 404
    other_salt = signing.TimestampSigner(salt="something-else").sign(str(attachment.pk))
    assert anonymous.get(reverse("attachment-inline", args=[other_salt])).status_code == 404
    from storedesk.conversations import views

    url = views.inline_image_url(attachment)
    assert anonymous.get(url).status_code == 200
    monkeypatch.setattr(views, "INLINE_URL_MAX_AGE", -1)
    assert anonymous.get(url).status_code == 404


@pytest.mark.django_db
def test_only_raster_images_get_inline_urls(received):
    from storedesk.conversations import views

    attachment = received.attachments.get()
    attachment.content_type = "image/svg+xml"
    attachment.save()
    assert views.inline_image_url(attachment) is None
    attachment.content_type = "image/png"
    url = views.inline_image_url(attachment)
    attachment.save(update_fields=[])
    # Signed while it was a PNG, served only while it still is one.
    assert Client().get(url).status_code == 404


@pytest.mark.django_db
def test_admins_see_received_input_that_needs_attention(email_inbox, admin_agent):
    failed = _receive(
        email_inbox, _mail(message_id="<m3@example.hr>").replace(b"Ana Horvat <", b"x) <")
    )
    ignored = _receive(
        email_inbox, b"Auto-Submitted: auto-replied\r\n" + _mail(message_id="<m4@example.hr>")
    )
    fine = _receive(email_inbox, _mail(message_id="<m5@example.hr>"))
    assert (failed.status, ignored.status, fine.status) == ("failed", "ignored", "processed")
    client = _client(admin_agent)
    url = reverse("settings-inbox-received", args=[email_inbox.pk])
    attention = client.get(url).content.decode()
    assert f'id="payload-{failed.pk}"' in attention
    assert f'id="payload-{ignored.pk}"' not in attention
    assert f'id="payload-{fine.pk}"' not in attention
    assert "no trustworthy sender address" in attention
    ignored_view = client.get(url + "?view=ignored").content.decode()
    assert f'id="payload-{ignored.pk}"' in ignored_view
    everything = client.get(url + "?view=all").content.decode()
    assert all(f'id="payload-{p.pk}"' in everything for p in (failed, ignored, fine))
    raw = client.get(reverse("settings-payload-raw", args=[email_inbox.pk, failed.pk]))
    assert raw.content == bytes(failed.raw) and raw["Content-Type"] == "message/rfc822"
    # A payload of another inbox is not reachable through this one.
    other = make_inbox(email_inbox.store, "email", "Other", config={"address": "o@f.example"})
    wrong = reverse("settings-payload-raw", args=[other.pk, failed.pk])
    assert client.get(wrong).status_code == 404


@pytest.mark.django_db
def test_agents_cannot_open_the_received_list(email_inbox, agent):
    response = _client(agent).get(reverse("settings-inbox-received", args=[email_inbox.pk]))
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_failed_payload_can_be_processed_again(email_inbox, admin_agent, monkeypatch):
    from storedesk.inboxes.adapters.email import inbound

    def broken(**kwargs):
        raise RuntimeError("database was down")

    monkeypatch.setattr(inbound, "message_receive", broken)
    payload = _receive(email_inbox, _mail(message_id="<m6@example.hr>"))
    assert payload.status == "failed" and "database was down" in payload.error
    monkeypatch.undo()
    client = _client(admin_agent)
    url = reverse("settings-payload-reprocess", args=[email_inbox.pk, payload.pk])
    with committed_events():
        response = client.post(url)
    assert response.status_code == 302
    payload.refresh_from_db()
    assert payload.status == "processed" and payload.error == ""
    assert Conversation.objects.filter(pk=payload.message.conversation_id).exists()
    # Processed input is not processed again.
    with committed_events():
        client.post(url)
    assert InboundPayload.objects.get(pk=payload.pk).message_id == payload.message_id
    assert Conversation.objects.count() == 1


@pytest.mark.django_db
def test_agents_set_their_email_signature_in_preferences(agent):
    client = _client(agent)
    response = client.post(
        reverse("preferences"),
        {
            "save_preferences": "1",
            "display_name": "Ana",
            "locale": "",
            "time_zone": "",
            "signature": "  Ana\r\nFashion support  ",
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.signature == "Ana\nFashion support"
    assert "Ana\nFashion support" in client.get(reverse("preferences")).content.decode()


@pytest.mark.django_db
def test_flagged_view_lists_mail_read_with_problems(email_inbox, admin_agent):
    raw = _mail(message_id="<m7@example.hr>", date="Sun, 22 Nov 2026 10:15:00 -0000")
    flagged = _receive(email_inbox, raw)
    clean = _receive(email_inbox, _mail(message_id="<m8@example.hr>"))
    url = reverse("settings-inbox-received", args=[email_inbox.pk]) + "?view=flagged"
    page = _client(admin_agent).get(url).content.decode()
    assert f'id="payload-{flagged.pk}"' in page and f'id="payload-{clean.pk}"' not in page
    assert "Date without a time zone ignored" in page


@pytest.mark.django_db
def test_inbox_settings_never_show_the_imap_password_and_keep_it(store, admin_agent):
    from storedesk.inboxes.models import MailboxState

    imap = {"host": "imap.fashion.example", "username": "support", "password": "s3cret-PW"}
    inbox = make_inbox(
        store, "email", "Mail", config={"address": "support@fashion.example", "imap": imap}
    )
    MailboxState.objects.create(
        inbox=inbox, last_error="Sign-in refused: check the password", consecutive_failures=3
    )
    client = _client(admin_agent)
    url = reverse("settings-inbox", args=[inbox.pk])
    page = client.get(url).content.decode()
    assert "s3cret-PW" not in page
    assert "Sign-in refused: check the password (failed polls in a row: 3)" in page
    shown = re.search(r'<textarea name="config"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    saved = client.post(
        url,
        {
            "name": "Mail",
            "is_active": "on",
            "reopen_window_days": 7,
            "config": html.unescape(shown).replace("support@fashion", "help@fashion"),
        },
    )
    assert saved.status_code == 302
    inbox.refresh_from_db()
    assert inbox.config["address"] == "help@fashion.example"
    assert inbox.config["imap"]["password"] == "s3cret-PW"
    admin_page = client.get(f"/admin/inboxes/inbox/{inbox.pk}/change/").content.decode()
    assert "s3cret-PW" not in admin_page and "imap.fashion.example" in admin_page
