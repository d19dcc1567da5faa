"""Parsing raw email (RFC 5322 / MIME) into what the email channel needs.

:func:`parse_email` accepts any bytes and never raises: what it cannot read it reports in
``problems`` so the caller can store the raw message and flag it. Resource caps (parts,
nesting, header size) bound the work an attacker can cause. Text is decoded from the
declared charset when that works, else detected (mislabelled GB2312/GBK, Windows-1250, ...).
Addresses are read strictly: a ``From`` the standard parser flags as malformed (such as
``alice@example.org)<bob@example.com>``, CVE-2023-27043) yields no sender at all.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import functools
import hashlib
import logging
import re
from datetime import datetime
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime

from charset_normalizer import from_bytes

logger = logging.getLogger(__name__)

MAX_PARTS = 1000
MAX_DEPTH = 100
MAX_HEADER_BYTES = 100 * 1024
# Declared charsets whose messages are routinely encoded in a superset.
CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
}
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,900}>")


class _CachingHeaderRegistry(HeaderRegistry):
    """The standard header classes, with parsed headers reused: ``email.policy.default``
    parses a header again on every access, and reading one MIME part reads Content-Type
    and Content-Disposition several times over (type, charset, filename, disposition).
    Parsed headers are immutable, so equal (name, value) pairs can share one."""

    def __init__(self):
        super().__init__()
        self._cached = functools.lru_cache(maxsize=512)(super().__call__)

    def __call__(self, name, value):
        if len(value) > 4096:
            return super().__call__(name, value)
        return self._cached(name, value)


_POLICY = email.policy.default.clone(header_factory=_CachingHeaderRegistry())


@dataclasses.dataclass(frozen=True)
class Address:
    name: str
    address: str  # lower-cased


@dataclasses.dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str
    content_id: str = ""
    inline: bool = False


@dataclasses.dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: Address | None  # None when missing or ambiguous: never guess who wrote
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    date: datetime | None
    text: str
    html: str
    attachments: tuple[Attachment, ...]
    auto_submitted: bool  # RFC 3834 and the usual auto-reply markers
    bounce: bool  # a delivery status notification (multipart/report)
    problems: tuple[str, ...]
    content_hash: str  # SHA-256 of the raw bytes: the idempotency key without a Message-ID
    # For bounces: the Message-IDs of the returned mail and the failure the report gives.
    bounced_message_ids: tuple[str, ...] = ()
    bounce_reason: str = ""


def _decode_bytes(payload: bytes, declared: str | None) -> tuple[str, str | None]:
    """Text from ``payload``: the declared charset (or its superset) if it decodes cleanly,
    else the detected one, else UTF-8 with replacement. Returns (text, problem)."""
    if declared:
        charset = CHARSET_SUPERSETS.get(declared.lower(), declared)
        try:
            return payload.decode(charset), None
        except (LookupError, UnicodeDecodeError):
            pass
    else:
        try:
            return payload.decode("utf-8"), None
        except UnicodeDecodeError:
            pass
    best = from_bytes(payload).best()
    if best is not None:
        label = f"declared {declared!r}" if declared else "no charset declared"
        return str(best), f"text decoded as {best.encoding} ({label})"
    return payload.decode("utf-8", errors="replace"), "undecodable text replaced"


def _text_of(part: Message) -> tuple[str, str | None]:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = b""
    if not isinstance(payload, bytes):
        payload = str(payload).encode("utf-8", errors="replace")
    return _decode_bytes(payload, part.get_content_charset())


def _message_ids(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_MESSAGE_ID.findall(value or "")))


def _addresses(message: Message, header: str, problems: list[str]) -> tuple[Address, ...]:
    try:
        value = message[header]
    except Exception as exc:  # the header parser itself failed
        problems.append(f"{header}: unreadable ({type(exc).__name__})")
        return ()
    if value is None:
        return ()
    if getattr(value, "defects", None):
        problems.append(f"{header}: malformed address header")
        return ()
    found = []
    for item in getattr(value, "addresses", ()):
        spec = (item.addr_spec or "").strip()
        if "@" not in spec or spec.startswith("@") or spec.endswith("@"):
            problems.append(f"{header}: not an address: {spec[:80]!r}")
            return ()
        found.append(Address(name=str(item.display_name or "")[:200], address=spec.lower()))
    return tuple(found)


def _header_text(message: Message, name: str, problems: list[str]) -> str:
    try:
        value = message[name]
    except Exception as exc:
        problems.append(f"{name}: unreadable ({type(exc).__name__})")
        return ""
    return "" if value is None else " ".join(str(value).split())


def is_auto_submitted(message: Message) -> bool:
    """RFC 3834 ``Auto-Submitted`` (anything but ``no``), ``Precedence: bulk/junk/list``,
    ``X-Autoreply``/``X-Autorespond``, and list or auto-generated mail markers."""
    auto = str(message.get("Auto-Submitted", "") or "").strip().lower()
    if auto and auto != "no":
        return True
    if str(message.get("Precedence", "") or "").strip().lower() in {"bulk", "junk", "list"}:
        return True
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = str(message.get(header, "") or "").strip().lower()
        if value and (header != "X-Auto-Response-Suppress" or value in {"all", "oof"}):
            return True
    return bool(message.get("List-Id") or message.get("List-Unsubscribe"))


def _walk(message: Message, problems: list[str]):
    """Leaf parts depth-first, bounded by MAX_PARTS and MAX_DEPTH."""
    stack = [(message, 0)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > MAX_PARTS:
            problems.append(f"more than {MAX_PARTS} parts; the rest was not read")
            return
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                problems.append(f"nested deeper than {MAX_DEPTH}; the rest was not read")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children))
            continue
        yield part


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()  # RFC 2231 and RFC 2047 decoded by the policy
    except Exception:
        name = None
    return str(name or "")


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse ``raw`` (any bytes). Never raises; see ``problems`` for what went wrong."""
    problems: list[str] = []
    content_hash = hashlib.sha256(raw).hexdigest()
    header_end = raw.find(b"\r\n\r\n")
    if header_end < 0:
        header_end = raw.find(b"\n\n")
    if (header_end if header_end >= 0 else len(raw)) > MAX_HEADER_BYTES:
        problems.append(f"header larger than {MAX_HEADER_BYTES} bytes")
        return _unreadable(raw, content_hash, problems)
    try:
        message: EmailMessage = email.message_from_bytes(raw, policy=_POLICY)
    except Exception as exc:
        problems.append(f"not a readable email ({type(exc).__name__})")
        return _unreadable(raw, content_hash, problems)

    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[Attachment] = []
    bounce = message.get_content_type() == "multipart/report"
    bounced_ids: list[str] = []
    bounce_reason = ""
    if bounce:
        bounced_ids, bounce_reason = _bounce_details(message)
    try:
        for part in _walk(message, problems):
            content_type = part.get_content_type()
            disposition = str(part.get_content_disposition() or "")
            filename = _filename(part)
            if (
                content_type in {"text/plain", "text/html"}
                and disposition != "attachment"
                and (not filename)
            ):
                body, problem = _text_of(part)
                if problem:
                    problems.append(problem)
                (text_parts if content_type == "text/plain" else html_parts).append(body)
                continue
            if content_type == "message/delivery-status":
                bounce = True
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                payload = b""
            content_id = str(part.get("Content-ID", "") or "").strip().strip("<>")
            attachments.append(
                Attachment(
                    filename=filename or ("inline" if content_id else "attachment"),
                    content=payload,
                    content_type=content_type,
                    content_id=content_id[:255],
                    inline=disposition == "inline" or (bool(content_id) and not filename),
                )
            )
    except Exception as exc:  # a part the library cannot walk: keep what was read
        problems.append(f"a MIME part could not be read ({type(exc).__name__})")

    date = None
    date_text = _header_text(message, "Date", problems)
    if date_text:
        try:
            date = parsedate_to_datetime(date_text)
            if date.tzinfo is None:
                date = None
                problems.append("Date without a time zone ignored")
        except (TypeError, ValueError, IndexError):
            problems.append("unreadable Date")
    senders = _addresses(message, "From", problems)
    if len(senders) > 1:
        problems.append("From: several addresses")
    message_ids = _message_ids(_header_text(message, "Message-ID", problems))
    return ParsedEmail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=_message_ids(_header_text(message, "In-Reply-To", problems)),
        references=_message_ids(_header_text(message, "References", problems)),
        sender=senders[0] if len(senders) == 1 else None,
        reply_to=_addresses(message, "Reply-To", problems),
        to=_addresses(message, "To", problems),
        cc=_addresses(message, "Cc", problems),
        subject=_header_text(message, "Subject", problems)[:998],
        date=date,
        text="\n\n".join(text_parts),
        html="\n".join(html_parts),
        attachments=tuple(attachments),
        auto_submitted=is_auto_submitted(message),
        bounce=bounce,
        problems=tuple(dict.fromkeys(problems)),
        content_hash=content_hash,
        bounced_message_ids=tuple(bounced_ids),
        bounce_reason=bounce_reason,
    )


_STATUS_FIELDS = re.compile(r"^(Status|Diagnostic-Code|Action):\s*(.+)$", re.I | re.M)


def _bounce_details(message: Message) -> tuple[list[str], str]:
    """Message-IDs of the returned mail (message/rfc822 or text/rfc822-headers parts) and the
    status lines of the delivery report."""
    ids: list[str] = []
    reason: list[str] = []
    try:
        for part in message.walk():
            content_type = part.get_content_type()
            if content_type == "message/rfc822":
                inner = part.get_payload()
                inner = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(inner, Message):
                    ids += _message_ids(str(inner.get("Message-ID", "") or ""))
            elif content_type == "text/rfc822-headers":
                text, _ = _text_of(part)
                match = re.search(r"^Message-ID:\s*(.+)$", text, re.I | re.M)
                if match:
                    ids += _message_ids(match.group(1))
            elif content_type == "message/delivery-status":
                payload = part.get_payload()
                blocks = payload if isinstance(payload, list) else [payload]
                for block in blocks:
                    text = block.as_string() if isinstance(block, Message) else str(block)
                    reason += [f"{k}: {v.strip()}" for k, v in _STATUS_FIELDS.findall(text)]
    except Exception:  # a broken report still counts as a bounce; it just names less
        logger.warning("unreadable delivery report part", exc_info=True)
    return list(dict.fromkeys(ids)), "; ".join(dict.fromkeys(reason))[:500]


def _unreadable(raw: bytes, content_hash: str, problems: list[str]) -> ParsedEmail:
    text, _problem = _decode_bytes(raw[:200_000], None)
    return ParsedEmail(
        message_id=None,
        in_reply_to=(),
        references=(),
        sender=None,
        reply_to=(),
        to=(),
        cc=(),
        subject="",
        date=None,
        text=text,
        html="",
        attachments=(),
        auto_submitted=False,
        bounce=False,
        problems=tuple(problems),
        content_hash=content_hash,
    )


# --- Quoted replies and signatures ----------------------------------------------------------

_QUOTE_HEADERS = [
    re.compile(r"^on\b.{0,300}\bwrote:\s*$", re.I | re.S),  # English clients
    re.compile(r"^在.{0,300}写道[:：]\s*$", re.S),  # Chinese clients (Gmail, Foxmail)
    re.compile(r"^.{0,300}\b(je )?napisa(o|la|o/la|o/napisala|o je|la je)\s*:\s*$", re.I | re.S),
    re.compile(r"^dana\b.{0,300}\bje napisa.{0,20}:\s*$", re.I | re.S),  # Croatian Gmail
    re.compile(r"^-{2,}\s*(original message|原始邮件|izvorna poruka)\s*-{2,}\s*$", re.I),
    re.compile(r"^(from|发件人|od|šalje)\s*[:：]\s*.+$", re.I),  # Outlook header block
]
_SIGNATURE = re.compile(r"^-- ?$")


def split_reply(text: str) -> tuple[str, str]:
    """Split ``text`` into the new part and the quoted/previous part (which may be empty).

    Recognises "On … wrote:", "在 … 写道：", "… je napisao/napisala:" (also wrapped over two
    lines), Outlook's header block and "-----Original Message-----" in those languages,
    runs of ">" lines, and a "-- " signature delimiter. Nothing is ever dropped: the second
    part keeps everything that was cut.
    """
    lines = text.splitlines()
    cut = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _SIGNATURE.match(line.rstrip()):
            cut = index
            break
        joined = stripped
        if index + 1 < len(lines) and lines[index + 1].strip():
            joined_two = f"{stripped} {lines[index + 1].strip()}"
        else:
            joined_two = stripped
        if any(p.match(joined) or p.match(joined_two) for p in _QUOTE_HEADERS[:4]):
            cut = index
            break
        if _QUOTE_HEADERS[4].match(stripped):
            cut = index
            break
        if _QUOTE_HEADERS[5].match(stripped) and index > 0 and not lines[index - 1].strip():
            # Outlook: a "From:" line after a blank line, followed by more header lines.
            following = " ".join(lines[index + 1 : index + 4]).lower()
            if any(key in following for key in ("sent:", "发送时间", "poslano:", "to:", "收件人")):
                cut = index
                break
        if stripped.startswith(">") and all(
            not other.strip() or other.lstrip().startswith(">") for other in lines[index:]
        ):
            cut = index
            break
    if cut is None:
        return text.strip(), ""
    return "\n".join(lines[:cut]).strip(), "\n".join(lines[cut:]).strip()
