"""IMAP polling: fetch an email inbox's new mail from a mailbox into the same path as SMTP.

:func:`imap_poll` connects (always TLS, the certificate always verified), logs in (LOGIN,
AUTHENTICATE PLAIN for non-ASCII credentials, or AUTHENTICATE XOAUTH2), opens the folder
read-only (EXAMINE; bodies are read with ``BODY.PEEK[]``, so no flag is ever changed) and
stores every message above the saved position with ``inbound_payload_store``. From there
the ``process_payload`` task treats it exactly like mail received by ``storedesk smtpd``.

The position (``MailboxState.uidvalidity``/``last_uid``) advances in the same transaction
as each stored message: a crash re-fetches at most the message being stored, never skips
one. When the folder's UIDVALIDITY changes, its UIDs mean other messages, so polling starts
over from the first; nothing is duplicated because the same bytes are stored once per inbox
(content hash) and ``message_receive`` is idempotent on the Message-ID.

Messages larger than :data:`MAX_MESSAGE_BYTES` (the SMTP receiver's limit) are stored as
their first :data:`MAX_MESSAGE_BYTES` bytes with ``"truncated": true`` and the full size in
the payload's envelope: headers and the customer's text (which comes first) reach an agent,
and the original stays untouched in the mailbox, so nothing is lost.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import imaplib
import logging
import re
import socket
import ssl
import time
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from storedesk.inboxes.adapters.email.adapter import EmailInboxConfig, ImapConfig
from storedesk.inboxes.adapters.email.smtpd import DEFAULT_SIZE_LIMIT
from storedesk.inboxes.models import MailboxState
from storedesk.inboxes.services import inbound_payload_store

logger = logging.getLogger(__name__)

# Every blocking socket operation (connect, TLS handshake, each read) gives up after this.
SOCKET_TIMEOUT = 30
# Bodies are fetched this many (and at most BATCH_BYTES) per command.
BATCH_SIZE = 50
BATCH_BYTES = 50 * 1024 * 1024
# One poll stores at most this many messages and stops fetching after POLL_TIME_BUDGET
# seconds; a larger backlog is worked through by the following polls (due at once).
MAX_MESSAGES_PER_POLL = 500
POLL_TIME_BUDGET = 240
# The same limit as the SMTP receiver's; larger messages are stored truncated (see above).
MAX_MESSAGE_BYTES = DEFAULT_SIZE_LIMIT

_UID = re.compile(rb"\bUID (\d+)", re.I)
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)", re.I)


@dataclasses.dataclass(frozen=True)
class PollResult:
    """What one poll did. ``ok`` is False when it failed; ``error`` then says why, for an
    admin (it never contains a password or token). Messages stored before a failure stay
    stored and the position stays after them."""

    ok: bool
    stored: int = 0  # new payloads
    fetched: int = 0  # messages read, including ones already stored (same bytes)
    truncated: int = 0  # larger than MAX_MESSAGE_BYTES, stored truncated
    more: bool = False  # a backlog remains: poll again soon
    uidvalidity_changed: bool = False  # the folder was recreated: started over from UID 1
    error: str = ""


class PollError(Exception):
    """A poll failed for a reason an admin can act on; the message says which."""


class LeaseLost(Exception):
    """The caller's lease on the mailbox is gone (expired and taken by another worker)."""


def imap_config(inbox) -> ImapConfig | None:
    """The inbox's IMAP settings, or None when it is not an email inbox polled by IMAP."""
    if inbox.kind != "email" or not (inbox.config or {}).get("imap"):
        return None
    return EmailInboxConfig.model_validate(inbox.config).imap


def xoauth2_string(username: str, access_token: str) -> bytes:
    """The SASL XOAUTH2 initial client response (Google's and Microsoft's format, as used
    with RFC 7628): ``user=<username>^Aauth=Bearer <token>^A^A``."""
    return f"user={username}\x01auth=Bearer {access_token}\x01\x01".encode()


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): ``Entwürfe`` is
    ``Entw&APw-rfe``."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tls_context(config: ImapConfig) -> ssl.SSLContext:
    """Verifies the certificate and the host name: against ``ca_cert`` only when it is
    given (a private CA), else against the system's CAs. There is no way to turn this off."""
    return ssl.create_default_context(cadata=config.ca_cert or None)


def _connect(config: ImapConfig) -> imaplib.IMAP4:
    context = tls_context(config)
    if config.security == "ssl":
        return imaplib.IMAP4_SSL(
            config.host, config.port, ssl_context=context, timeout=SOCKET_TIMEOUT
        )
    client = imaplib.IMAP4(config.host, config.port, timeout=SOCKET_TIMEOUT)
    try:
        if "STARTTLS" not in client.capabilities:
            raise PollError(
                f"{config.host}:{config.port} does not offer STARTTLS; storedesk never logs "
                'in without TLS (use security "ssl" if the server has a TLS port).'
            )
        client.starttls(ssl_context=context)
    except BaseException:
        client.shutdown()
        raise
    return client


def _responder(initial: bytes):
    """An AUTHENTICATE callback that sends ``initial`` once. A second challenge is the
    server's error report (XOAUTH2), which the client must answer with an empty line."""
    sent = False

    def respond(_challenge: bytes) -> bytes:
        nonlocal sent
        if sent:
            return b""
        sent = True
        return initial

    return respond


def _login(client: imaplib.IMAP4, config: ImapConfig) -> None:
    try:
        if config.auth == "xoauth2":
            client.authenticate(
                "XOAUTH2", _responder(xoauth2_string(config.username, config.access_token))
            )
        elif config.username.isascii() and config.password.isascii():
            client.login(_quoted(config.username), config.password)
        else:
            # LOGIN is ASCII only; SASL PLAIN carries UTF-8.
            plain = f"\0{config.username}\0{config.password}".encode()
            client.authenticate("PLAIN", _responder(plain))
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise PollError(
            f"{config.host} refused the login of {config.username} ({config.auth}): "
            f"{_server_text(exc)}"
        ) from None


def _examine(client: imaplib.IMAP4, folder: str) -> int:
    """Open ``folder`` read-only; returns its UIDVALIDITY."""
    typ, data = client.select(_quoted(imap_utf7(folder)), readonly=True)
    if typ != "OK":
        raise PollError(f'The folder "{folder}" could not be opened: {_server_text(data)}')
    _, values = client.response("UIDVALIDITY")
    try:
        return int(values[-1])
    except (TypeError, ValueError, IndexError):
        raise PollError(f'The server did not report the UIDVALIDITY of "{folder}".') from None


def _new_uids(client: imaplib.IMAP4, last_uid: int) -> list[int]:
    typ, data = client.uid("SEARCH", f"UID {last_uid + 1}:*")
    if typ != "OK":
        raise PollError(f"The server refused to search the folder: {_server_text(data)}")
    uids = {int(part) for chunk in data if chunk for part in chunk.split()}
    # "n:*" always includes the highest UID, even when it is below n (RFC 3501 6.4.8).
    return sorted(uid for uid in uids if uid > last_uid)


def _sizes(client: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    typ, data = client.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
    if typ != "OK":
        raise PollError(f"The server refused to list message sizes: {_server_text(data)}")
    sizes = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        uid, size = _UID.search(line or b""), _SIZE.search(line or b"")
        if uid and size:
            sizes[int(uid[1])] = int(size[1])
    return sizes


def _fetch_plan(uids: list[int], sizes: dict[int, int]) -> Iterator[tuple[list[int], bool]]:
    """Groups of UIDs to fetch in one command, in UID order, as ``(uids, truncated)``: at
    most BATCH_SIZE messages and BATCH_BYTES per group; an oversized message alone."""
    batch: list[int] = []
    total = 0
    for uid in uids:
        # Unknown size: fetched like any other (it may have been expunged meanwhile).
        size = sizes.get(uid, 0)
        if size > MAX_MESSAGE_BYTES:
            if batch:
                yield batch, False
                batch, total = [], 0
            yield [uid], True
            continue
        if batch and (len(batch) >= BATCH_SIZE or total + size > BATCH_BYTES):
            yield batch, False
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch, False


def _fetch_bodies(client: imaplib.IMAP4, uids: list[int], truncated: bool) -> dict[int, bytes]:
    section = f"BODY.PEEK[]<0.{MAX_MESSAGE_BYTES}>" if truncated else "BODY.PEEK[]"
    typ, data = client.uid("FETCH", ",".join(map(str, uids)), f"(UID {section})")
    if typ != "OK":
        raise PollError(f"The server refused to send messages: {_server_text(data)}")
    bodies: dict[int, bytes] = {}
    waiting: bytes | None = None  # a body whose UID item comes after it
    for item in data:
        if isinstance(item, tuple):
            uid = _UID.search(item[0])
            if uid:
                bodies[int(uid[1])] = item[1]
                waiting = None
            else:
                waiting = item[1]
        elif waiting is not None:
            uid = _UID.search(item or b"")
            if uid:
                bodies[int(uid[1])] = waiting
            waiting = None
    return bodies


def _store(inbox, lease_token: str, uid: int, uidvalidity: int, raw: bytes, envelope) -> bool:
    """Store one message and move the position past it, in one transaction. Returns
    whether the payload is new. Raises LeaseLost (storing nothing) if the lease is gone."""
    with transaction.atomic():
        _, created = inbound_payload_store(inbox=inbox, raw=raw, envelope=envelope)
        # Progress renews the lease: a long poll that keeps storing is not "abandoned".
        advanced = MailboxState.objects.filter(inbox_id=inbox.pk, lease_token=lease_token).update(
            last_uid=uid, uidvalidity=uidvalidity, claimed_at=timezone.now()
        )
        if not advanced:
            raise LeaseLost
    return created


def _start_position(inbox, lease_token: str, uidvalidity: int) -> tuple[int, bool]:
    """The last stored UID to continue from, and whether UIDVALIDITY changed (then 0)."""
    state = MailboxState.objects.filter(inbox_id=inbox.pk, lease_token=lease_token).first()
    if state is None:
        raise LeaseLost
    if state.uidvalidity == uidvalidity:
        return state.last_uid, False
    if state.uidvalidity is not None:
        logger.warning(
            "inbox %s: UIDVALIDITY of the mailbox changed (%s -> %s); reading it from the start",
            inbox.pk,
            state.uidvalidity,
            uidvalidity,
        )
    updated = MailboxState.objects.filter(inbox_id=inbox.pk, lease_token=lease_token).update(
        uidvalidity=uidvalidity, last_uid=0
    )
    if not updated:
        raise LeaseLost
    return 0, state.uidvalidity is not None


def _poll(client: imaplib.IMAP4, inbox, config: ImapConfig, lease_token: str) -> PollResult:
    started = time.monotonic()
    uidvalidity = _examine(client, config.folder)
    last_uid, changed = _start_position(inbox, lease_token, uidvalidity)
    uids = _new_uids(client, last_uid)
    more = len(uids) > MAX_MESSAGES_PER_POLL
    uids = uids[:MAX_MESSAGES_PER_POLL]
    stored = fetched = truncated = 0
    sizes = _sizes(client, uids) if uids else {}
    for batch, partial in _fetch_plan(uids, sizes):
        if time.monotonic() - started > POLL_TIME_BUDGET:
            more = True
            break
        bodies = _fetch_bodies(client, batch, partial)
        for uid in batch:
            raw = bodies.get(uid)
            if raw is None:
                continue  # expunged since the search: there is nothing left to store
            envelope = {"source": "imap", "uid": uid, "uidvalidity": uidvalidity}
            if partial:
                envelope.update(truncated=True, size=sizes[uid])
            try:
                created = _store(inbox, lease_token, uid, uidvalidity, raw, envelope)
            except LeaseLost:
                raise
            except Exception as exc:
                logger.exception("inbox %s: storing IMAP message UID %s failed", inbox.pk, uid)
                raise PollError(
                    f"Storing message UID {uid} failed ({type(exc).__name__}: {exc}); it is "
                    "fetched again on the next poll."
                ) from None
            fetched += 1
            stored += created
            truncated += partial
    return PollResult(
        ok=True,
        stored=stored,
        fetched=fetched,
        truncated=truncated,
        more=more,
        uidvalidity_changed=changed,
    )


def imap_poll(inbox, *, lease_token: str) -> PollResult:
    """Fetch and store the inbox's new mail. The caller must hold the mailbox lease
    (``imap_services.mailbox_claim``); ``lease_token`` proves it, and each stored message
    renews it.

    Never raises for what can go wrong with the server, the network, TLS, the login, the
    folder or storing: the result then has ``ok=False`` and a message for an admin. Raises
    :class:`LeaseLost` if the lease was taken over (then the other worker records the
    outcome). Recording the outcome is the caller's job.
    """
    config = imap_config(inbox)
    if config is None:
        return PollResult(ok=False, error="This inbox has no IMAP settings.")
    secrets = [s for s in (config.password, config.access_token) if s]
    client = None
    try:
        client = _connect(config)
        _login(client, config)
        result = _poll(client, inbox, config, lease_token)
    except LeaseLost:
        raise
    except Exception as exc:
        message = _scrub(_describe(exc, config), secrets)
        expected = isinstance(exc, PollError | OSError | imaplib.IMAP4.error)
        logger.log(
            logging.WARNING if expected else logging.ERROR,
            "inbox %s: IMAP poll failed: %s",
            inbox.pk,
            message,
        )
        return PollResult(ok=False, error=message)
    finally:
        if client is not None:
            _logout(client)
    return result


def _logout(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):  # the session is over anyway
        client.logout()


def _describe(exc: BaseException, config: ImapConfig) -> str:
    """A message an admin can act on, for an exception raised while polling."""
    where = f"{config.host}:{config.port}"
    if isinstance(exc, PollError):
        return str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"The TLS certificate of {config.host} could not be verified "
            f"({exc.verify_message}). If the server uses a private CA, put that CA's "
            "certificate (PEM) in imap.ca_cert."
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"TLS with {where} failed ({exc.reason or exc}). Check imap.security: "
            '"ssl" for a TLS port such as 993, "starttls" for a plain port such as 143.'
        )
    if isinstance(exc, socket.gaierror):
        return f"The IMAP server {config.host} was not found (DNS: {exc.strerror})."
    if isinstance(exc, ConnectionRefusedError):
        return f"{where} refused the connection; check imap.host and imap.port."
    if isinstance(exc, TimeoutError):
        return f"{where} did not answer within {SOCKET_TIMEOUT} seconds."
    if isinstance(exc, imaplib.IMAP4.abort):
        return f"The connection to {where} broke off: {_server_text(exc)}"
    if isinstance(exc, imaplib.IMAP4.error):
        return f"{where} answered with an error: {_server_text(exc)}"
    if isinstance(exc, OSError):
        return f"The connection to {where} failed: {exc.strerror or exc}"
    return f"Internal error while polling {where}: {type(exc).__name__}: {exc}"


def _server_text(value) -> str:
    """Readable text of a server answer (an imaplib exception or response data)."""
    if isinstance(value, BaseException):
        value = value.args[0] if value.args else ""
    if isinstance(value, list | tuple):
        value = next((v for v in reversed(value) if v), b"")
        if isinstance(value, tuple):
            value = value[0]
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip()
    if text.startswith(("b'", 'b"')) and text[-1:] == text[1]:
        text = text[2:-1]  # imaplib formats some answers as a bytes repr
    return text[:500] or "(no details)"


def _scrub(message: str, secrets: list[str]) -> str:
    # Defence in depth: no error path is known to echo a credential, but none ever may.
    for secret in secrets:
        message = message.replace(secret, "***")
    return message
