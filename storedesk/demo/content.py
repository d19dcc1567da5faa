"""The words of the demo: customer names and the message templates of every topic.

Languages are keyed by the codes storedesk uses (``en``, ``hr``, ``zh-hans``). Templates use
``str.format`` placeholders: ``{order}``, ``{item}``, ``{amount}``, ``{carrier}``,
``{tracking}``, ``{tracking_url}``, ``{placed}`` (order date), ``{days}``.
A field ending in ``@<catalogue>`` is used instead of the plain field for that catalogue.
"""

from __future__ import annotations

EN, HR, ZH = "en", "hr", "zh-hans"
LANGUAGES = (EN, HR, ZH)

# --- Names ----------------------------------------------------------------------------------

EN_FIRST_NAMES = (
    "Emma", "Olivia", "Ava", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Harper",
    "Evelyn", "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas",
    "Henry", "Theodore", "Jack", "George", "Oscar", "Harry", "Grace", "Chloe", "Lily", "Ella",
    "Ruby", "Daniel", "Samuel", "Thomas", "Hannah", "Emily", "Jessica", "Michael", "David",
    "Rachel", "Laura", "Nathan",
)  # fmt: skip
EN_LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
    "Anderson", "Thomas", "Moore", "Martin", "Jackson", "White", "Harris", "Clark", "Lewis",
    "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
    "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
    "Edwards", "Collins", "Stewart", "Morris",
)  # fmt: skip
HR_FIRST_NAMES = (
    "Ivan", "Marko", "Luka", "Josip", "Tomislav", "Ante", "Nikola", "Filip", "Matej", "Petar",
    "Karlo", "Domagoj", "Hrvoje", "Dario", "Kristijan", "Ana", "Ivana", "Marija", "Petra",
    "Lucija", "Katarina", "Martina", "Maja", "Nikolina", "Lana", "Ema", "Mia", "Sara", "Tena",
    "Dora",
)  # fmt: skip
HR_LAST_NAMES = (
    "Horvat", "Kovačević", "Babić", "Marić", "Jurić", "Novak", "Kovačić", "Knežević",
    "Vuković", "Marković", "Petrović", "Matić", "Tomić", "Pavlović", "Božić", "Blažević",
    "Grgić", "Perić", "Pavić", "Radić", "Šarić", "Lovrić", "Vidović", "Bošnjak", "Perković",
    "Mandić", "Đurić", "Zorić", "Barišić", "Jukić",
)  # fmt: skip
# (characters, pinyin): the pinyin spells the email address.
ZH_SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"),
    ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"),
)  # fmt: skip
ZH_GIVEN_NAMES = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("秀英", "xiuying"), ("华", "hua"), ("平", "ping"), ("刚", "gang"),
    ("桂英", "guiying"), ("浩然", "haoran"), ("子涵", "zihan"), ("欣怡", "xinyi"),
    ("宇轩", "yuxuan"), ("梓萱", "zixuan"), ("俊杰", "junjie"), ("雨桐", "yutong"),
    ("思远", "siyuan"),
)  # fmt: skip
EMAIL_DOMAINS = {
    EN: ("example.com", "example.org", "example.net"),
    HR: ("example.hr", "example.hr", "example.com"),
    ZH: ("example.cn", "example.cn", "example.com"),
}
HR_MONTHS = (
    "siječnja", "veljače", "ožujka", "travnja", "svibnja", "lipnja", "srpnja", "kolovoza",
    "rujna", "listopada", "studenoga", "prosinca",
)  # fmt: skip
EN_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

# --- Phrases shared by every topic -----------------------------------------------------------

GENERIC: dict[str, dict[str, tuple[str, ...]]] = {
    EN: {
        "greeting": ("Hi {first},", "Hello {first},"),
        "signoff": ("Best regards,\n{agent}\n{store}", "Kind regards,\n{agent}\n{store}"),
        "thanks": (
            "Thank you, that helps!",
            "Great, thanks for the quick answer.",
            "Perfect, thank you!",
            "Thanks a lot, all good now.",
        ),
        "nudge": (
            "Hello? Is anyone there?",
            "Any news on this?",
            "I'm still waiting for an answer.",
        ),
        "stale_close": (
            "We haven't heard back from you, so I'll close this for now. Just reply to this "
            "message if you still need help.",
        ),
        "snooze": (
            "I've asked our logistics team to look into this. I'll get back to you within "
            "{days} days with an update.",
        ),
        "repeat": ("I already contacted you about this a few days ago.",),
        "repeat_subject": ("Again: {subject}",),
        # A quick extra question and its answer (paired by position).
        "follow_up": (
            "One more thing - will I get a confirmation by email?",
            "Can I use the discount code from your newsletter on my next order?",
            "Do I need to do anything else on my side?",
        ),
        "follow_up_reply": (
            "Yes, you'll receive a confirmation email within the next hour.",
            "Yes, the newsletter code works on your next order - just enter it at checkout.",
            "No, nothing else is needed - we'll take it from here.",
        ),
    },
    HR: {
        "greeting": ("Dobar dan,", "Pozdrav,"),
        "signoff": ("Lijep pozdrav,\n{agent}\n{store}", "Srdačan pozdrav,\n{agent}\n{store}"),
        "thanks": (
            "Hvala, to pomaže!",
            "Super, hvala na brzom odgovoru.",
            "Savršeno, hvala vam!",
            "Hvala puno, sada je sve u redu.",
        ),
        "nudge": ("Ima li koga?", "Ima li novosti?", "Još uvijek čekam odgovor."),
        "stale_close": (
            "Budući da se niste javili, zatvaramo ovaj upit. Ako vam i dalje treba pomoć, "
            "samo odgovorite na ovu poruku.",
        ),
        "snooze": (
            "Zamolili smo naš logistički tim da to provjeri. Javit ćemo vam se u roku od "
            "{days} dana s novostima.",
        ),
        "repeat": ("Već smo se čuli oko ovoga prije nekoliko dana.",),
        "repeat_subject": ("Ponovno: {subject}",),
        "follow_up": (
            "Još nešto - hoću li dobiti potvrdu e-poštom?",
            "Mogu li pri sljedećoj narudžbi iskoristiti kod za popust iz newslettera?",
            "Trebam li još nešto napraviti sa svoje strane?",
        ),
        "follow_up_reply": (
            "Da, potvrdu ćete dobiti e-poštom u sljedećih sat vremena.",
            "Da, kod za popust iz newslettera možete iskoristiti pri sljedećoj narudžbi - samo "
            "ga upišite na blagajni.",
            "Ne, ništa više nije potrebno - ostalo rješavamo mi.",
        ),
    },
    ZH: {
        "greeting": ("{name}您好，", "{name}，您好！"),
        "signoff": ("祝好！\n{agent}\n{store}", "此致\n{agent}\n{store}"),
        "thanks": ("好的，谢谢！", "太好了，谢谢你们这么快回复。", "明白了，非常感谢！"),
        "nudge": ("有人在吗？", "请问有进展吗？", "还在等回复。"),
        "stale_close": (
            "由于一直没有收到您的回复，我们先关闭此咨询。如仍需帮助，直接回复本消息即可。",
        ),
        "snooze": ("我们已请物流团队核查，{days} 天内会给您回复最新进展。",),
        "repeat": ("几天前我已经咨询过这个问题了。",),
        "repeat_subject": ("再次咨询：{subject}",),
        "follow_up": (
            "还有一个问题，我会收到邮件确认吗？",
            "下次下单可以用你们邮件里的优惠码吗？",
            "我这边还需要做什么吗？",
        ),
        "follow_up_reply": (
            "会的，一小时内您会收到确认邮件。",
            "可以的，下次结账时输入优惠码即可。",
            "不需要了，剩下的交给我们处理。",
        ),
    },
}

# --- Topics ----------------------------------------------------------------------------------
# Fields: subject, open (first line is the summary), ask (agent asks for details), info (the
# customer's answer), solve, solve_unshipped (the order has not left the warehouse),
# solve_shipped (too late to cancel), reopen (the customer writes again), reopen_reply.

TEXTS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    EN: {
        "where_is_order": {
            "subject": ("Where is my order {order}?", "Order {order} status"),
            "open": (
                "Where is my order {order}?\nI placed it on {placed} and haven't received "
                "anything yet. Can you tell me when it will arrive?",
                "Order {order} - any update?\nHi, I'm still waiting for my {item}. Could you "
                "check where the parcel is?",
            ),
            "solve": (
                "Your order {order} was handed to {carrier} and is on its way. You can follow "
                "it here: {tracking_url}\nIt usually arrives within 2-4 working days.",
            ),
            "solve_unshipped": (
                "Your order {order} is paid and being packed in our warehouse right now. It "
                "will ship within 1-2 working days and you'll get the tracking link by email.",
            ),
            "reopen": (
                "The tracking page hasn't changed for three days. Is the parcel lost?",
                "It still hasn't arrived, and the tracking link shows nothing new.",
            ),
            "reopen_reply": (
                "I've contacted the carrier and opened a trace for your parcel. If it doesn't "
                "move by Friday, we'll send you a new one free of charge.",
            ),
        },
        "delivery_delay": {
            "subject": ("Delivery delay - order {order}", "Still no parcel after {days} days"),
            "open": (
                "Order {order} is late and nobody answers\nI ordered {days} days ago and the "
                "parcel still isn't here. This is really disappointing, I need it this weekend.",
                "Very unhappy with the delivery time\nMy order {order} was supposed to arrive "
                "last week. What is going on?",
            ),
            "solve": (
                "I'm sorry for the wait. I checked with {carrier}: the parcel ({tracking}) was "
                "held up at their sorting centre and is out for delivery today. As an apology "
                "we've added a 10% voucher to your account.",
            ),
            "solve_unshipped": (
                "I'm sorry - order {order} was held back because one item was out of stock. "
                "It's back in stock and your order ships today; we've upgraded it to express "
                "delivery at no cost.",
            ),
            "reopen": ("It still hasn't arrived. I want a refund if it's not here tomorrow.",),
            "reopen_reply": (
                "I completely understand. I've opened a claim with the carrier; if the parcel "
                "isn't delivered within 2 working days, we'll refund you in full or send a new "
                "one, whichever you prefer.",
            ),
        },
        "refund_request": {
            "subject": ("Refund for order {order}", "Return and refund"),
            "open": (
                "I'd like a refund for order {order}\nThe {item} isn't right for me. How do I "
                "return it and get my money back?",
                "Refund request - {order}\nI sent the {item} back last week. When will I get "
                "the refund?",
            ),
            "ask": (
                "Of course. Could you tell us why you're returning it, and whether the item is "
                "unused and in its original packaging? Then I'll send you the return label.",
            ),
            "info": (
                "Yes, it's unused and still in the box. It's just not what I expected.",
                "The quality isn't what I hoped for. Everything is in the original packaging.",
            ),
            "solve": (
                "Thanks! I've approved the return for order {order}. The refund of {amount} "
                "goes back to your original payment method within 5-7 working days after the "
                "parcel reaches our warehouse.",
            ),
            "reopen": ("It's been over a week and I still don't see the refund on my card.",),
            "reopen_reply": (
                "I checked: the refund of {amount} was sent on our side. Banks can take up to "
                "10 working days to show it; I've added the transaction reference to your order "
                "so your bank can trace it.",
            ),
        },
        "wrong_size": {
            "subject": ("Exchange for a different size", "Wrong size - order {order}"),
            "open": (
                "I need a different size\nThe {item} from order {order} is too small. Can I "
                "exchange it for one size up?",
                "Wrong size delivered\nI ordered size M but the {item} in order {order} is "
                "labelled S.",
            ),
            "ask": (
                "No problem! Which size would you like instead? I'll check our stock and send "
                "you a prepaid exchange label.",
            ),
            "info": ("Size L, please.", "M would be perfect, thanks."),
            "solve": (
                "Done - the new size is reserved for you and the exchange label is in your "
                "inbox. As soon as the courier picks up the original item, we'll ship the "
                "replacement.",
            ),
            "reopen": (
                "The courier picked up the parcel on Monday but the new size hasn't arrived.",
            ),
            "reopen_reply": (
                "Sorry about that - the replacement left our warehouse this morning. The "
                "tracking link follows by email.",
            ),
        },
        "damaged_item": {
            "subject": ("Item arrived damaged", "Damaged parcel - order {order}"),
            "open": (
                "My {item} arrived damaged\nThe parcel from order {order} was crushed and the "
                "{item} is damaged. I'm really disappointed.",
                "Damaged delivery\nThe box was open when it arrived and the {item} from order "
                "{order} is damaged.",
            ),
            "ask": (
                "I'm really sorry to hear that. Could you send us a photo of the item and the "
                "packaging? It helps us file the claim with the carrier.",
            ),
            "info": (
                "Here are the photos. You can clearly see the damage on the side.",
                "I've sent the photos through the form. The box was open on delivery.",
            ),
            "solve": (
                "Thank you for the photos. We've sent you a replacement {item} free of charge; "
                "you don't need to return the damaged one.",
                "Thanks - I've issued a full refund of {amount} for the damaged item. You'll "
                "see it within 5-7 working days.",
            ),
            "reopen": ("The replacement arrived damaged as well. This is the second time!",),
            "reopen_reply": (
                "I'm so sorry. I've issued a full refund of {amount} and flagged your address "
                "for extra padding on future orders.",
            ),
        },
        "payment_failed": {
            "subject": ("Payment failed", "Card declined but money taken"),
            "open": (
                "My payment failed at checkout\nI tried to pay three times and it keeps saying "
                "the payment was declined, but my bank says the card is fine.",
                "Charged but no order confirmation\nThe payment failed on your site, but the "
                "amount was reserved on my card.",
            ),
            "ask": (
                "Sorry for the trouble. Which payment method did you use, and roughly when did "
                "you try? Then I can look up the attempt with our payment provider.",
            ),
            "info": ("Visa card, around 8 pm yesterday.", "PayPal, about an hour ago."),
            "solve": (
                "I found the attempts: the bank's 3-D Secure check timed out, so the payment "
                "was never completed. The reservation on your card is released automatically "
                "within a few days. Please try again - it should work now.",
            ),
            "reopen": ("I tried again and it failed again with the same error.",),
            "reopen_reply": (
                "Thanks for trying again. I've created the order for you manually and sent a "
                "secure payment link by email, which avoids the checkout problem.",
            ),
        },
        "cancel_order": {
            "subject": ("Cancel order {order}", "Please cancel my order"),
            "open": (
                "Please cancel order {order}\nI ordered the wrong item by mistake. Can you "
                "cancel it before it ships?",
                "Cancel my order {order}\nI found it cheaper elsewhere, sorry. Please cancel "
                "and refund.",
            ),
            "solve": (
                "Order {order} is cancelled and the full amount of {amount} will be refunded to "
                "your original payment method within 3-5 working days.",
            ),
            "solve_shipped": (
                "Order {order} had already shipped, so we can't cancel it any more - but you "
                "can refuse the delivery or send it back free of charge within 30 days and "
                "we'll refund you.",
            ),
            "reopen": ("I just got an email saying my order was shipped anyway?!",),
            "reopen_reply": (
                "Sorry for the confusion - that email went out automatically before the "
                "cancellation was processed. The parcel was stopped and your refund is on its "
                "way.",
            ),
        },
        "invoice_request": {
            "subject": ("Invoice for order {order}", "Company invoice needed"),
            "open": (
                "Could I get an invoice for order {order}?\nI need an invoice with my company "
                "details for our accounts.",
                "Invoice for order {order}\nThere was no invoice in the parcel. Could you email "
                "it to me?",
            ),
            "ask": (
                "Sure! Please send us the company name, address and VAT number you'd like on "
                "the invoice.",
            ),
            "info": (
                "Northfield Studio Ltd, 12 Harbour Street, Bristol BS1 4QA, VAT GB123456789.",
                "Example Trading LLC, 500 Market Street, San Francisco, CA 94105.",
            ),
            "solve": (
                "Here you go: the invoice for order {order} is in your account under Orders > "
                "Invoices, and I've also sent it to you by email.",
            ),
            "reopen": ("The VAT number on the invoice is wrong, could you correct it?",),
            "reopen_reply": (
                "Apologies - I've corrected the VAT number and sent you the updated invoice.",
            ),
        },
        "product_question": {
            "subject": ("Question about the {item}", "Product question: {item}"),
            "open@fashion": (
                "Does the {item} run true to size?\nI'm usually between M and L. Which size "
                "would you recommend?",
                "Care instructions for the {item}\nCan the {item} be washed at 40 degrees?",
            ),
            "solve@fashion": (
                "The {item} is true to size. If you're between two sizes, we recommend the "
                "larger one; the size chart is on the product page.",
                "Yes, it can be washed at 40 degrees on a gentle cycle. We don't recommend the "
                "tumble dryer.",
            ),
            "open@electronics": (
                "Is the {item} in stock?\nThe product page says 'limited stock'. If I order "
                "today, will it ship this week?",
                "Warranty for the {item}\nHow long is the warranty on the {item}, and does it "
                "cover defects after the first year?",
            ),
            "solve@electronics": (
                "Yes, the {item} is in stock - orders placed today leave our warehouse tomorrow.",
                "The {item} comes with a two-year warranty covering all manufacturing defects; "
                "within that period just contact us and we'll take care of it.",
            ),
            "reopen": (
                "One more question - can the {item} be returned within 30 days if it doesn't "
                "suit me?",
            ),
            "reopen_reply": (
                "Yes - every item can be returned within 30 days, no questions asked.",
            ),
        },
        "address_change": {
            "subject": ("Change the delivery address - {order}", "Wrong address on my order"),
            "open": (
                "I need to change the delivery address for order {order}\nI entered my old "
                "address by mistake.",
                "Wrong address on order {order}\nThe flat number is missing from the address. "
                "Could you fix it before it ships?",
            ),
            "ask": (
                "Of course. Please send the full new address, including the postcode, and I'll "
                "update it before the order ships.",
            ),
            "info": (
                "New address: 27 Elm Road, Leeds LS6 2AB.",
                "Flat 4, 15 Mill Lane, Cambridge CB2 1RX.",
            ),
            "solve": (
                "Done - order {order} will now be delivered to the new address. You'll see it "
                "in the shipping confirmation.",
            ),
            "reopen": ("The tracking page still shows my old address, is that right?",),
            "reopen_reply": (
                "Yes, that's just the label data; the carrier has the corrected address in "
                "their system.",
            ),
        },
    },
    HR: {
        "where_is_order": {
            "subject": ("Gdje je moja narudžba {order}?", "Status narudžbe {order}"),
            "open": (
                "Gdje je moja narudžba {order}?\nNarudžba je napravljena {placed}, a paket još "
                "nije stigao. Možete li mi reći kada će stići?",
                "Narudžba {order} - ima li novosti?\nPozdrav, još uvijek čekam artikl {item}. "
                "Možete li provjeriti gdje je paket?",
            ),
            "solve": (
                "Vaša narudžba {order} predana je dostavnoj službi {carrier} i na putu je. "
                "Pošiljku možete pratiti ovdje: {tracking_url}\nDostava obično traje 2-4 radna "
                "dana.",
            ),
            "solve_unshipped": (
                "Vaša narudžba {order} je plaćena i upravo se pakira u našem skladištu. Bit će "
                "poslana u roku od 1-2 radna dana, a poveznicu za praćenje dobit ćete e-poštom.",
            ),
            "reopen": (
                "Stranica za praćenje se ne mijenja već tri dana. Je li paket izgubljen?",
                "Paket još uvijek nije stigao, a praćenje ne pokazuje ništa novo.",
            ),
            "reopen_reply": (
                "Kontaktirali smo dostavnu službu i pokrenuli potragu za paketom. Ako se "
                "pošiljka ne pomakne do petka, šaljemo vam novu bez naknade.",
            ),
        },
        "delivery_delay": {
            "subject": (
                "Kašnjenje dostave - narudžba {order}",
                "Paket nije stigao ni nakon {days} dana",
            ),
            "open": (
                "Narudžba {order} kasni, a nitko ne odgovara\nNarudžba je napravljena prije "
                "{days} dana, a paketa još nema. Ovo je stvarno razočaravajuće, a paket mi "
                "treba za vikend.",
                "Jako nezadovoljstvo rokom dostave\nNarudžba {order} trebala je stići prošli "
                "tjedan. Što se događa?",
            ),
            "solve": (
                "Ispričavamo se zbog čekanja. Provjerili smo s dostavnom službom {carrier}: "
                "pošiljka ({tracking}) bila je zadržana u sortirnom centru i danas je na "
                "dostavi. Kao ispriku dodali smo vam kupon od 10 % na korisnički račun.",
            ),
            "solve_unshipped": (
                "Ispričavamo se - narudžba {order} bila je zadržana jer jedan artikl nije bio "
                "na zalihi. Artikl je ponovno dostupan i narudžba danas kreće, a dostavu smo "
                "besplatno nadogradili na ekspresnu.",
            ),
            "reopen": (
                "Paket još uvijek nije stigao. Ako ne stigne do sutra, želim povrat novca.",
            ),
            "reopen_reply": (
                "Potpuno razumijemo. Otvorili smo reklamaciju kod dostavne službe; ako paket "
                "ne bude dostavljen u 2 radna dana, vratit ćemo vam cijeli iznos ili poslati "
                "novu pošiljku, kako vam više odgovara.",
            ),
        },
        "refund_request": {
            "subject": ("Povrat novca za narudžbu {order}", "Povrat artikla i novca"),
            "open": (
                "Želim povrat novca za narudžbu {order}\nArtikl {item} mi ne odgovara. Kako ga "
                "mogu vratiti i dobiti novac natrag?",
                "Zahtjev za povrat - {order}\nArtikl {item} poslan je natrag prošli tjedan. "
                "Kada mogu očekivati povrat novca?",
            ),
            "ask": (
                "Naravno. Možete li nam reći razlog povrata te je li artikl nekorišten i u "
                "originalnom pakiranju? Zatim vam šaljemo naljepnicu za povrat.",
            ),
            "info": (
                "Da, nekorišten je i još je u kutiji. Jednostavno mi se ne sviđa.",
                "Kvaliteta nije kao na slikama. Sve je u originalnom pakiranju.",
            ),
            "solve": (
                "Hvala! Odobrili smo povrat za narudžbu {order}. Iznos od {amount} bit će "
                "vraćen na izvorni način plaćanja u roku od 5-7 radnih dana nakon što paket "
                "stigne u naše skladište.",
            ),
            "reopen": ("Prošlo je više od tjedan dana, a povrat novca još ne vidim na kartici.",),
            "reopen_reply": (
                "Provjerili smo: povrat od {amount} poslan je s naše strane. Bankama ponekad "
                "treba do 10 radnih dana; referencu transakcije dodali smo uz narudžbu kako bi "
                "je vaša banka mogla pronaći.",
            ),
        },
        "wrong_size": {
            "subject": ("Zamjena za drugu veličinu", "Kriva veličina - narudžba {order}"),
            "open": (
                "Trebam drugu veličinu\nArtikl {item} iz narudžbe {order} je premalen. Mogu li "
                "ga zamijeniti za broj veći?",
                "Stigla je kriva veličina\nNaručena je veličina M, a artikl {item} u narudžbi "
                "{order} označen je kao S.",
            ),
            "ask": (
                "Nema problema! Koju veličinu želite umjesto toga? Provjerit ćemo zalihu i "
                "poslati vam unaprijed plaćenu naljepnicu za zamjenu.",
            ),
            "info": ("Veličinu L, molim.", "M bi bio savršen, hvala."),
            "solve": (
                "Gotovo - nova veličina rezervirana je za vas, a naljepnica za zamjenu poslana "
                "je e-poštom. Čim kurir preuzme originalni artikl, šaljemo zamjenu.",
            ),
            "reopen": ("Kurir je preuzeo paket u ponedjeljak, ali nova veličina još nije stigla.",),
            "reopen_reply": (
                "Ispričavamo se - zamjena je jutros krenula iz našeg skladišta. Broj za "
                "praćenje stiže e-poštom.",
            ),
        },
        "damaged_item": {
            "subject": ("Artikl je stigao oštećen", "Oštećen paket - narudžba {order}"),
            "open": (
                "Artikl {item} stigao je oštećen\nPaket iz narudžbe {order} stigao je "
                "zgnječen, a artikl je oštećen. Ovo je stvarno razočaravajuće.",
                "Oštećena pošiljka\nKutija je bila otvorena, a artikl {item} iz narudžbe "
                "{order} je oštećen.",
            ),
            "ask": (
                "Jako nam je žao. Možete li nam poslati fotografiju artikla i ambalaže? To nam "
                "pomaže pri reklamaciji prema dostavnoj službi.",
            ),
            "info": (
                "Evo fotografija. Oštećenje se jasno vidi sa strane.",
                "Fotografije su poslane preko obrasca. Kutija je bila otvorena pri dostavi.",
            ),
            "solve": (
                "Hvala na fotografijama. Besplatno smo vam poslali zamjenski artikl ({item}); "
                "oštećeni ne morate vraćati.",
                "Hvala - odobrili smo puni povrat od {amount} za oštećeni artikl. Iznos ćete "
                "vidjeti u roku od 5-7 radnih dana.",
            ),
            "reopen": ("I zamjenski artikl stigao je oštećen. Ovo je već drugi put!",),
            "reopen_reply": (
                "Iskreno nam je žao. Odobrili smo puni povrat od {amount} i označili vašu "
                "adresu za dodatnu zaštitu pri pakiranju budućih narudžbi.",
            ),
        },
        "payment_failed": {
            "subject": ("Plaćanje nije uspjelo", "Kartica odbijena, a novac rezerviran"),
            "open": (
                "Plaćanje nije uspjelo\nTri puta pokušavam platiti i svaki put piše da je "
                "plaćanje odbijeno, a banka kaže da je kartica u redu.",
                "Novac rezerviran, a narudžbe nema\nPlaćanje na vašoj stranici nije uspjelo, "
                "ali iznos je rezerviran na kartici.",
            ),
            "ask": (
                "Ispričavamo se zbog neugodnosti. Kojim ste načinom plaćali i otprilike u "
                "koliko sati? Tako možemo pronaći pokušaj kod pružatelja usluge plaćanja.",
            ),
            "info": (
                "Visa karticom, jučer oko 20 sati.",
                "Preko PayPala, prije otprilike sat vremena.",
            ),
            "solve": (
                "Pronašli smo pokušaje: 3-D Secure provjera kod banke je istekla pa plaćanje "
                "nije dovršeno. Rezervacija na kartici automatski će se osloboditi u nekoliko "
                "dana. Molimo pokušajte ponovno - sada bi trebalo raditi.",
            ),
            "reopen": ("Ponovni pokušaj opet javlja istu grešku.",),
            "reopen_reply": (
                "Hvala što ste pokušali ponovno. Narudžbu smo izradili ručno i poslali vam "
                "sigurnu poveznicu za plaćanje e-poštom - tako se zaobilazi problem na "
                "blagajni.",
            ),
        },
        "cancel_order": {
            "subject": ("Otkazivanje narudžbe {order}", "Molim otkazati narudžbu"),
            "open": (
                "Molim otkažite narudžbu {order}\nGreškom je naručen krivi artikl. Možete li "
                "otkazati prije slanja?",
                "Otkazivanje narudžbe {order}\nIsti artikl pronađen je jeftinije drugdje, "
                "oprostite. Molim otkazivanje i povrat novca.",
            ),
            "solve": (
                "Narudžba {order} je otkazana, a puni iznos od {amount} bit će vraćen na "
                "izvorni način plaćanja u roku od 3-5 radnih dana.",
            ),
            "solve_shipped": (
                "Narudžba {order} je već poslana pa je više ne možemo otkazati - no možete "
                "odbiti preuzimanje ili je besplatno vratiti u roku od 30 dana i vratit ćemo "
                "vam novac.",
            ),
            "reopen": ("Upravo je stigla poruka da je narudžba ipak poslana?!",),
            "reopen_reply": (
                "Ispričavamo se zbog zabune - ta je poruka poslana automatski prije nego što je "
                "otkazivanje provedeno. Paket je zaustavljen, a povrat novca je na putu.",
            ),
        },
        "invoice_request": {
            "subject": ("R1 račun za narudžbu {order}", "Potreban račun za tvrtku"),
            "open": (
                "Mogu li dobiti R1 račun za narudžbu {order}?\nTreba mi račun s podacima tvrtke "
                "za knjigovodstvo.",
                "Račun za narudžbu {order}\nRačun nije stigao uz paket. Možete li ga poslati "
                "e-poštom?",
            ),
            "ask": (
                "Naravno! Pošaljite nam naziv tvrtke, adresu i OIB koji trebaju biti na računu.",
            ),
            "info": (
                "Primjer d.o.o., Ilica 10, 10000 Zagreb, OIB 12345678903.",
                "Obrt Jadranka, Riva 5, 51000 Rijeka, OIB 98765432106.",
            ),
            "solve": (
                "Izvolite: račun za narudžbu {order} dostupan je u vašem korisničkom računu pod "
                "Narudžbe > Računi, a poslali smo vam ga i e-poštom.",
            ),
            "reopen": ("OIB na računu nije točan, možete li ga ispraviti?",),
            "reopen_reply": ("Ispričavamo se - ispravili smo OIB i poslali vam novi račun.",),
        },
        "product_question": {
            "subject": ("Pitanje o artiklu {item}", "Upit o proizvodu: {item}"),
            "open@fashion": (
                "Odgovara li {item} standardnoj veličini?\nObično nosim između M i L. Koju "
                "veličinu preporučujete?",
                "Održavanje artikla {item}\nMože li se artikl {item} prati na 40 °C?",
            ),
            "solve@fashion": (
                "Artikl {item} odgovara standardnoj veličini. Ako ste između dvije veličine, "
                "preporučujemo veću; tablicu veličina pronaći ćete na stranici proizvoda.",
                "Da, može se prati na 40 °C na nježnom programu. Sušenje u sušilici ne "
                "preporučujemo.",
            ),
            "reopen": (
                "Još jedno pitanje - može li se artikl {item} vratiti u roku od 30 dana ako "
                "mi ne odgovara?",
            ),
            "reopen_reply": (
                "Da - svaki artikl možete vratiti u roku od 30 dana bez navođenja razloga.",
            ),
        },
        "address_change": {
            "subject": ("Promjena adrese dostave - {order}", "Kriva adresa na narudžbi"),
            "open": (
                "Trebam promijeniti adresu dostave za narudžbu {order}\nGreškom je upisana "
                "stara adresa.",
                "Kriva adresa na narudžbi {order}\nU adresi nedostaje broj stana. Možete li je "
                "ispraviti prije slanja?",
            ),
            "ask": (
                "Naravno. Pošaljite nam punu novu adresu s poštanskim brojem i ažurirat ćemo je "
                "prije slanja narudžbe.",
            ),
            "info": (
                "Nova adresa: Vukovarska 58, 21000 Split.",
                "Savska cesta 41, stan 12, 10000 Zagreb.",
            ),
            "solve": (
                "Gotovo - narudžba {order} bit će dostavljena na novu adresu. Vidjet ćete je u "
                "potvrdi o slanju.",
            ),
            "reopen": ("Praćenje još uvijek prikazuje staru adresu, je li to u redu?",),
            "reopen_reply": (
                "Da, to su samo podaci s naljepnice; dostavna služba u svom sustavu ima "
                "ispravljenu adresu.",
            ),
        },
    },
    ZH: {
        "where_is_order": {
            "subject": ("我的订单 {order} 到哪里了？", "订单 {order} 物流查询"),
            "open": (
                "我的订单 {order} 到哪里了？\n我在{placed}下的单，到现在还没有收到。"
                "请问什么时候能到？",
                "订单 {order} 有更新吗？\n您好，我还在等我的 {item}，"
                "能帮我查一下包裹现在在哪里吗？",
            ),
            "solve": (
                "您的订单 {order} 已交由 {carrier} 配送，正在运输途中。"
                "您可以在这里查看物流：{tracking_url}\n一般 2-4 个工作日内送达。",
            ),
            "solve_unshipped": (
                "您的订单 {order} 已付款，仓库正在打包，预计 1-2 个工作日内发货，"
                "发货后物流链接会通过邮件发送给您。",
            ),
            "reopen": (
                "物流信息已经三天没有更新了，包裹是不是丢了？",
                "还是没收到，物流链接也没有任何新信息。",
            ),
            "reopen_reply": (
                "我们已联系快递公司并发起包裹查询。如果到周五物流仍无更新，我们将免费为您补发。",
            ),
        },
        "delivery_delay": {
            "subject": ("订单 {order} 配送延误", "下单 {days} 天了还没收到"),
            "open": (
                "订单 {order} 延误，一直没人回复\n我 {days} 天前下的单，包裹到现在还没到，"
                "实在太让人失望了，我周末就要用。",
                "对配送时间非常不满\n订单 {order} 本应上周送到，到底怎么回事？",
            ),
            "solve": (
                "非常抱歉让您久等。我们已与 {carrier} 核实：包裹（{tracking}）"
                "在分拣中心滞留，今天已安排派送。作为歉意，"
                "我们已在您的账户中添加了一张九折优惠券。",
            ),
            "solve_unshipped": (
                "非常抱歉，订单 {order} 因其中一件商品缺货而延迟。该商品现已补货，"
                "今天发出，并已免费为您升级为加急配送。",
            ),
            "reopen": ("还是没到。如果明天还不到，我要求退款。",),
            "reopen_reply": (
                "完全理解您的心情。我们已向快递公司提交索赔；如果 2 个工作日内仍未送达，"
                "我们将为您全额退款或重新发货，由您选择。",
            ),
        },
        "refund_request": {
            "subject": ("订单 {order} 退款", "退货退款申请"),
            "open": (
                "我想申请订单 {order} 的退款\n{item} 不太适合我，请问怎么退货退款？",
                "退款申请 - {order}\n我上周已经把 {item} 寄回去了，什么时候能收到退款？",
            ),
            "ask": (
                "当然可以。请问退货原因是什么？商品是否未使用且保留原包装？"
                "确认后我们会发送退货面单给您。",
            ),
            "info": (
                "是的，没用过，还在盒子里。只是和我想的不一样。",
                "质量不如预期，包装都是完好的。",
            ),
            "solve": (
                "谢谢！我们已批准订单 {order} 的退货。包裹到达仓库后，"
                "{amount} 将在 5-7 个工作日内原路退回。",
            ),
            "reopen": ("已经过去一个多星期了，我的卡上还是没有看到退款。",),
            "reopen_reply": (
                "我们查了一下：{amount} 的退款已经从我们这边发出。银行入账有时需要最多 "
                "10 个工作日，我们已将交易参考号记录在订单中，方便银行查询。",
            ),
        },
        "damaged_item": {
            "subject": ("商品到货破损", "包裹破损 - 订单 {order}"),
            "open": (
                "我的 {item} 到货时已损坏\n订单 {order} 的包裹被压坏了，{item} 也坏了，非常失望。",
                "收到的包裹有破损\n盒子是开着的，订单 {order} 里的 {item} 有明显损坏。",
            ),
            "ask": (
                "非常抱歉听到这个消息。能否发一张商品和外包装的照片给我们？"
                "这样我们可以向快递公司提出索赔。",
            ),
            "info": (
                "照片发给你们了，侧面的损坏很明显。",
                "已经通过表单上传照片了，送到的时候盒子就是开的。",
            ),
            "solve": (
                "谢谢您提供的照片。我们已免费为您补发一件新的 {item}，损坏的商品无需寄回。",
                "谢谢，我们已为破损商品全额退款 {amount}，预计 5-7 个工作日到账。",
            ),
            "reopen": ("补发的商品到货又是坏的，这已经是第二次了！",),
            "reopen_reply": (
                "真的非常抱歉。我们已为您全额退款 {amount}，并为您的地址标注了加强包装，"
                "以后的订单都会额外保护。",
            ),
        },
        "payment_failed": {
            "subject": ("支付失败", "银行卡被拒但已扣款"),
            "open": (
                "结账时支付失败\n我试了三次都提示支付被拒绝，但银行说我的卡没有问题。",
                "已扣款但没有订单确认\n网站上显示支付失败，但卡上的金额已经被冻结了。",
            ),
            "ask": (
                "给您带来不便非常抱歉。请问您使用的是哪种支付方式，大概是什么时间尝试支付的？"
                "我们好向支付服务商查询。",
            ),
            "info": ("支付宝，昨天晚上 8 点左右。", "用的银联卡，大概一个小时前。"),
            "solve": (
                "我们查到了支付记录：银行的安全验证超时，所以支付没有完成。"
                "卡上冻结的金额会在几天内自动解冻。请您再试一次，现在应该可以正常支付了。",
            ),
            "reopen": ("我又试了一次，还是同样的错误。",),
            "reopen_reply": (
                "感谢您再次尝试。我们已为您手动创建订单，并通过邮件发送了安全支付链接，"
                "可以绕过结账页面的问题。",
            ),
        },
        "cancel_order": {
            "subject": ("取消订单 {order}", "请帮我取消订单"),
            "open": (
                "请取消订单 {order}\n我不小心买错了，能在发货前取消吗？",
                "取消我的订单 {order}\n不好意思，我在别处找到更便宜的了，请取消并退款。",
            ),
            "solve": ("订单 {order} 已取消，{amount} 将在 3-5 个工作日内原路退回。",),
            "solve_shipped": (
                "订单 {order} 已经发货，无法再取消了。不过您可以拒收，"
                "或在 30 天内免费退回，我们会为您退款。",
            ),
            "reopen": ("我刚收到邮件说订单还是发货了？！",),
            "reopen_reply": (
                "抱歉造成困扰，那封邮件是在取消生效前自动发送的。包裹已被拦截，退款正在处理中。",
            ),
        },
        "invoice_request": {
            "subject": ("订单 {order} 开发票", "需要开具公司发票"),
            "open": (
                "能给订单 {order} 开张发票吗？\n公司报销需要带公司抬头的发票。",
                "订单 {order} 的发票\n包裹里没有发票，可以发电子版给我吗？",
            ),
            "ask": ("当然可以！请提供发票抬头、公司地址和税号。",),
            "info": (
                "抬头：上海示例贸易有限公司，税号 91310000MA1EXAMPLE，"
                "地址：上海市徐汇区示例路 88 号。",
                "深圳示例科技有限公司，税号 91440300MA5EXAMPLE。",
            ),
            "solve": (
                "好的：订单 {order} 的电子发票已上传到您的账户（我的订单 > 发票），"
                "同时也已发送到您的邮箱。",
            ),
            "reopen": ("发票上的税号写错了，可以帮忙改一下吗？",),
            "reopen_reply": ("抱歉，我们已更正税号，并重新发送了发票。",),
        },
        "product_question": {
            "subject": ("关于 {item} 的问题", "商品咨询：{item}"),
            "open@electronics": (
                "{item} 有现货吗？\n页面显示库存紧张，今天下单的话这周能发货吗？",
                "{item} 保修多久？\n请问 {item} 的保修期是多久？一年以后的质量问题还保修吗？",
            ),
            "solve@electronics": (
                "{item} 有现货，今天下单的话明天就能从仓库发出。",
                "{item} 享受两年保修，涵盖所有非人为的质量问题，保修期内直接联系我们即可。",
            ),
            "reopen": ("再问一下，{item} 支持 30 天无理由退货吗？",),
            "reopen_reply": ("支持的，所有商品都可以在 30 天内无理由退货。",),
        },
        "address_change": {
            "subject": ("修改订单 {order} 的收货地址", "订单地址填错了"),
            "open": (
                "我需要修改订单 {order} 的收货地址\n下单时不小心填了旧地址。",
                "订单 {order} 地址有误\n地址里少写了门牌号，能在发货前帮我改一下吗？",
            ),
            "ask": ("当然可以。请发送完整的新地址（包括邮编），我们会在发货前为您更新。",),
            "info": (
                "新地址：上海市浦东新区张杨路 500 号 12 楼 1203 室，邮编 200120。",
                "北京市朝阳区建国路 88 号 3 号楼 1502，邮编 100022。",
            ),
            "solve": ("已修改好，订单 {order} 将配送到新地址，发货通知里可以看到。",),
            "reopen": ("物流信息上显示的还是旧地址，这样没问题吗？",),
            "reopen_reply": ("没问题，那只是面单上的信息，快递公司系统里已经是更正后的地址了。",),
        },
    },
}

# Internal notes, in the language of the agent who writes them.
NOTES: dict[str, dict[str, str]] = {
    EN: {
        "where_is_order": "Tracking shows the parcel at the local depot since yesterday; "
        "checking again tomorrow.",
        "delivery_delay": "Customer is upset. Offered a 10% voucher, approved by the supervisor.",
        "refund_request": "Return approved in the shop admin; the refund goes out when the "
        "parcel is scanned in.",
        "wrong_size": "Replacement size reserved in the warehouse system.",
        "damaged_item": "Claim filed with the carrier; photos saved on the order.",
        "payment_failed": "Payment provider log: 3-D Secure timeout, nothing captured.",
        "cancel_order": "Warehouse confirmed the order was stopped before packing.",
        "invoice_request": "Invoice issued again with the company details.",
        "product_question": "Checked with the product team before answering.",
        "address_change": "Address changed in the shop admin before the label was printed.",
        "escalation": "Escalating: the customer has written more than once and is unhappy. "
        "Please take over.",
    },
    HR: {
        "where_is_order": "Praćenje pokazuje da je paket od jučer u lokalnom centru dostavne "
        "službe; provjeriti opet sutra.",
        "delivery_delay": "Kupac je nezadovoljan. Ponuđen kupon od 10 %, odobrila voditeljica.",
        "refund_request": "Povrat odobren u administraciji trgovine; novac ide kad paket "
        "stigne u skladište.",
        "wrong_size": "Zamjenska veličina rezervirana u skladišnom sustavu.",
        "damaged_item": "Reklamacija prijavljena dostavnoj službi; fotografije spremljene uz "
        "narudžbu.",
        "payment_failed": "Log pružatelja plaćanja: istekla 3-D Secure provjera, ništa nije "
        "naplaćeno.",
        "cancel_order": "Skladište potvrdilo da je narudžba zaustavljena prije pakiranja.",
        "invoice_request": "Račun ponovno izdan s podacima tvrtke.",
        "product_question": "Provjereno s timom za proizvode prije odgovora.",
        "address_change": "Adresa promijenjena u administraciji prije ispisa naljepnice.",
        "escalation": "Eskalacija: kupac se javlja više puta i nezadovoljan je. Molim preuzmite.",
    },
    ZH: {
        "where_is_order": "物流显示包裹从昨天起在本地网点，明天再查一次。",
        "delivery_delay": "客户情绪较大，已提供九折优惠券，主管已批准。",
        "refund_request": "已在后台批准退货，包裹入库后退款。",
        "wrong_size": "已在仓库系统中预留替换尺码。",
        "damaged_item": "已向快递公司提交索赔，照片已保存在订单中。",
        "payment_failed": "支付日志：3-D Secure 验证超时，未扣款。",
        "cancel_order": "仓库确认订单在打包前已拦截。",
        "invoice_request": "已按公司信息重新开具发票。",
        "product_question": "已与产品团队确认后回复。",
        "address_change": "已在面单打印前修改后台地址。",
        "escalation": "升级处理：客户多次来信且不满意，请接手。",
    },
}
