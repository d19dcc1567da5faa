import pytest

from storedesk.core.html import sanitize_html

HOSTILE = [
    ("<script>alert(1)</script>ok", "script"),
    ('<img src=x onerror="alert(1)">', "onerror"),
    ("<svg><script>alert(1)</script></svg>", "<svg"),
    ('<svg onload="alert(1)"/>', "onload"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "avascript"),
    ('<img src="data:text/html;base64,PHNjcmlwdD4=">', "data:"),
    ('<div style="width: expression(alert(1))">x</div>', "expression"),
    ("<iframe src=https://evil.example></iframe>", "iframe"),
    ('<form action="https://evil.example"><input name=p></form>', "<form"),
    ("<style>body{display:none}</style>", "<style"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "refresh"),
    ('<object data="x.swf"></object>', "<object"),
    ('<base href="https://evil.example/">', "<base"),
]


@pytest.mark.parametrize(("html", "forbidden"), HOSTILE)
def test_hostile_html_is_neutralised(html, forbidden):
    assert forbidden.lower() not in sanitize_html(html).lower()


def test_links_get_noopener_and_text_survives():
    clean = sanitize_html('<p>Hi <b>Ana</b>, <a href="https://shop.example/o/1">order</a></p>')
    assert '<a href="https://shop.example/o/1" rel="noopener noreferrer">order</a>' in clean
    assert "<b>Ana</b>" in clean


def test_inline_cid_images_are_kept():
    assert 'src="cid:logo@shop"' in sanitize_html('<img src="cid:logo@shop" alt="logo">')


def test_cjk_and_croatian_text_is_untouched():
    text = "<p>您好，我的订单在哪里？ Gdje je moja narudžba? Čćžšđ</p>"
    assert sanitize_html(text) == text


def test_empty():
    assert sanitize_html("") == ""
