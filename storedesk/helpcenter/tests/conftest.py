import pytest

from storedesk.core.testing import StoreFactory, committed_events
from storedesk.helpcenter.services import article_save

ARTICLES = [
    # key, locale, title, body
    ("track-order", "en", "Track your order",
     "## Tracking number\nWe email you a tracking number when the parcel leaves our "
     "warehouse. Open the link to follow your delivery with GLS or DHL."),
    ("track-order", "hr", "Praćenje narudžbe",
     "## Broj za praćenje\nKad paket napusti skladište, šaljemo vam broj za praćenje. "
     "Pošiljku dostavlja GLS ili Hrvatska pošta."),
    ("track-order", "zh-hans", "跟踪您的订单",
     "## 快递单号\n包裹出库后，我们会通过电子邮件发送快递单号，您可以随时查询物流状态。"),
    ("return-policy", "en", "Returns within 30 days",
     "You can return most items within 30 days of delivery for a full refund. "
     "Items must be unused and in their original packaging."),
    ("return-policy", "hr", "Povrat robe u 30 dana",
     "Većinu proizvoda možete vratiti u roku od 30 dana od dostave uz puni povrat novca."),
    ("payment-methods", "en", "Payment methods",
     "We accept Visa, Mastercard, PayPal and bank transfer. In Croatia you can also pay "
     "cash on delivery. Plaćanje pouzećem is available for orders up to 300 EUR."),
    ("shipping-costs", "en", "Shipping costs",
     "Shipping within Croatia costs 3.50 EUR and is free from 50 EUR. EU countries: 7 EUR."),
    ("shipping-costs", "hr", "Troškovi dostave",
     "Dostava unutar Hrvatske stoji 3,50 EUR, a besplatna je za narudžbe od 50 EUR."),
    ("change-email", "hr", "Promjena adrese e-pošte",
     "Adresu e-pošte mijenjate u postavkama računa. Poslat ćemo vam poveznicu za potvrdu."),
    ("warranty", "en", "Warranty claims for electronics",
     "Every electronic product has a two-year warranty under EU law. If your kettle or "
     "blender stops working, send us the order number and a photo of the fault."),
]  # fmt: skip


@pytest.fixture
def help_store(db):
    return StoreFactory(
        name="Northwind", slug="northwind", supported_locales=["en", "hr", "zh-hans"]
    )


@pytest.fixture
def articles(help_store):
    with committed_events():
        for key, locale, title, body in ARTICLES:
            article_save(
                store=help_store, key=key, locale=locale, title=title, body=body, publish=True
            )
    return help_store
