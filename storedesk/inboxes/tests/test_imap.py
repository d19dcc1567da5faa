"""IMAP polling of email inboxes, against a real Dovecot on loopback (see conftest.py):
position and UIDVALIDITY, duplicates, crashes, leases, TLS verification, logins, backoff,
the scheduler, config validation and secrets."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from storedesk.conversations.models import Conversation, Message
from storedesk.core.errors import Conflict, ValidationError
from storedesk.core.testing import bearer, committed_events, make_inbox
from storedesk.inboxes import imap_services
from storedesk.inboxes.adapters.email import imap
from storedesk.inboxes.models import InboundPayload, Inbox, MailboxState
from storedesk.inboxes.selectors import mailbox_status
from storedesk.inboxes.services import inbox_update
from storedesk.inboxes.tasks import schedule_mailbox_polls


def mail(n: int, *, sender: str = "ana@example.hr", body: str = "") -> bytes:
    """Message number ``n``: its own sender identity, subject and Message-ID."""
    return (
        f"From: Customer {n} <c{n}.{sender}>\r\n"
        "To: support@fashion.example\r\n"
        f"Subject: Order question {n}\r\n"
        "Date: Sun, 22 Nov 2026 10:15:00 +0100\r\n"
        f"Message-ID: <imap-{n}@example.hr>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body or f'Where is order FA100{n}?'}\r\n"
    ).encode()


def email_inbox(store, mailbox, **imap_settings):
    return make_inbox(
        store,
        "email",
        "Support mail",
        config={"address": "support@fashion.example", "imap": mailbox.imap_config(**imap_settings)},
    )


def poll(inbox) -> imap.PollResult:
    """Poll now, running what the stored payloads trigger (processing) as after commit."""
    with committed_events():
        return imap_services.mailbox_poll_now(inbox=inbox)


def state_of(inbox) -> MailboxState:
    return MailboxState.objects.get(inbox=inbox)


def subjects() -> list[str]:
    return sorted(Conversation.objects.values_list("subject", flat=True))


# --- Fetching, position, duplicates --------------------------------------------------------


@pytest.mark.django_db
def test_poll_turns_mail_into_conversations_and_polling_again_adds_nothing(store, mailbox):
    mailbox.append(mail(1), mail(2), mail(3))
    inbox = email_inbox(store, mailbox)
    result = poll(inbox)
    assert (result.ok, result.stored, result.fetched, result.more) == (True, 3, 3, False)
    assert subjects() == ["Order question 1", "Order question 2", "Order question 3"]
    payload = InboundPayload.objects.order_by("id").first()
    assert payload.status == "processed"
    assert bytes(payload.raw) == mail(1)
    state = state_of(inbox)
    assert payload.envelope == {"source": "imap", "uid": 1, "uidvalidity": state.uidvalidity}
    assert state.last_uid == 3 and state.last_error == "" and state.last_success_at
    assert state.next_poll_at > timezone.now() + timedelta(seconds=50)
    assert state.claimed_at is None and state.lease_token == ""

    again = poll(inbox)
    # "UID 4:*" still matches UID 3 on the server; it must not be read again.
    assert (again.ok, again.stored, again.fetched) == (True, 0, 0)
    assert InboundPayload.objects.count() == 3 and Message.objects.count() == 3


@pytest.mark.django_db
def test_after_a_restart_exactly_the_new_messages_are_fetched(store, mailbox):
    mailbox.append(mail(1), mail(2), mail(3))
    poll(email_inbox(store, mailbox))
    mailbox.append(mail(4), mail(5))
    # A new worker: nothing in memory, the inbox and its position read from the database.
    reloaded = Inbox.objects.get(kind="email")
    result = poll(reloaded)
    assert (result.stored, result.fetched) == (2, 2)
    assert subjects()[-2:] == ["Order question 4", "Order question 5"]
    assert Message.objects.count() == 5 and state_of(reloaded).last_uid == 5


@pytest.mark.django_db
def test_a_recreated_folder_is_read_again_without_duplicates_or_gaps(store, mailbox):
    mailbox.recreate("Support")
    mailbox.append(mail(1), mail(2), folder="Support")
    inbox = email_inbox(store, mailbox, folder="Support")
    poll(inbox)
    before = state_of(inbox)
    assert before.last_uid == 2
    # The folder is recreated (new UIDVALIDITY); the new mail gets UID 1, below the old
    # position, then the two known messages come back as UIDs 2 and 3.
    mailbox.recreate("Support")
    mailbox.append(mail(3), mail(1), mail(2), folder="Support")
    result = poll(inbox)
    assert result.ok and result.uidvalidity_changed
    assert (result.stored, result.fetched) == (1, 3)
    after = state_of(inbox)
    assert after.uidvalidity != before.uidvalidity and after.last_uid == 3
    assert subjects() == ["Order question 1", "Order question 2", "Order question 3"]
    assert InboundPayload.objects.count() == 3 and Message.objects.count() == 3


@pytest.mark.django_db
def test_a_crash_mid_batch_loses_nothing_and_fetches_from_where_it_stopped(
    store, mailbox, monkeypatch
):
    mailbox.append(*(mail(n) for n in range(1, 6)))
    inbox = email_inbox(store, mailbox)
    real_store = imap.inbound_payload_store
    calls = []

    def failing_third(**kwargs):
        calls.append(kwargs["envelope"]["uid"])
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real_store(**kwargs)

    monkeypatch.setattr(imap, "inbound_payload_store", failing_third)
    result = poll(inbox)
    assert not result.ok and "UID 3" in result.error and "database went away" in result.error
    state = state_of(inbox)
    assert state.last_uid == 2 and state.consecutive_failures == 1
    assert InboundPayload.objects.count() == 2

    monkeypatch.setattr(imap, "inbound_payload_store", real_store)
    retry = poll(inbox)
    assert (retry.ok, retry.stored, retry.fetched) == (True, 3, 3)
    assert [
        e["uid"] for e in InboundPayload.objects.order_by("id").values_list("envelope", flat=True)
    ] == [1, 2, 3, 4, 5]
    assert Message.objects.count() == 5
    assert state_of(inbox).consecutive_failures == 0 and state_of(inbox).last_error == ""


@pytest.mark.django_db
def test_a_backlog_is_worked_through_over_several_polls(store, mailbox, monkeypatch):
    monkeypatch.setattr(imap, "MAX_MESSAGES_PER_POLL", 2)
    monkeypatch.setattr(imap, "BATCH_SIZE", 1)
    mailbox.append(mail(1), mail(2), mail(3))
    inbox = email_inbox(store, mailbox)
    first = poll(inbox)
    assert (first.stored, first.more) == (2, True)
    assert state_of(inbox).next_poll_at <= timezone.now()  # due again at once
    second = poll(inbox)
    assert (second.stored, second.more) == (1, False)
    assert Message.objects.count() == 3


@pytest.mark.django_db
def test_an_oversized_message_is_stored_truncated_and_flagged(store, mailbox, monkeypatch):
    monkeypatch.setattr(imap, "MAX_MESSAGE_BYTES", 4096)
    big = mail(1, body="Please see the attached photo.\r\n\r\n" + "x" * 20_000)
    mailbox.append(mail(2), big, mail(3))
    inbox = email_inbox(store, mailbox)
    result = poll(inbox)
    assert (result.ok, result.stored, result.truncated) == (True, 3, 1)
    payload = InboundPayload.objects.get(envelope__truncated=True)
    assert bytes(payload.raw) == big[:4096]
    assert payload.envelope["size"] == len(big) and payload.envelope["uid"] == 2
    assert payload.message.text.startswith("Please see the attached photo.")
    status = mailbox_status(inbox)
    assert [(t["payload_id"], t["uid"], t["size"]) for t in status["truncated"]] == [
        (payload.pk, 2, len(big))
    ]


# --- Transport security and logins ----------------------------------------------------------


@pytest.mark.django_db
def test_starttls_on_the_plain_port(store, mailbox, dovecot):
    mailbox.append(mail(1))
    inbox = email_inbox(store, mailbox, security="starttls", port=dovecot.imap_port)
    result = poll(inbox)
    assert result.ok, result.error
    assert subjects() == ["Order question 1"]


@pytest.mark.django_db
def test_the_server_certificate_is_verified(store, mailbox):
    mailbox.append(mail(1))
    inbox = email_inbox(store, mailbox, ca_cert="")  # the test CA is not a system CA
    result = poll(inbox)
    assert not result.ok
    assert "certificate of 127.0.0.1 could not be verified" in result.error
    assert InboundPayload.objects.count() == 0
    assert state_of(inbox).last_error == result.error


@pytest.mark.django_db
def test_ssl_against_the_plain_port_explains_itself(store, mailbox, dovecot):
    inbox = email_inbox(store, mailbox, security="ssl", port=dovecot.imap_port)
    result = poll(inbox)
    assert not result.ok and "Check imap.security" in result.error


@pytest.mark.django_db
def test_a_wrong_password_is_recorded_with_exponential_backoff(store, mailbox):
    inbox = email_inbox(store, mailbox, password="not-the-password")
    first = poll(inbox)
    assert not first.ok
    assert f"127.0.0.1 refused the login of {mailbox.username}" in first.error
    assert "not-the-password" not in first.error
    state = state_of(inbox)
    assert state.last_error == first.error and state.consecutive_failures == 1
    delay = (state.next_poll_at - state.last_polled_at).total_seconds()
    assert 59 <= delay <= 61
    poll(inbox)
    state = state_of(inbox)
    assert state.consecutive_failures == 2
    assert 119 <= (state.next_poll_at - state.last_polled_at).total_seconds() <= 121
    assert state.last_success_at is None

    config = {**inbox.config, "imap": {**inbox.config["imap"], "password": mailbox.password}}
    inbox = inbox_update(inbox=inbox, actor=None, config=config)
    # Corrected settings are due at once, without waiting out the back-off.
    state = state_of(inbox)
    assert (state.next_poll_at, state.consecutive_failures) == (None, 0)
    assert poll(inbox).ok
    state = state_of(inbox)
    assert (state.consecutive_failures, state.last_error) == (0, "")


def test_backoff_doubles_up_to_thirty_minutes():
    delays = [imap_services.backoff_seconds(n, 60) for n in range(1, 9)]
    assert delays == [60, 120, 240, 480, 960, 1800, 1800, 1800]
    assert imap_services.backoff_seconds(3, 3600) == 3600  # never sooner than the interval


@pytest.mark.django_db
def test_xoauth2_login(store, mailbox, dovecot):
    mailbox.append(mail(1))
    token = dovecot.issue_token(mailbox.username)
    inbox = email_inbox(store, mailbox, auth="xoauth2", password="", access_token=token)
    result = poll(inbox)
    assert result.ok, result.error
    assert subjects() == ["Order question 1"]

    refused = email_inbox(store, mailbox, auth="xoauth2", password="", access_token="expired")
    result = poll(refused)
    assert not result.ok and "refused the login" in result.error and "xoauth2" in result.error


def test_xoauth2_initial_response_format():
    assert imap.xoauth2_string("support@shop.example", "ya29.token") == (
        b"user=support@shop.example\x01auth=Bearer ya29.token\x01\x01"
    )


def test_folder_names_are_sent_in_modified_utf7():
    assert imap.imap_utf7("INBOX") == "INBOX"
    assert imap.imap_utf7("Entwürfe") == "Entw&APw-rfe"
    assert imap.imap_utf7("A&B") == "A&-B"
    assert imap.imap_utf7("客服") == "&W6JnDQ-"


@pytest.mark.django_db
def test_a_missing_folder_is_named_in_the_error(store, mailbox):
    result = poll(email_inbox(store, mailbox, folder="Nowhere"))
    assert not result.ok and 'The folder "Nowhere" could not be opened' in result.error


@pytest.mark.django_db
def test_a_closed_port_is_reported(store, mailbox):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    result = poll(email_inbox(store, mailbox, port=closed_port))
    assert not result.ok
    assert (
        result.error
        == f"127.0.0.1:{closed_port} refused the connection; check imap.host and imap.port."
    )


# --- Leases and scheduling ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_held_lease_keeps_every_other_poller_out(store, mailbox):
    mailbox.append(mail(1))
    inbox = email_inbox(store, mailbox)
    token = imap_services.mailbox_claim(inbox.pk)
    assert token
    assert imap_services.mailbox_claim(inbox.pk, due_only=False) is None
    with pytest.raises(Conflict):
        imap_services.mailbox_poll_now(inbox=inbox)
    with committed_events():
        schedule_mailbox_polls()
    assert imap_services.mailbox_poll(inbox_id=inbox.pk, lease_token="not-ours") is None
    assert InboundPayload.objects.count() == 0 and state_of(inbox).last_polled_at is None
    assert mailbox_status(inbox)["polling"] is True

    # A worker that died holding the lease: it expires, and the mailbox is polled again.
    MailboxState.objects.filter(inbox=inbox).update(
        claimed_at=timezone.now() - imap_services.LEASE - timedelta(seconds=1)
    )
    assert poll(inbox).stored == 1
    # The old holder wakes up: its token no longer counts, it stores nothing.
    assert imap_services.mailbox_poll(inbox_id=inbox.pk, lease_token=token) is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_have_exactly_one_winner(store, mailbox):
    inbox = email_inbox(store, mailbox)
    MailboxState.objects.create(inbox=inbox)
    start = threading.Barrier(6)
    tokens = []

    def claim():
        try:
            start.wait()
            tokens.append(imap_services.mailbox_claim(inbox.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(tokens) == 6
    winners = [t for t in tokens if t]
    assert len(winners) == 1
    assert state_of(inbox).lease_token == winners[0]


@pytest.mark.django_db
def test_the_scheduler_polls_due_mailboxes_only(store, other_store, mailbox, dovecot):
    mailbox.append(mail(1))
    inbox = email_inbox(store, mailbox)
    disabled = email_inbox(other_store, mailbox, enabled=False)
    inactive = email_inbox(other_store, mailbox)
    inbox_update(inbox=inactive, actor=None, is_active=False)
    with committed_events():
        schedule_mailbox_polls()
    state = state_of(inbox)
    assert state.last_uid == 1 and state.lease_token == "" and state.next_poll_at > timezone.now()
    assert subjects() == ["Order question 1"]
    assert not MailboxState.objects.filter(inbox__in=[disabled, inactive]).exists()

    polled_at = state.last_polled_at
    mailbox.append(mail(2))
    with committed_events():
        schedule_mailbox_polls()  # not due yet
    assert state_of(inbox).last_polled_at == polled_at
    MailboxState.objects.filter(inbox=inbox).update(next_poll_at=timezone.now())
    with committed_events():
        schedule_mailbox_polls()
    assert state_of(inbox).last_uid == 2 and Message.objects.count() == 2


@pytest.mark.django_db
def test_poll_now_refuses_inboxes_without_imap(store, mailbox):
    plain = make_inbox(store, "email", "No IMAP", config={"address": "x@fashion.example"})
    with pytest.raises(ValidationError) as error:
        imap_services.mailbox_poll_now(inbox=plain)
    assert error.value.field == "config.imap"
    disabled = email_inbox(store, mailbox, enabled=False)
    with pytest.raises(ValidationError) as error:
        imap_services.mailbox_poll_now(inbox=disabled)
    assert error.value.field == "config.imap.enabled"
    inactive = inbox_update(inbox=email_inbox(store, mailbox), actor=None, is_active=False)
    with pytest.raises(ValidationError) as error:
        imap_services.mailbox_poll_now(inbox=inactive)
    assert error.value.field == "is_active"


@pytest.mark.django_db
def test_another_mailbox_is_read_from_its_first_message(store, mailbox):
    mailbox.recreate("Support")
    mailbox.append(mail(1), mail(2))
    mailbox.append(mail(3), folder="Support")
    inbox = email_inbox(store, mailbox)
    poll(inbox)
    assert state_of(inbox).last_uid == 2
    config = {**inbox.config, "imap": {**inbox.config["imap"], "folder": "Support"}}
    inbox = inbox_update(inbox=inbox, actor=None, config=config)
    state = state_of(inbox)
    assert (state.uidvalidity, state.last_uid) == (None, 0)
    result = poll(inbox)
    assert (result.stored, result.uidvalidity_changed) == (1, False)
    assert subjects() == ["Order question 1", "Order question 2", "Order question 3"]


@pytest.mark.django_db
def test_settings_that_no_longer_validate_are_reported(store, mailbox):
    inbox = email_inbox(store, mailbox)
    broken = {**inbox.config, "imap": {**inbox.config["imap"], "protocol": "imap4"}}
    Inbox.objects.filter(pk=inbox.pk).update(config=broken)
    token = imap_services.mailbox_claim(inbox.pk)
    result = imap_services.mailbox_poll(inbox_id=inbox.pk, lease_token=token)
    assert not result.ok and "config.imap.protocol" in result.error
    state = state_of(inbox)
    assert state.last_error == result.error and state.lease_token == ""


@pytest.mark.django_db
def test_cli_imap_poll_prints_the_outcome(store, mailbox, monkeypatch, capsys):
    from storedesk import cli

    monkeypatch.setattr(cli, "_setup_django", lambda home=None: None)
    mailbox.append(mail(1), mail(2))
    inbox = email_inbox(store, mailbox)
    with committed_events():
        code = cli.main(["imap", "poll", "--inbox", str(inbox.pk)])
    assert code == 0
    assert capsys.readouterr().out == f"inbox {inbox.pk} (Support mail): ok, 2 new, 2 read\n"
    broken = email_inbox(store, mailbox, password="wrong")
    assert cli.main(["imap", "poll"]) == 1
    printed = capsys.readouterr()
    assert f"inbox {inbox.pk} (Support mail): ok, 0 new, 0 read" in printed.out
    assert f"inbox {broken.pk} (Support mail): FAILED: 127.0.0.1 refused the login" in printed.err
    assert cli.main(["imap", "poll", "--inbox", "987654"]) == 2


# --- Status for the settings page -----------------------------------------------------------


@pytest.mark.django_db
def test_mailbox_status(store, mailbox, api_inbox):
    assert mailbox_status(api_inbox) is None
    plain = make_inbox(store, "email", "No IMAP", config={"address": "x@fashion.example"})
    assert mailbox_status(plain)["configured"] is False
    inbox = email_inbox(store, mailbox, password="wrong")
    status = mailbox_status(inbox)
    assert status["configured"] and status["enabled"] and status["next_poll_at"] is None
    poll(inbox)
    status = mailbox_status(inbox)
    assert status["consecutive_failures"] == 1 and "refused the login" in status["last_error"]
    assert status["last_success_at"] is None and status["polling"] is False
    assert (status["host"], status["username"], status["folder"]) == (
        "127.0.0.1",
        mailbox.username,
        "INBOX",
    )
    assert "password" not in status and "wrong" not in str(status)


# --- Configuration --------------------------------------------------------------------------

IMAP = {"host": "imap.shop.example", "username": "support@shop.example", "password": "pw"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("imap_settings", "field"),
    [
        ({**IMAP, "password": ""}, "config.imap.password"),
        ({k: v for k, v in IMAP.items() if k != "password"}, "config.imap.password"),
        ({**IMAP, "auth": "xoauth2", "password": ""}, "config.imap.access_token"),
        ({**IMAP, "security": "none"}, "config.imap.security"),
        ({**IMAP, "verify_certificate": False}, "config.imap.verify_certificate"),
        ({**IMAP, "poll_interval_seconds": 10}, "config.imap.poll_interval_seconds"),
        ({**IMAP, "ca_cert": "not a certificate"}, "config.imap.ca_cert"),
        ({**IMAP, "host": "imaps://imap.shop.example"}, "config.imap.host"),
        ({**IMAP, "username": "a\r\nb"}, "config.imap.username"),
        ({**IMAP, "port": 0}, "config.imap.port"),
        ({k: v for k, v in IMAP.items() if k != "host"}, "config.imap.host"),
    ],
)
def test_invalid_imap_settings_name_the_field(store, imap_settings, field):
    with pytest.raises(ValidationError) as error:
        make_inbox(store, "email", "x", config={"address": "a@shop.example", "imap": imap_settings})
    assert error.value.field == field


@pytest.mark.django_db
def test_imap_defaults(store):
    ssl_inbox = make_inbox(store, "email", "a", config={"address": "a@shop.example", "imap": IMAP})
    assert ssl_inbox.config["imap"] == {
        **IMAP,
        "port": 993,
        "security": "ssl",
        "auth": "password",
        "access_token": "",
        "folder": "INBOX",
        "enabled": True,
        "ca_cert": "",
        "poll_interval_seconds": 60,
    }
    starttls = make_inbox(
        store,
        "email",
        "b",
        config={"address": "b@shop.example", "imap": {**IMAP, "security": "starttls"}},
    )
    assert starttls.config["imap"]["port"] == 143


@pytest.mark.django_db
def test_an_update_without_the_secret_keeps_it_for_the_same_account(store):
    inbox = make_inbox(store, "email", "a", config={"address": "a@shop.example", "imap": IMAP})
    without = {k: v for k, v in IMAP.items() if k != "password"}
    inbox_update(
        inbox=inbox,
        actor=None,
        config={"address": "a@shop.example", "imap": {**without, "folder": "Support"}},
    )
    inbox.refresh_from_db()
    assert inbox.config["imap"]["password"] == "pw" and inbox.config["imap"]["folder"] == "Support"
    inbox_update(
        inbox=inbox,
        actor=None,
        config={"address": "a@shop.example", "imap": {**IMAP, "password": ""}},
    )
    inbox.refresh_from_db()
    assert inbox.config["imap"]["password"] == "pw"
    # Another server or account never receives the stored password.
    for changed in ({"host": "imap.elsewhere.example"}, {"username": "other@shop.example"}):
        with pytest.raises(ValidationError) as error:
            inbox_update(
                inbox=inbox,
                actor=None,
                config={"address": "a@shop.example", "imap": {**without, **changed}},
            )
        assert error.value.field == "config.imap.password"


@pytest.mark.django_db
def test_the_api_never_shows_imap_secrets(store, agent):
    token_inbox = make_inbox(
        store,
        "email",
        "OAuth mail",
        config={
            "address": "oauth@shop.example",
            "imap": {
                **IMAP,
                "auth": "xoauth2",
                "password": "",
                "access_token": "ya29.secret-token",
            },
        },
    )
    password_inbox = make_inbox(
        store,
        "email",
        "Password mail",
        config={"address": "pw@shop.example", "imap": {**IMAP, "password": "hunter2-secret"}},
    )
    client, headers = Client(), bearer(agent)
    listed = client.get("/api/v1/inboxes", **headers)
    assert listed.status_code == 200
    assert {i["address"] for i in listed.json()} == {"oauth@shop.example", "pw@shop.example"}
    for response in (
        listed,
        client.get(f"/api/v1/inboxes/{token_inbox.pk}", **headers),
        client.get(f"/api/v1/inboxes/{password_inbox.pk}", **headers),
    ):
        body = response.content.decode()
        assert "ya29.secret-token" not in body and "hunter2-secret" not in body
        assert "imap" not in body
