import pytest
from django.test import Client

from storedesk.accounts.enums import Role
from storedesk.accounts.models import Agent, AuditLog, Team
from storedesk.contacts.models import Contact
from storedesk.conversations import services
from storedesk.core.testing import AgentFactory, ContactFactory, inbound, make_inbox
from storedesk.inboxes.models import Inbox
from storedesk.routing.models import CannedReply
from storedesk.stores.models import Store

pytestmark = pytest.mark.django_db


def test_sign_in_and_out(agent):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200 and b'name="password"' in page.content
    response = client.post("/login/", {"username": "ana", "password": "pw-for-tests"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert client.get("/inbox/").status_code == 200
    assert client.get("/logout/").status_code == 405  # signing out needs a POST
    client.post("/logout/")
    assert client.get("/inbox/").status_code == 302


def test_wrong_password_is_refused_without_saying_which(agent):
    response = Client().post("/login/", {"username": "ana", "password": "nope"})
    assert response.status_code == 200
    assert b"The username or password is wrong." in response.content


def test_repeated_failures_lock_the_account_from_that_address(agent, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "ana", "password": "wrong"})
    locked = client.post("/login/", {"username": "ana", "password": "pw-for-tests"})
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert client.get("/inbox/").status_code == 302  # still signed out
    # Another address is not locked out with it.
    other = Client(REMOTE_ADDR="10.9.9.9")
    ok = other.post("/login/", {"username": "ana", "password": "pw-for-tests"})
    assert ok.status_code == 302


def test_open_redirect_after_sign_in_is_refused(agent):
    response = Client().post(
        "/login/?next=https://evil.example/",
        {"username": "ana", "password": "pw-for-tests", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/inbox/"


def test_session_cookie_is_http_only_and_lax(agent):
    client = Client()
    client.post("/login/", {"username": "ana", "password": "pw-for-tests"})
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_preferences_change_language_time_zone_and_password(signed_in, agent):
    response = signed_in.post(
        "/preferences/",
        {
            "save_preferences": "1",
            "display_name": "Ana K.",
            "locale": "hr",
            "time_zone": "Europe/Zagreb",
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.display_name, agent.locale, agent.time_zone) == ("Ana K.", "hr", "Europe/Zagreb")
    assert signed_in.get("/inbox/")["Content-Language"] == "hr"
    bad = signed_in.post("/preferences/", {"save_preferences": "1", "time_zone": "Mars/Base"})
    assert bad.status_code == 200
    changed = signed_in.post(
        "/preferences/",
        {
            "change_password": "1",
            "old_password": "pw-for-tests",
            "new_password1": "a-much-longer-pass-9",
            "new_password2": "a-much-longer-pass-9",
        },
    )
    assert changed.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("a-much-longer-pass-9")
    assert signed_in.get("/inbox/").status_code == 200  # still signed in


def test_settings_are_for_administrators_only(signed_in, restricted_agent):
    for path in (
        "/settings/stores/",
        "/settings/inboxes/",
        "/settings/agents/",
        "/settings/teams/",
        "/settings/canned/",
    ):
        assert signed_in.get(path).status_code == 403
    assert (
        signed_in.post("/settings/agents/", {"username": "x", "role": "admin"}).status_code == 403
    )
    assert not Agent.objects.filter(username="x").exists()


def test_administrator_manages_stores_inboxes_agents_teams_and_replies(admin_client, store):
    assert (
        admin_client.post(
            "/settings/stores/",
            {
                "name": "Kućni Dekor",
                "default_locale": "hr",
                "supported_locales": ["en"],
                "time_zone": "Europe/Zagreb",
                "brand_color": "#aa3300",
            },
        ).status_code
        == 302
    )
    decor = Store.objects.get(name="Kućni Dekor")
    assert decor.locales == ["hr", "en"]
    bad = admin_client.post(
        f"/settings/stores/{decor.pk}/",
        {
            "name": "Kućni Dekor",
            "default_locale": "hr",
            "time_zone": "Nowhere/City",
            "brand_color": "#aa3300",
        },
    )
    assert bad.status_code == 200 and b"Unknown time zone." in bad.content

    admin_client.post(
        "/settings/inboxes/", {"store": decor.pk, "kind": "webform", "name": "Kontakt"}
    )
    inbox = Inbox.objects.get(name="Kontakt")
    edit = admin_client.get(f"/settings/inboxes/{inbox.pk}/")
    assert f"/forms/{inbox.public_token}/".encode() in edit.content
    invalid = admin_client.post(
        f"/settings/inboxes/{inbox.pk}/",
        {
            "name": "Kontakt",
            "is_active": "on",
            "reopen_window_days": "7",
            "config": '{"unknown_key": 1}',
        },
    )
    assert invalid.status_code == 200 and b"Extra inputs are not permitted" in invalid.content
    old_token = inbox.public_token
    admin_client.post(f"/settings/inboxes/{inbox.pk}/rotate")
    inbox.refresh_from_db()
    assert inbox.public_token != old_token

    team = Team.objects.create(name="Tier 1")
    admin_client.post(
        "/settings/agents/",
        {
            "username": "bpo1",
            "role": "restricted",
            "stores": [store.pk],
            "teams": [team.pk],
            "is_active": "on",
            "password": "initial-pass-123",
        },
    )
    bpo = Agent.objects.get(username="bpo1")
    assert bpo.is_restricted and list(bpo.stores.all()) == [store]
    assert list(bpo.teams.all()) == [team]
    no_store = admin_client.post(
        "/settings/agents/", {"username": "bpo2", "role": "restricted", "is_active": "on"}
    )
    assert b"needs at least one store" in no_store.content
    assert AuditLog.objects.filter(action="agent.created", target_id=str(bpo.pk)).exists()

    admin_client.post(
        "/settings/canned/", {"title": "Tracking", "body": "Hi {{ contact.first_name }}"}
    )
    assert CannedReply.objects.get().body == "Hi {{ contact.first_name }}"
    broken = admin_client.post("/settings/canned/", {"title": "Broken", "body": "{% if %}"})
    assert b"Template error" in broken.content


def test_administrator_cannot_demote_self(admin_client, admin_agent):
    response = admin_client.post(
        f"/settings/agents/{admin_agent.pk}/",
        {
            "username": admin_agent.username,
            "role": "agent",
            "is_active": "on",
        },
    )
    assert b"You cannot demote or deactivate yourself." in response.content
    admin_agent.refresh_from_db()
    assert admin_agent.role == Role.ADMIN


def test_contacts_list_detail_edit_and_merge(signed_in, store, api_inbox):
    a = services.message_receive(
        inbox=api_inbox, inbound=inbound("a", email="ivana@example.hr", name="Ivana")
    ).conversation
    b = services.message_receive(
        inbox=api_inbox, inbound=inbound("b", email="ivana.h@example.hr", name="")
    ).conversation
    listing = signed_in.get("/contacts/?q=ivana")
    assert b"ivana@example.hr" in listing.content and b"ivana.h@example.hr" in listing.content
    detail = signed_in.get(f"/contacts/{a.contact_id}/")
    assert detail.status_code == 200 and f"/c/{a.pk}/".encode() in detail.content
    saved = signed_in.post(
        f"/contacts/{a.contact_id}/",
        {
            "name": "Ivana Horvat",
            "email": "ivana@example.hr",
            "phone": "+385 91 000",
            "locale": "hr",
            "notes": "VIP",
        },
    )
    assert saved.status_code == 302
    clash = signed_in.post(
        f"/contacts/{a.contact_id}/", {"name": "x", "email": "ivana.h@example.hr"}
    )
    assert b"Another contact already has this email." in clash.content
    signed_in.post(f"/contacts/{a.contact_id}/merge", {"other": "ivana.h@example.hr"})
    assert not Contact.objects.filter(pk=b.contact_id).exists()
    b.refresh_from_db()
    assert b.contact_id == a.contact_id


def test_merge_across_stores_is_refused(signed_in, store, other_store):
    mine = ContactFactory(store=store)
    theirs = ContactFactory(store=other_store)
    signed_in.post(f"/contacts/{mine.pk}/merge", {"other": str(theirs.pk)})
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_pages_follow_accept_language_before_sign_in():
    page = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="hr,en;q=0.5")
    assert page["Content-Language"] == "hr"
    page = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert page["Content-Language"] == "zh-hans"


def test_restricted_agent_assignee_lists_hide_other_stores(store, other_store, api_inbox):
    outsider = AgentFactory(username="other-bpo", role=Role.RESTRICTED, stores=[other_store])
    mine = AgentFactory(username="my-bpo", role=Role.RESTRICTED, stores=[store])
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    client = Client()
    client.force_login(mine)
    page = client.get(f"/c/{conversation.pk}/").content
    assert b"my-bpo" in page and b"other-bpo" not in page
    refused = client.post(
        f"/c/{conversation.pk}/update", {"field": "assignee", "value": outsider.pk}
    )
    assert refused.status_code == 422
    make_inbox(other_store)


def test_administrator_manages_teams(admin_client, agent, admin_agent):
    admin_client.post("/settings/teams/", {"name": "Escalations", "members": [agent.pk]})
    team = Team.objects.get(name="Escalations")
    assert list(team.members.all()) == [agent]
    admin_client.post(
        f"/settings/teams/{team.pk}/", {"name": "Escalations", "members": [admin_agent.pk]}
    )
    assert list(team.members.all()) == [admin_agent]
    duplicate = admin_client.post("/settings/teams/", {"name": "escalations"})
    assert b"A team with this name exists." in duplicate.content
    assert admin_client.get("/settings/teams/999999/").status_code == 404
