"""The intents the assistant recognises: the customer-support requests of an online shop
(the 27 of the Bitext customer-support taxonomy), and ``out_of_scope`` for everything a
shop's customer service does not handle. Bundled training examples for each, written for
this project in English, Chinese and Croatian, are in ``data/examples/<locale>.tsv``."""

OUT_OF_SCOPE = "out_of_scope"

# name -> what the customer wants
INTENTS: dict[str, str] = {
    "cancel_order": "cancel an order they placed (not yet delivered).",
    "change_order": (
        "change items, size, colour, quantity or other details of an order already placed "
        "(not the address)."
    ),
    "place_order": "wants to buy / needs help placing a new order, how to order.",
    "track_order": (
        "where is my order / parcel, tracking number, delivery status of a placed order."
    ),
    "delivery_options": (
        "which shipping methods/carriers/pickup points/express exist, do you ship to X."
    ),
    "delivery_period": "how long delivery takes, when will an order arrive if ordered now.",
    "change_shipping_address": "change the delivery address of an order or the saved address.",
    "set_up_shipping_address": (
        "add/save a (new) shipping address in the account, problems adding one."
    ),
    "check_payment_methods": (
        "which payment methods are accepted (cards, PayPal, cash on delivery, bank transfer, "
        "instalments)."
    ),
    "payment_issue": "a payment failed, card declined, charged twice, payment error.",
    "check_refund_policy": "what the refund/return rules are, how many days, conditions.",
    "get_refund": "wants their money back / asks for a refund for an order or item.",
    "track_refund": "a refund was promised/started, where is the money, status of refund.",
    "check_cancellation_fee": "is there a fee/penalty for cancelling an order or subscription.",
    "check_invoice": (
        "see/check an existing invoice, question about an amount on an invoice or bill."
    ),
    "get_invoice": "needs an invoice (copy, company/VAT invoice, receipt) sent/downloaded.",
    "create_account": "wants to open/register a new account.",
    "delete_account": "wants to close/delete their account and data.",
    "edit_account": "change name, e-mail, phone or other profile details in the account.",
    "recover_password": "forgot password, cannot reset it, locked out.",
    "registration_problems": (
        "tried to sign up but it fails (error, verification e-mail never arrives)."
    ),
    "switch_account": "switch between accounts / use another account / merge to a different login.",
    "newsletter_subscription": (
        "subscribe to or unsubscribe from the newsletter / marketing e-mails."
    ),
    "contact_customer_service": (
        "how to reach customer service, opening hours, phone number, e-mail address."
    ),
    "contact_human_agent": "wants to talk to a real person / human agent now, not the bot.",
    "complaint": "expresses dissatisfaction / files a complaint about service, product or staff.",
    "review": "wants to leave feedback or a review / rate a product or the service.",
    "out_of_scope": (
        "anything a shop's customer service does not handle, and greetings or thanks alone."
    ),
}
