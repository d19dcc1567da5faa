"""Live chat: the visitor's websocket (sessions, messages, reconnects, limits), replies
pushed live or sent by email, the offline form, uploads and the widget frame."""

import datetime as dt

import pytest
from asgiref.sync import async_to_sync as _async_to_sync
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from storedesk.config.asgi import application
from storedesk.conversations import services
from storedesk.conversations.models import Conversation, Message
from storedesk.core.errors import ValidationError
from storedesk.core.testing import AgentFactory, committed_events, make_inbox
from storedesk.inboxes.adapters.webchat import consumer as chat_consumer
from storedesk.inboxes.adapters.webchat import service
from storedesk.inboxes.models import ChatVisitor

pytestmark = pytest.mark.django_db(transaction=True)


def async_to_sync(scenario):
    """Run ``scenario`` on a thread of its own: the browser tests' Playwright session keeps
    an event loop on the main thread, where asgiref refuses to start another."""
    import concurrent.futures

    def run():
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(_async_to_sync(scenario)).result(timeout=60)

    return run


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def chat_inbox(store):
    return make_inbox(
        store,
        "webchat",
        "Chat",
        config={
            "allowed_origins": ["https://shop.example"],
            "greeting": {"hr": "Bok! Kako možemo pomoći?"},
        },
    )


def socket(inbox, token=None) -> WebsocketCommunicator:
    path = f"/ws/chat/{token or inbox.public_token}/"
    return WebsocketCommunicator(application, path, headers=[(b"origin", b"http://localhost")])


async def hello(communicator, token=None, after_id=0, locale="en") -> dict:
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to(
        {"type": "hello", "token": token, "after_id": after_id, "locale": locale}
    )
    welcome = await communicator.receive_json_from(timeout=5)
    assert welcome["event"] == "welcome"
    return welcome


async def say(communicator, text, key) -> dict:
    await communicator.send_json_to({"type": "message", "text": text, "client_key": key})
    return await communicator.receive_json_from(timeout=5)


def test_config_is_validated(store):
    with pytest.raises(ValidationError) as error:
        make_inbox(store, "webchat", "x", config={"allowed_origins": ["https://a.example/path"]})
    assert error.value.field == "config.allowed_origins"
    with pytest.raises(ValidationError) as error:
        make_inbox(store, "webchat", "x", config={"prechat_required": ["email"]})
    assert "required but not asked: email" in error.value.message
    inbox = make_inbox(store, "webchat", "x", config={"allowed_origins": ["HTTPS://Shop.Example"]})
    assert inbox.config["allowed_origins"] == ["https://shop.example"]


def test_unknown_inbox_is_refused(chat_inbox):
    async def scenario():
        communicator = socket(chat_inbox, token="not-a-real-token-123")
        connected, code = await communicator.connect()
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected or code == 4404


def test_a_visitor_writes_and_keeps_the_thread_across_reconnects(chat_inbox, agent):
    async def first_visit():
        communicator = socket(chat_inbox)
        welcome = await hello(communicator, locale="hr")
        session = await say(communicator, "Gdje je moja narudžba?", "k1")
        echo = await communicator.receive_json_from(timeout=5)
        # A resend of the same key (after a lost acknowledgement) is stored once.
        again = await say(communicator, "Gdje je moja narudžba?", "k1")
        await communicator.disconnect()
        return welcome, session, echo, again

    welcome, session, echo, again = async_to_sync(first_visit)()
    assert welcome["session"] is False and welcome["greeting"] == "Bok! Kako možemo pomoći?"
    assert session["event"] == "session" and len(session["token"]) > 30
    assert echo["event"] == "message" and echo["client_key"] == "k1"
    assert echo["item"]["kind"] == "inbound" and echo["item"]["text"] == "Gdje je moja narudžba?"
    assert again["item"]["id"] == echo["item"]["id"]
    assert Message.objects.count() == 1
    visitor = ChatVisitor.objects.get()
    assert visitor.token_hash != session["token"] and visitor.open_connections == 0
    conversation = Conversation.objects.get()
    assert visitor.conversation_id == conversation.pk
    identity = conversation.contact.identities.get()
    assert (identity.kind, identity.external_id) == ("webchat", visitor.key)

    # The agent answers and leaves a note while the visitor is away.
    with committed_events():
        reply = services.message_send(conversation=conversation, author=agent, text="Na putu je.")
        services.note_add(conversation=conversation, author=agent, text="INTERNAL only")

    async def second_visit():
        communicator = socket(chat_inbox)
        welcome = await hello(communicator, token=session["token"], after_id=echo["item"]["id"])
        missed = await communicator.receive_json_from(timeout=5)
        nothing_else = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return welcome, missed, nothing_else

    welcome, missed, nothing_else = async_to_sync(second_visit)()
    assert welcome["session"] is True
    assert [i["id"] for i in missed["items"]] == [reply.pk]
    assert missed["items"][0]["kind"] == "outbound" and nothing_else
    assert "INTERNAL" not in str(missed)


def test_a_token_reads_only_its_own_conversation(chat_inbox):
    async def scenario():
        alice = socket(chat_inbox)
        await hello(alice)
        alice_token = (await say(alice, "alice secret", "a1"))["token"]
        await alice.receive_json_from(timeout=5)
        await alice.disconnect()
        bob = socket(chat_inbox)
        await hello(bob)
        await say(bob, "bob here", "b1")
        await bob.receive_json_from(timeout=5)
        await bob.disconnect()
        forged = socket(chat_inbox)
        welcome = await hello(forged, token=alice_token[:-2] + "xx")
        leaked = not await forged.receive_nothing(timeout=0.3)
        await forged.disconnect()
        again = socket(chat_inbox)
        await hello(again, token=alice_token)
        items = (await again.receive_json_from(timeout=5))["items"]
        await again.disconnect()
        return welcome, leaked, items

    welcome, leaked, items = async_to_sync(scenario)()
    assert welcome["session"] is False and not leaked
    assert [i["text"] for i in items] == ["alice secret"]
    assert Conversation.objects.count() == 2


def test_a_reply_reaches_an_open_window_live_and_no_email_is_sent(chat_inbox, agent):
    async def scenario():
        communicator = socket(chat_inbox)
        await hello(communicator)
        await communicator.send_json_to({"type": "prechat", "fields": {"email": "ana@example.hr"}})
        await communicator.receive_json_from(timeout=5)  # session
        await communicator.receive_json_from(timeout=5)  # prechat_saved
        await say(communicator, "Hello?", "k1")

        def agent_replies():
            conversation = Conversation.objects.get()
            with committed_events():
                return services.message_send(conversation=conversation, author=agent, text="Hi!")

        reply = await sync_to_async(agent_replies)()
        pushed = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return reply, pushed

    reply, pushed = async_to_sync(scenario)()
    assert pushed == {
        "event": "message",
        "item": {
            "id": reply.pk,
            "kind": "outbound",
            "text": "Hi!",
            "created_at": reply.created_at.isoformat(),
            "sender_name": str(agent),
            "sender": "agent",
            "attachments": [],
        },
    }
    reply.refresh_from_db()
    assert reply.delivery_status == "sent" and mail.outbox == []


def test_a_visitor_who_left_gets_the_reply_by_email(chat_inbox, agent, store):
    make_inbox(store, "email", "Mail", config={"address": "support@fashion.example"})

    async def visit():
        communicator = socket(chat_inbox)
        await hello(communicator)
        await communicator.send_json_to(
            {"type": "prechat", "fields": {"name": "Ana", "email": "Ana@Example.hr"}}
        )
        session = await communicator.receive_json_from(timeout=5)
        await communicator.receive_json_from(timeout=5)
        await say(communicator, "Do you ship to Split?", "k1")
        await communicator.disconnect()
        return session["token"]

    token = async_to_sync(visit)()
    conversation = Conversation.objects.get()
    with committed_events():
        services.message_send(conversation=conversation, author=agent, text="Yes, in 2 days.")
    sent = mail.outbox[0]
    assert sent.to == ["Ana <ana@example.hr>"]
    assert sent.from_email == f"{conversation.store.name} <support@fashion.example>"
    assert sent.extra_headers["Reply-To"].startswith(f"support+c{conversation.pk}-")
    assert "Yes, in 2 days." in sent.body

    # The customer answers that mail: it continues the chat conversation, as the chat's
    # contact; someone else writing to the same reply address does not get in.
    from storedesk.inboxes.models import InboundPayload
    from storedesk.inboxes.services import inbound_payload_store

    email_inbox = store.inboxes.get(kind="email")

    def answer(sender: str, message_id: str) -> InboundPayload:
        raw = (
            f"From: {sender}\r\nTo: {sent.extra_headers['Reply-To']}\r\n"
            f"Subject: Re: {sent.subject}\r\nMessage-ID: {message_id}\r\n"
            f"In-Reply-To: {sent.extra_headers['Message-ID']}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nGreat, thanks!\r\n"
        ).encode()
        with committed_events():
            payload, _ = inbound_payload_store(inbox=email_inbox, raw=raw)
        payload.refresh_from_db()
        return payload

    continued = answer("Ana <ana@example.hr>", "<r1@example.hr>")
    assert continued.status == "processed" and continued.problems == []
    assert continued.message.conversation_id == conversation.pk
    assert continued.message.sender_contact_id == conversation.contact_id
    stranger = answer("eve@evil.example", "<e1@evil.example>")
    assert stranger.message.conversation_id != conversation.pk

    async def come_back():
        communicator = socket(chat_inbox)
        await hello(communicator, token=token)
        items = (await communicator.receive_json_from(timeout=5))["items"]
        await communicator.disconnect()
        return items

    # Back on the shop, the visitor finds the whole thread, their emailed answer included.
    items = async_to_sync(come_back)()
    assert [i["text"] for i in items] == [
        "Do you ship to Split?",
        "Yes, in 2 days.",
        "Great, thanks!",
    ]


def test_prechat_fields_are_required_and_validated(store):
    inbox = make_inbox(
        store,
        "webchat",
        "Chat",
        config={"prechat_fields": ["name", "email"], "prechat_required": ["email"]},
    )

    async def scenario():
        communicator = socket(inbox)
        await hello(communicator)
        refused = await say(communicator, "hi", "k1")
        await communicator.send_json_to({"type": "prechat", "fields": {"email": "not-an-email"}})
        session = await communicator.receive_json_from(timeout=5)
        invalid = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return refused, session, invalid

    refused, session, invalid = async_to_sync(scenario)()
    assert refused["code"] == "prechat_required" and refused["field"] == "email"
    assert refused["client_key"] == "k1"
    assert session["event"] == "session"
    assert invalid["event"] == "error" and invalid["field"] == "email"
    assert Message.objects.count() == 0


def test_a_typed_email_never_leads_into_its_owners_conversation(chat_inbox, store):
    """Anyone can type anyone's address into the pre-chat form: it must not join the
    owner's contact, thread into their chat or show their messages."""
    from storedesk.core.testing import inbound

    email_inbox = make_inbox(store, "email", "Mail", config={"address": "help@fashion.example"})
    with committed_events():
        services.message_receive(
            inbox=email_inbox, inbound=inbound("My private order question", email="ana@x.hr")
        )
    owner, _token = service.visitor_start(inbox=chat_inbox)
    service.visitor_set_details(visitor=owner, fields={"email": "ana@x.hr"})
    with committed_events():
        service.visitor_message(visitor=owner, text="Ana's secret chat", client_key="a1")
    intruder, _token = service.visitor_start(inbox=chat_inbox)
    service.visitor_set_details(visitor=intruder, fields={"email": "ana@x.hr"})
    with committed_events():
        service.visitor_message(visitor=intruder, text="show me", client_key="m1")

    owner.refresh_from_db()
    intruder.refresh_from_db()
    assert intruder.conversation_id != owner.conversation_id
    assert len({owner.contact_id, intruder.contact_id}) == 2
    email_contact = Conversation.objects.get(inbox=email_inbox).contact_id
    assert email_contact not in {owner.contact_id, intruder.contact_id}
    assert [m.text for m in service.visitor_messages(visitor=intruder)] == ["show me"]
    # The typed address is still where replies go when the visitor has left.
    assert Conversation.objects.get(pk=intruder.conversation_id).contact.email == "ana@x.hr"


def test_a_visitor_writing_too_fast_is_slowed_down(chat_inbox, monkeypatch):
    monkeypatch.setattr(chat_consumer, "VISITOR_MESSAGES_PER_MINUTE", 3)

    async def scenario():
        communicator = socket(chat_inbox)
        await hello(communicator)
        answers = []
        for n in range(5):
            await communicator.send_json_to(
                {"type": "message", "text": f"spam {n}", "client_key": f"k{n}"}
            )
            answer = await communicator.receive_json_from(timeout=5)
            if answer["event"] == "session":
                answer = await communicator.receive_json_from(timeout=5)
            answers.append(answer)
        await communicator.disconnect()
        return answers

    answers = async_to_sync(scenario)()
    # The first message is counted per address only (the visitor starts with it).
    assert [a["event"] for a in answers] == ["message"] * 4 + ["error"]
    assert answers[-1]["code"] == "rate_limited" and answers[-1]["client_key"] == "k4"
    assert Message.objects.count() == 4


def test_messages_before_hello_and_oversized_frames_are_refused(chat_inbox):
    async def scenario():
        communicator = socket(chat_inbox)
        await communicator.connect()
        await communicator.send_json_to({"type": "message", "text": "x", "client_key": "k"})
        early = await communicator.receive_json_from(timeout=5)
        await communicator.send_to(text_data="x" * (chat_consumer.MAX_FRAME_BYTES + 1))
        huge = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return early, huge

    early, huge = async_to_sync(scenario)()
    assert early["code"] == "hello_first" and huge["code"] == "too_large"
    assert Message.objects.count() == 0


def test_visitor_text_is_never_html(chat_inbox):
    async def scenario():
        communicator = socket(chat_inbox)
        await hello(communicator)
        await say(communicator, '<img src=x onerror="alert(1)"> hi', "k1")
        echo = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return echo

    echo = async_to_sync(scenario)()
    message = Message.objects.get()
    assert message.html == "" and message.text == '<img src=x onerror="alert(1)"> hi'
    assert "html" not in echo["item"]


def test_chat_status_follows_business_hours_and_agent_availability(chat_inbox, store):
    agent = AgentFactory(username="on-duty")
    assert service.chat_status(chat_inbox)["online"] is False  # nobody checked in
    agent.last_seen_at = timezone.now()
    agent.save()
    assert service.chat_status(chat_inbox)["online"] is True
    agent.available = False
    agent.save()
    assert service.chat_status(chat_inbox)["online"] is False
    agent.available = True
    agent.save()
    # Closed every day but one far-off Sunday slot: offline, with the next opening.
    store.business_hours = {"week": {"sun": [["10:00", "11:00"]]}, "closed": []}
    store.time_zone = "Europe/Zagreb"
    store.save()
    chat_inbox.refresh_from_db()
    status = service.chat_status(chat_inbox, locale="hr")
    opening = dt.datetime.fromisoformat(status["next_opening"])
    assert status["online"] is (opening <= timezone.now())
    assert status["away_message"] == (
        "Trenutačno nismo tu. Ostavite pitanje i odgovorit ćemo e-poštom."
    )
    # The inbox's own greeting wins over the built-in one; a language without it falls back.
    assert status["greeting"] == "Bok! Kako možemo pomoći?"
    assert service.chat_status(chat_inbox, locale="en")["greeting"] == "Hi! How can we help you?"


def test_offline_form_creates_a_conversation_answered_by_email(chat_inbox, agent):
    client = Client()
    url = f"/chat/{chat_inbox.public_token}/offline"
    bad = client.post(url, {"email": "nope", "text": "x"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "email"
    with committed_events():
        created = client.post(
            url,
            {"name": "Marija", "email": "marija@example.hr", "text": "Imate li broj 38?"},
            content_type="application/json",
        )
    assert created.status_code == 201
    conversation = Conversation.objects.get(pk=created.json()["conversation_id"])
    assert conversation.inbox == chat_inbox
    assert conversation.contact.email == "marija@example.hr"
    with committed_events():
        services.message_send(conversation=conversation, author=agent, text="Imamo!")
    assert mail.outbox[0].to == ["Marija <marija@example.hr>"]


def test_offline_form_is_limited_per_address(chat_inbox, monkeypatch):
    from storedesk.inboxes.adapters.webchat import views

    monkeypatch.setattr(views, "OFFLINE_PER_IP_PER_HOUR", 2)
    client = Client()
    url = f"/chat/{chat_inbox.public_token}/offline"
    body = {"email": "a@example.hr", "text": "hello"}
    codes = [client.post(url, body, content_type="application/json").status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_uploads_need_the_visitor_token_and_are_served_by_signed_url(chat_inbox):
    from django.core.files.uploadedfile import SimpleUploadedFile

    visitor, token = service.visitor_start(inbox=chat_inbox)
    client = Client()
    url = f"/chat/{chat_inbox.public_token}/upload"
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
    anonymous = client.post(url, {"file": SimpleUploadedFile("a.png", png, "image/png")})
    assert anonymous.status_code == 401
    with committed_events():
        uploaded = client.post(
            url,
            {"file": SimpleUploadedFile("a.png", png, "image/png"), "client_key": "u1"},
            headers={"X-Visitor-Token": token},
        )
    assert uploaded.status_code == 201
    item = uploaded.json()["item"]
    assert item["attachments"][0]["name"] == "a.png"
    download = client.get(item["attachments"][0]["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == png
    assert download["X-Content-Type-Options"] == "nosniff"
    other = make_inbox(chat_inbox.store, "webchat", "Other")
    foreign = item["attachments"][0]["url"].replace(chat_inbox.public_token, other.public_token)
    assert client.get(foreign).status_code == 404


def test_the_frame_may_be_embedded_only_by_allowed_origins(chat_inbox):
    client = Client()
    response = client.get(f"/chat/{chat_inbox.public_token}/?lang=hr-HR")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://shop.example" in csp
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "X-Frame-Options" not in response
    assert '<html lang="hr">' in response.content.decode()
    assert client.get("/chat/unknown-token-123456/").status_code == 404
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and widget["Content-Type"] == "text/javascript"
