"""A shop's own intents and examples: validation, retraining of the store's model after a
change, the assistant acting on them in a chat, and the settings page."""

import pytest
from django.test import Client

from storedesk.assistant.intent_services import shop_intent_delete, shop_intent_save
from storedesk.assistant.models import AssistantSession, HandoffReason, ShopIntent
from storedesk.assistant.understanding import model_for_store, understand
from storedesk.conversations.models import Message
from storedesk.core.errors import ValidationError
from storedesk.core.testing import StoreFactory, committed_events, make_inbox
from storedesk.inboxes.adapters.webchat.service import visitor_message, visitor_start

pytestmark = pytest.mark.django_db

STORE_HOURS = """When is your shop in Zagreb open?
what are the opening hours of the store in Ilica
are you open on sunday in the city centre shop
Radno vrijeme trgovine u Zagrebu?
kada radi vaša poslovnica u Ilici
jeste li otvoreni nedjeljom u dućanu
你们萨格勒布的门店几点开门？
实体店周日营业吗
can I visit your showroom on saturday afternoon
do you have a physical store I can come to"""

WHOLESALE = """I run a boutique and want to buy your kettles wholesale
do you offer bulk prices for resellers
we are a hotel chain and need 200 kettles, B2B offer please
Veleprodajna cijena za 50 komada?
tražimo ponudu za tvrtku, veće količine
我们是经销商，想批发你们的产品"""


@pytest.fixture(autouse=True)
def _models_in_a_temporary_home(settings, intent_model, intent_model_home):
    settings.HOME = intent_model_home


@pytest.fixture
def shop():
    return StoreFactory(name="Northwind", slug="northwind", supported_locales=["en", "hr"])


def save(shop, agent, **fields):
    arguments = {
        "actor": agent,
        "store": shop,
        "name": "store_hours",
        "action": "answer",
        "examples": STORE_HOURS,
        "answers": {"en": "Our Zagreb shop (Ilica 1) is open Mon-Sat 9-20.", "hr": ""},
    }
    with committed_events():
        return shop_intent_save(**{**arguments, **fields})


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "Store Hours"}, "name"),
        ({"name": "out_of_scope", "action": "built_in"}, "name"),
        ({"name": "track_order", "action": "answer"}, "action"),
        ({"action": "built_in"}, "action"),
        ({"action": "reply"}, "action"),
        ({"examples": "one\ntwo\n\n  \nthree"}, "examples"),
        ({"examples": STORE_HOURS + "\n" + "x" * 301}, "examples"),
        ({"answers": {"en": "  "}}, "answers"),
    ],
)
def test_bad_input_names_the_field(shop, agent, fields, field):
    with pytest.raises(ValidationError) as error:
        save(shop, agent, **fields)
    assert error.value.field == field
    assert not ShopIntent.objects.exists()


def test_a_name_is_unique_per_store(shop, agent, other_store):
    save(shop, agent)
    save(other_store, agent)
    with pytest.raises(ValidationError) as error:
        save(shop, agent)
    assert error.value.field == "name"


def test_the_stores_model_learns_the_new_intent_and_forgets_it_when_deleted(shop, agent):
    question = "Is the shop in Ilica open on Saturday?"
    assert understand(question, store_id=shop.pk).intent != "store_hours"
    intent = save(shop, agent)
    assert understand(question, store_id=shop.pk).intent == "store_hours"
    assert understand("Kada radi poslovnica u Ilici?", store_id=shop.pk).intent == "store_hours"
    # Other stores keep the shipped model.
    assert understand(question, store_id=shop.pk + 1000).intent != "store_hours"
    with committed_events():
        shop_intent_delete(actor=agent, intent=intent)
    assert understand(question, store_id=shop.pk).intent != "store_hours"


def test_until_retrained_the_default_model_answers(shop, agent):
    from storedesk.assistant.understanding import default_model

    ShopIntent.objects.create(
        store=shop, name="store_hours", action="answer", examples="a\nb\nc\nd\ne"
    )
    assert model_for_store(shop.pk) is default_model()


def chat(shop, text):
    inbox = make_inbox(shop, "webchat", "Chat", config={"assistant": {"enabled": True}})
    visitor, _token = visitor_start(inbox=inbox, locale="hr")
    with committed_events():
        message, _new = visitor_message(visitor=visitor, text=text, client_key="k1")
    return message.conversation_id, list(
        Message.objects.filter(conversation_id=message.conversation_id).exclude(kind="inbound")
    )


@pytest.fixture
def taught_shop(shop, agent):
    """A shop with three intents of its own, its model trained once per test run (the
    model is found again by the digest of the examples)."""
    from storedesk.assistant.understanding import train_store_model

    slang = "\n".join(
        [
            "di mi je paketić",
            "kad će doć paket",
            "paket još nije stigo a platio sam",
            "gdje mi je pošiljka ej",
            "di je ta roba več",
        ]
    )
    answers = {"en": "Ilica 1 is open Mon-Sat 9-20.", "hr": "Ilica 1 radi pon-sub 9-20."}
    for name, action, examples, answer in [
        ("store_hours", "answer", STORE_HOURS, answers),
        ("wholesale", "handoff", WHOLESALE, {}),
        ("track_order", "built_in", slang, {}),
    ]:
        ShopIntent.objects.create(
            store=shop, name=name, action=action, examples=examples, answers=answer
        )
    assert train_store_model(shop.pk)
    return shop


def test_the_assistant_gives_the_shops_answer(taught_shop):
    _conversation, (reply,) = chat(taught_shop, "Kada radi vaša trgovina u Ilici?")
    assert reply.text == "Ilica 1 radi pon-sub 9-20."
    assert reply.sender_type == "assistant"


def test_a_shop_intent_can_go_straight_to_a_person(taught_shop):
    conversation_id, added = chat(
        taught_shop, "We want 300 kettles for our hotels, what is your B2B price?"
    )
    session = AssistantSession.objects.get(conversation_id=conversation_id)
    assert session.handoff_reason == HandoffReason.HUMAN_ONLY
    assert any(m.kind == "note" and "Intent: wholesale" in m.text for m in added)


def test_more_examples_for_a_built_in_intent(taught_shop):
    assert understand("ej di mi je paketić", store_id=taught_shop.pk).intent == "track_order"


def test_the_settings_page(shop, admin_agent, agent):
    client = Client()
    client.force_login(admin_agent)
    assert client.get("/settings/assistant/").status_code == 200
    response = client.post(
        "/settings/assistant/",
        {
            "store": shop.pk,
            "name": "store_hours",
            "action": "answer",
            "answer_en": "Mon-Sat 9-20.",
            "examples": STORE_HOURS,
        },
    )
    assert response.status_code == 302
    intent = ShopIntent.objects.get()
    assert (intent.name, intent.answers) == ("store_hours", {"en": "Mon-Sat 9-20."})
    page = client.get(f"/settings/assistant/{intent.pk}/").content.decode()
    assert "Mon-Sat 9-20." in page and "Radno vrijeme trgovine" in page
    invalid = client.post(
        "/settings/assistant/",
        {"store": shop.pk, "name": "x y", "action": "answer", "examples": "a"},
    )
    assert invalid.status_code == 200 and "lowercase letters" in invalid.content.decode()
    assert client.post(f"/settings/assistant/{intent.pk}/", {"delete": "1"}).status_code == 302
    assert not ShopIntent.objects.exists()

    client.force_login(agent)
    assert client.get("/settings/assistant/").status_code == 403
