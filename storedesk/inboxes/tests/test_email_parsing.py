"""Email parsing on messages written for these tests: charsets, MIME shapes, hostile and
broken input, loop markers and quoted replies in English, Chinese and Croatian."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storedesk.inboxes.adapters.email.parsing import MAX_PARTS, parse_email, split_reply


def eml(headers: str, body: bytes | str = b"Hello") -> bytes:
    lines = [line for line in headers.strip().splitlines() if line.strip()]
    head = "\r\n".join(lines).encode()
    if isinstance(body, str):
        body = body.encode()
    return head + b"\r\n\r\n" + body


BASIC = """
From: Ana Horvat <Ana@Example.HR>
To: support@shop.example
Subject: Where is my order?
Message-ID: <abc123@mail.example.hr>
In-Reply-To: <reply-1@shop.example>
References: <first@shop.example> <reply-1@shop.example>
Date: Sun, 22 Nov 2026 10:15:00 +0100
"""


def test_basic_headers_and_threading_ids():
    parsed = parse_email(eml(BASIC, "Gdje je moja narudžba?"))
    assert parsed.sender.address == "ana@example.hr" and parsed.sender.name == "Ana Horvat"
    assert parsed.message_id == "<abc123@mail.example.hr>"
    assert parsed.in_reply_to == ("<reply-1@shop.example>",)
    assert parsed.references == ("<first@shop.example>", "<reply-1@shop.example>")
    assert parsed.subject == "Where is my order?"
    assert parsed.date.isoformat() == "2026-11-22T10:15:00+01:00"
    assert parsed.text == "Gdje je moja narudžba?"
    assert parsed.problems == () and not parsed.auto_submitted and not parsed.bounce


@pytest.mark.parametrize(
    "from_header",
    [
        "alice@example.org)<bob@example.com>",  # CVE-2023-27043
        "alice@example.org <bob@example.com>",
        "garbage <<>>",
        "no-at-sign",
    ],
)
def test_ambiguous_sender_is_never_guessed(from_header):
    parsed = parse_email(eml(f"From: {from_header}\nTo: s@shop.example\nSubject: x"))
    assert parsed.sender is None
    assert any(p.startswith("From:") for p in parsed.problems)


def test_encoded_words_in_subject_and_name():
    headers = (
        "From: =?utf-8?b?5p2O5Lyf?= <li@example.cn>\n"
        "To: s@shop.example\n"
        "Subject: =?gb2312?b?ztK1xLaptaU=?= =?utf-8?q?Narud=C5=BEba?="
    )
    parsed = parse_email(eml(headers))
    assert parsed.sender.name == "李伟"
    assert parsed.subject == "我的订单Narudžba"


@pytest.mark.parametrize(
    ("declared", "text", "encoding"),
    [
        ("gb2312", "我的订单还没到，请帮忙查一下", "gbk"),
        ("gb2312", "镕", "gb18030"),  # outside GB2312, common in mislabelled mail
        ("gbk", "退货退款", "gbk"),
        ("gb18030", "订单号：EL1234567", "gb18030"),
        ("big5", "我的訂單在哪裡", "big5"),
        ("windows-1250", "Poštovani, narudžba još nije stigla. Đurđa", "cp1250"),
        ("iso-8859-2", "Poštovani, molim povrat novca za čarape", "iso-8859-2"),
        ("utf-8", "Čćžšđ 你好 ok", "utf-8"),
        ("iso-8859-1", "Smart quotes “like this”", "cp1252"),  # mislabelled Windows text
    ],
)
def test_charsets(declared, text, encoding):
    headers = (
        f"{BASIC}\nContent-Type: text/plain; charset={declared}\nContent-Transfer-Encoding: 8bit"
    )
    parsed = parse_email(eml(headers, text.encode(encoding)))
    assert parsed.text == text


def test_mislabelled_text_is_detected_and_reported():
    headers = f"{BASIC}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit"
    parsed = parse_email(
        eml(headers, "我的订单还没有到，已经等了一个星期了，请尽快处理".encode("gb18030"))
    )
    assert "订单" in parsed.text
    assert any("decoded as" in p for p in parsed.problems)


def test_unknown_charset_falls_back():
    headers = (
        f"{BASIC}\nContent-Type: text/plain; charset=x-made-up\nContent-Transfer-Encoding: 8bit"
    )
    parsed = parse_email(eml(headers, b"plain words"))
    assert parsed.text == "plain words"


MULTIPART = """
From: Li Wei <li@example.cn>
To: support@shop.example
Subject: photo
Message-ID: <m2@example.cn>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"
"""


def test_nested_multipart_with_attachments_and_inline_images():
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452")
    body = (
        "--outer\r\n"
        'Content-Type: multipart/related; boundary="rel"\r\n\r\n'
        "--rel\r\n"
        'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n商品坏了\r\n"
        "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        '<p>商品坏了 <img src="cid:photo1@x"></p>\r\n'
        "--alt--\r\n"
        "--rel\r\nContent-Type: image/png\r\nContent-ID: <photo1@x>\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(png).decode()}\r\n"
        "--rel--\r\n"
        "--outer\r\nContent-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename*=utf-8''%E5%8F%91%E7%A5%A8.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
        "--outer--\r\n"
    )
    parsed = parse_email(eml(MULTIPART, body))
    assert parsed.text == "商品坏了"
    assert 'src="cid:photo1@x"' in parsed.html
    inline, pdf = parsed.attachments
    assert inline.inline and inline.content_id == "photo1@x" and inline.content == png
    assert pdf.filename == "发票.pdf" and pdf.content.startswith(b"%PDF")
    assert not pdf.inline


def test_auto_replies_and_lists_are_marked():
    for header in (
        "Auto-Submitted: auto-replied",
        "Precedence: bulk",
        "X-Autoreply: yes",
        "List-Id: <news.example>",
        "Precedence: junk",
    ):
        assert parse_email(eml(f"{BASIC}\n{header}")).auto_submitted, header
    assert not parse_email(eml(f"{BASIC}\nAuto-Submitted: no")).auto_submitted


def test_delivery_status_notification_is_a_bounce():
    headers = (
        "From: MAILER-DAEMON@mx.example\nTo: support@shop.example\nSubject: Undelivered\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"'
    )
    body = (
        "--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; gone@example.com\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "--b--\r\n"
    )
    assert parse_email(eml(headers, body)).bounce


def test_too_many_parts_are_capped_not_fatal():
    parts = "".join(
        f"--b\r\nContent-Type: application/octet-stream\r\n\r\nx{i}\r\n"
        for i in range(MAX_PARTS + 50)
    )
    headers = f'{BASIC}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"'
    parsed = parse_email(eml(headers, parts + "--b--\r\n"))
    assert len(parsed.attachments) < MAX_PARTS
    assert any("parts" in p for p in parsed.problems)


def test_huge_header_is_flagged_and_kept_as_text():
    raw = b"X-Junk: " + b"a" * (200 * 1024) + b"\r\n\r\nbody"
    parsed = parse_email(raw)
    assert parsed.sender is None and parsed.problems
    assert len(parsed.content_hash) == 64


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_parse_or_flag_never_raise(raw):
    parsed = parse_email(raw)
    assert isinstance(parsed.text, str) and isinstance(parsed.problems, tuple)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"From: ",
                b"a@b.c",
                b"<",
                b">",
                b"\r\n",
                b"Content-Type: multipart/mixed; boundary=x",
                b"--x",
                b"=?utf-8?b?",
                b"?=",
                b"charset=gb2312",
                b"\xff\xfe",
                b"Subject: ",
                b"\r\n\r\n",
                b"Content-Transfer-Encoding: base64",
                b"Content-Transfer-Encoding: quoted-printable",
                b"=E5=8F",
                b"filename*=utf-8''%E5",
                b"Content-Disposition: attachment",
            ]
        ),
        max_size=60,
    )
)
def test_email_shaped_garbage_never_raises(chunks):
    parse_email(b"".join(chunks))


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        (
            "Thanks, it arrived!\n\nOn Sun, 22 Nov 2026 at 10:00, Jadran Fashion <s@shop.example> "
            "wrote:\n> Your parcel is on its way.",
            "Thanks, it arrived!",
        ),
        (
            "Thanks!\n\nOn Sun, 22 Nov 2026 at 10:00, Jadran Fashion\n<s@shop.example> wrote:\n> x",
            "Thanks!",
        ),
        (
            "收到了，谢谢！\n\n在 2026年11月22日 10:00，Voltway <s@shop.example> 写道：\n> 已发货",
            "收到了，谢谢！",
        ),
        (
            "Hvala, stiglo je.\n\nDana ned, 22. stu 2026. u 10:00 Jadran Fashion <s@shop.example> "
            "je napisao/la:\n> Paket je poslan.",
            "Hvala, stiglo je.",
        ),
        ("Hvala!\n\nAna Horvat je napisala:\n> pitanje", "Hvala!"),
        ("See below.\n\n-----Original Message-----\nFrom: Shop\nSent: Monday", "See below."),
        ("好的\n\n-----原始邮件-----\n发件人: 店铺", "好的"),
        (
            "Yes please.\n\nFrom: Jadran Fashion <s@shop.example>\nSent: Sunday\nTo: Ana\n\nOld",
            "Yes please.",
        ),
        ("My answer\n> quoted 1\n> quoted 2", "My answer"),
        ("Best regards\n-- \nAna Horvat\n+385 1 234", "Best regards"),
        ("No quote here.\nFrom: the bottom of my heart, thanks.", None),
    ],
)
def test_split_reply_in_three_languages(text, visible):
    new, quoted = split_reply(text)
    if visible is None:
        assert new == text and quoted == ""
    else:
        assert new == visible
        assert quoted and new + quoted != ""
        assert (
            text.replace("\n", "")
            .replace(" ", "")
            .endswith(quoted.replace("\n", "").replace(" ", ""))
        )
