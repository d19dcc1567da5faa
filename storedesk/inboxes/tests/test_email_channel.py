"""The email channel: raw storage first, processing, threading, loop guards, replies by
SMTP, and SMTP on loopback end to end."""

import email
import email.policy
import smtplib
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core import mail

from storedesk.conversations import services
from storedesk.conversations.models import Conversation, Message
from storedesk.core.errors import ValidationError
from storedesk.core.testing import SmtpSink, committed_events, free_port, make_inbox
from storedesk.inboxes.adapters.email.smtpd import make_controller
from storedesk.inboxes.models import InboundPayload
from storedesk.inboxes.services import inbound_payload_store


def mail_bytes(
    sender="Ana Horvat <ana@example.hr>",
    subject="Gdje je narudžba?",
    body="Narudžba FA1002003 nije stigla.",
    message_id="<a1@example.hr>",
    extra="",
) -> bytes:
    headers = [
        f"From: {sender}",
        "To: support@fashion.example",
        f"Subject: {subject}",
        "Date: Sun, 22 Nov 2026 10:15:00 +0100",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if message_id:
        headers.append(f"Message-ID: {message_id}")
    headers += [line for line in extra.splitlines() if line]
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


@pytest.fixture
def email_inbox(store):
    return make_inbox(
        store,
        "email",
        "Support mail",
        config={"address": "Support@Fashion.example", "from_name": "Jadran"},
    )


def receive(inbox, raw):
    with committed_events():
        payload, _ = inbound_payload_store(inbox=inbox, raw=raw)
    payload.refresh_from_db()
    return payload


@pytest.mark.django_db
def test_config_needs_a_valid_address(store):
    with pytest.raises(ValidationError) as error:
        make_inbox(store, "email", "x", config={"address": "nope"})
    assert error.value.field == "config.address"


@pytest.mark.django_db
def test_mail_is_stored_then_becomes_a_conversation(email_inbox):
    payload = receive(email_inbox, mail_bytes())
    assert payload.status == "processed" and bytes(payload.raw) == mail_bytes()
    message = payload.message
    assert message.external_id == "<a1@example.hr>"
    assert message.conversation.subject == "Gdje je narudžba?"
    assert message.conversation.contact.email == "ana@example.hr"
    assert message.text == "Narudžba FA1002003 nije stigla."
    assert message.created_at.isoformat() == "2026-11-22T09:15:00+00:00"


@pytest.mark.django_db
def test_duplicates_are_stored_and_threaded_once(email_inbox):
    receive(email_inbox, mail_bytes())
    receive(email_inbox, mail_bytes())  # the very same bytes again
    receive(email_inbox, mail_bytes(extra="X-Resent: yes"))  # same Message-ID, other bytes
    assert InboundPayload.objects.count() == 2
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_missing_message_id_uses_the_content_hash(email_inbox):
    payload = receive(email_inbox, mail_bytes(message_id=""))
    assert payload.message.external_id.startswith("sha256:")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "extra", ["Auto-Submitted: auto-replied", "Precedence: bulk", "X-Autoreply: yes"]
)
def test_automatic_replies_open_nothing(email_inbox, extra):
    payload = receive(email_inbox, mail_bytes(extra=extra))
    assert payload.status == "ignored" and Conversation.objects.count() == 0


@pytest.mark.django_db
def test_ambiguous_sender_is_kept_and_flagged(email_inbox):
    payload = receive(email_inbox, mail_bytes(sender="alice@example.org)<bob@example.com>"))
    assert payload.status == "failed"
    assert payload.error == "no trustworthy sender address"
    assert bytes(payload.raw).startswith(b"From: alice@example.org)")
    assert Conversation.objects.count() == 0


@pytest.mark.django_db
def test_mail_from_our_own_address_is_ignored(email_inbox):
    payload = receive(email_inbox, mail_bytes(sender="support@fashion.example"))
    assert payload.status == "ignored"


@pytest.mark.django_db
def test_reply_by_mail_has_threading_headers_and_the_answer_threads(email_inbox, agent):
    first = receive(email_inbox, mail_bytes()).message
    conversation = first.conversation
    services.conversation_set_status(conversation=conversation, status="resolved", actor=agent)
    with committed_events():
        reply = services.message_send(
            conversation=conversation, author=agent, text="Paket je na putu."
        )
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    sent = mail.outbox[0]
    assert sent.subject == f"Re: Gdje je narudžba? [#{conversation.pk}]"
    assert sent.extra_headers["Reply-To"].startswith(f"support+c{conversation.pk}-")
    assert sent.from_email == "Jadran <support@fashion.example>"
    assert sent.extra_headers["In-Reply-To"] == "<a1@example.hr>"
    assert reply.external_id == sent.extra_headers["Message-ID"]
    answer = mail_bytes(
        subject="Re: Gdje je narudžba?",
        body="Hvala!\n\nDana ned je napisao:\n> x",
        message_id="<a2@example.hr>",
        extra=f"In-Reply-To: {reply.external_id}",
    )
    message = receive(email_inbox, answer).message
    assert message.conversation_id == conversation.pk
    assert message.text == "Hvala!"
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.reopened_count == 1


@pytest.mark.django_db
def test_reply_has_text_and_html_parts_with_the_agents_signature(email_inbox, agent):
    agent.signature = "Ana\nFashion <support> & co · https://fashion.example/help"
    agent.save()
    conversation = receive(email_inbox, mail_bytes()).message.conversation
    with committed_events():
        services.message_send(
            conversation=conversation, author=agent, text="Paket je na putu.\n\nLijep pozdrav"
        )
    sent = mail.outbox[0]
    assert sent.body == (
        "Paket je na putu.\n\nLijep pozdrav\n\n-- \n"
        "Ana\nFashion <support> & co · https://fashion.example/help\n"
    )
    html, content_type = sent.alternatives[0]
    assert content_type == "text/html"
    assert "<p>Paket je na putu.</p>" in html and "<p>Lijep pozdrav</p>" in html
    assert "Fashion &lt;support&gt; &amp; co" in html
    assert '<a href="https://fashion.example/help" rel="noopener noreferrer">' in html
    assert "<support>" not in html


@pytest.mark.django_db
def test_reply_without_signature_has_no_separator(email_inbox, agent):
    conversation = receive(email_inbox, mail_bytes()).message.conversation
    with committed_events():
        services.message_send(conversation=conversation, author=agent, text="<b>hi</b>")
    sent = mail.outbox[0]
    assert sent.body == "<b>hi</b>\n"
    assert sent.alternatives[0][0] == "<p>&lt;b&gt;hi&lt;/b&gt;</p>"


@pytest.mark.django_db
def test_a_stranger_quoting_our_message_id_gets_a_conversation_of_their_own(email_inbox):
    first = receive(email_inbox, mail_bytes()).message
    intruder = mail_bytes(
        sender="eve@evil.example",
        message_id="<e1@evil.example>",
        extra=f"In-Reply-To: {first.external_id}",
    )
    payload = receive(email_inbox, intruder)
    assert payload.message.conversation_id != first.conversation_id
    assert payload.problems == [
        f"refers to conversation #{first.conversation_id} of another customer; "
        "kept in a conversation of its own"
    ]


@pytest.mark.django_db(transaction=True)
def test_smtp_end_to_end_on_loopback(store, agent, settings):
    make_inbox(store, "email", "Support mail", config={"address": "support@fashion.example"})
    receiver = make_controller("127.0.0.1", free_port())
    sink = SmtpSink()
    sink_port = free_port()
    outgoing = Controller(sink, hostname="127.0.0.1", port=sink_port)
    receiver.start()
    outgoing.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink_port
    try:
        with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as client:
            client.sendmail("ana@example.hr", ["support@fashion.example"], mail_bytes())
            client.sendmail("ana@example.hr", ["support@fashion.example"], mail_bytes())
        # Unknown recipients are refused at RCPT time (550), before any data is sent.
        with (
            pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
            smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as client,
        ):
            client.sendmail("ana@example.hr", ["nobody@fashion.example"], mail_bytes())
        assert refused.value.recipients["nobody@fashion.example"][0] == 550
        conversation = Conversation.objects.get()
        assert conversation.message_count == 1
        reply = services.message_send(conversation=conversation, author=agent, text="Stiže sutra.")
        reply.refresh_from_db()
        assert reply.delivery_status == "sent"
        assert len(sink.messages) == 1
        delivered = email.message_from_bytes(sink.messages[0], policy=email.policy.default)
        assert delivered["In-Reply-To"] == "<a1@example.hr>"
        assert delivered["Message-ID"] == reply.external_id
        answer = mail_bytes(
            body="Hvala!",
            message_id="<a2@example.hr>",
            extra=f"In-Reply-To: {delivered['Message-ID']}",
        )
        with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as client:
            client.sendmail("ana@example.hr", ["SUPPORT@fashion.example"], answer)
        assert Conversation.objects.count() == 1
        assert Message.objects.filter(conversation=conversation, kind="inbound").count() == 2
    finally:
        receiver.stop()
        outgoing.stop()


@pytest.mark.django_db
def test_a_bounce_marks_our_reply_failed_and_opens_nothing(email_inbox, agent):
    conversation = receive(email_inbox, mail_bytes()).message.conversation
    with committed_events():
        reply = services.message_send(conversation=conversation, author=agent, text="Hi")
    reply.refresh_from_db()
    bounce = (
        "From: MAILER-DAEMON@mx.example.hr\r\nTo: support@fashion.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.example.hr>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.hr\r\n"
        "\r\nFinal-Recipient: rfc822; ana@example.hr\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@fashion.example\r\nMessage-ID: {reply.external_id}\r\nSubject: Re\r\n"
        "--b--\r\n"
    ).encode()
    with committed_events() as events:
        payload, _ = inbound_payload_store(inbox=email_inbox, raw=bounce)
    payload.refresh_from_db()
    reply.refresh_from_db()
    assert payload.status == "processed" and payload.message_id == reply.pk
    assert reply.delivery_status == "failed"
    assert "Status: 5.1.1" in reply.delivery_error and "User unknown" in reply.delivery_error
    assert "message.delivery_changed" in [e.name for e in events]
    assert Conversation.objects.count() == 1
    assert conversation.messages.filter(kind="inbound").count() == 1


@pytest.mark.django_db
def test_a_flooding_sender_is_cut_off_but_nothing_is_lost(email_inbox, monkeypatch):
    from storedesk.inboxes.adapters.email import inbound

    monkeypatch.setattr(inbound, "SENDER_LIMIT", 3)
    statuses = [
        receive(email_inbox, mail_bytes(message_id=f"<loop{i}@x>", body=f"ping {i}")).status
        for i in range(5)
    ]
    assert statuses == ["processed"] * 3 + ["ignored"] * 2
    assert InboundPayload.objects.count() == 5
    assert Message.objects.count() == 3
    other = receive(email_inbox, mail_bytes(sender="ivo@example.hr", message_id="<ivo@x>"))
    assert other.status == "processed"


@pytest.mark.django_db
def test_signed_reply_address_and_subject_tag_thread_without_headers(email_inbox, agent):
    from storedesk.inboxes.adapters.email.tokens import reply_address

    conversation = receive(email_inbox, mail_bytes()).message.conversation
    signed = reply_address("support@fashion.example", conversation.pk)
    # A client that drops In-Reply-To but keeps our Reply-To address.
    by_address = mail_bytes(
        message_id="<b1@example.hr>", subject="Drugo pitanje", extra=f"Cc: {signed}"
    )
    with committed_events():
        payload, _ = inbound_payload_store(
            inbox=email_inbox, raw=by_address, envelope={"rcpt_to": signed}
        )
    payload.refresh_from_db()
    assert payload.message.conversation_id == conversation.pk
    # Only the subject tag survives.
    services.conversation_set_status(conversation=conversation, status="resolved", actor=agent)
    email_inbox.reopen_window_days = 0
    email_inbox.save()
    tagged = mail_bytes(message_id="<b2@example.hr>", subject=f"Re: nešto [#{conversation.pk}]")
    assert receive(email_inbox, tagged).message.conversation_id == conversation.pk
    # A forged signature is no hint at all; the contact opens a new conversation.
    forged = mail_bytes(
        message_id="<b3@example.hr>",
        subject="Novo",
        extra=f"To: support+c{conversation.pk}-aaaaaaaaaa@fashion.example",
    )
    services.conversation_set_status(conversation=conversation, status="resolved", actor=agent)
    assert receive(email_inbox, forged).message.conversation_id != conversation.pk


@pytest.mark.django_db
def test_plus_addresses_reach_the_inbox(email_inbox):
    from storedesk.inboxes.adapters.email.smtpd import inbox_for_address

    assert inbox_for_address("SUPPORT+c12-abcdefghij@fashion.example") == email_inbox
    assert inbox_for_address("sales@fashion.example") is None


CORPUS = sorted((Path(__file__).parent / "corpus").glob("hostile-*.eml"))
FORBIDDEN = (
    "<script",
    "onload",
    "onerror",
    "onmouseover",
    "javascript:",
    "data:",
    "expression(",
    "<iframe",
    "<form",
    "<style",
    "<meta",
    "<base",
    "<svg",
)


@pytest.mark.django_db
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_hostile_html_mail_is_stored_safe(email_inbox, path):
    payload = receive(email_inbox, path.read_bytes())
    assert payload.status == "processed"
    html = payload.message.html.lower()
    for marker in FORBIDDEN:
        assert marker not in html, marker
    assert bytes(payload.raw) == path.read_bytes()  # the original stays, byte for byte


def test_the_hostile_corpus_is_there():
    assert len(CORPUS) >= 8
