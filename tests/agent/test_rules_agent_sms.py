"""The rules agent by text: what the SMS transport gets back for a shopper's reply to the recovery text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.agent import (
    End,
    OptOut,
    Reply,
    RulesAgent,
    ScheduleCallback,
    SendDiscount,
    SendLink,
    Transfer,
    Turn,
    Utterance,
)
from app.agent.phrases import phrase
from app.agent.prompt import SMS_REPLY_CHARACTERS, SMS_REPLY_MAX_CHARACTERS
from tests.agent.conftest import NOW, TIMEZONE, actions_of, make_context
from tests.agent.scripts import LANGUAGES

RECOVERY_TEXT = (
    "Acme Hats: Hi Ada, you left 2 Red Hats and 1 Blue Scarf in your cart. "
    "Finish your order here: https://acme.example/r/abc"
)


def sms_context(**overrides):
    """As app.sms.conversation builds it: texting allowed (the shopper consented), no person to bridge."""
    values = {"channel": "sms", "transfer_available": False, "transfer_configured": False, **overrides}
    return make_context(**values)


def texted(lines: Sequence[str], **overrides) -> list[Reply]:
    """The agent's answer to each text, as the transport asks: no greeting, a fresh state at first."""
    context = sms_context(**overrides)
    history = [Turn("agent", RECOVERY_TEXT)]
    state: dict = {}
    replies = []
    for line in lines:
        reply = RulesAgent().respond(context, list(history), Utterance(text=line), state)
        replies.append(reply)
        history += [Turn("shopper", line), Turn("agent", reply.text)]
        state = dict(reply.state)
    return replies


# -- a code asked for ---------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["yes please send me a code", "Any discount?", "promo code?", "10% off?"])
def test_sms_code_request_sends_a_discount_within_the_cap(line):
    (reply,) = texted([line], discount_max_percent=15)

    assert reply.actions == (SendDiscount(15),)
    assert reply.text == "Here is your one-time code for 15% off."
    assert reply.objection == "price" and not reply.end


def test_sms_code_request_without_discounts_sends_the_link():
    (reply,) = texted(["yes please send me a code"], discount_max_percent=0)

    assert reply.actions == (SendLink(),)
    assert reply.text == "Sorry, I have no discount code to offer. Here is the link to your cart."
    assert "%" not in reply.text


def test_sms_code_is_sent_only_once():
    replies = texted(["send me a code", "another code please"])

    assert [a for a in actions_of(replies) if isinstance(a, SendDiscount)] == [SendDiscount(10)]
    assert replies[1].text == "You already have your one-time code for 10% off."


def test_sms_code_request_with_a_shipping_complaint_is_a_shipping_objection():
    (reply,) = texted(["Shipping is too expensive, do you have a coupon?"])

    assert reply.actions == (SendDiscount(10),) and reply.objection == "shipping"


def test_sms_code_request_said_in_the_negative_is_not_one():
    (reply,) = texted(["I don't need a code, thanks"])

    assert not [a for a in reply.actions if isinstance(a, SendDiscount)]


# -- yes, and the link --------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["ok", "yes", "Yes please", "sure"])
def test_sms_yes_sends_the_link(line):
    (reply,) = texted([line])

    assert reply.actions == (SendLink(),)
    assert reply.text == "Here is the link to your cart."  # the link follows in its own text


def test_sms_link_request_announces_the_link_that_follows():
    replies = texted(["send me the link", "send me the link again"])

    assert replies[0].actions == (SendLink(),) and replies[0].text == "Here is the link to your cart."
    assert replies[1].actions == () and replies[1].text == "The link to your cart is in my earlier text."


def test_sms_thanks_after_the_link_closes_warmly():
    replies = texted(["yes", "thanks!"])

    assert replies[1].text == "You're welcome, have a great day!"
    assert replies[1].actions == (End("completed"),)


# -- questions get answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "answer", "objection"),
    [
        (
            "do you ship to Canada?",
            "Shipping options and costs for your address are shown at checkout.",
            "shipping",
        ),
        ("How long does delivery take?", "Shipping options and costs", "shipping"),
        ("How much is shipping?", "Shipping options and costs", "shipping"),
        ("Do you accept PayPal?", "The payment methods Acme Hats accepts are shown at checkout.", "payment"),
        ("What sizes does it come in?", "the details are on the Acme Hats website", "product_question"),
    ],
)
def test_sms_question_gets_an_answer_not_didnt_catch(line, answer, objection):
    (reply,) = texted([line])

    assert answer in reply.text and reply.text.endswith("Here is the link to your cart.")
    assert "catch" not in reply.text
    assert reply.actions == (SendLink(),) and reply.objection == objection


def test_sms_question_the_rules_cannot_place_says_what_the_assistant_can_do():
    (reply,) = texted(["What's your return policy?"])

    assert reply.text == (
        "I'm the automated AI assistant for Acme Hats. I can send you the link to your cart or a discount "
        "code; which would you like?"
    )
    assert reply.actions == () and not reply.end


def test_sms_assistant_offers_no_code_when_the_merchant_allows_none():
    (reply,) = texted(["What's your return policy?"], discount_max_percent=0)

    assert "code" not in reply.text and "link" in reply.text


def test_sms_assistant_menu_leads_to_what_the_shopper_picks():
    assert actions_of(texted(["hmm?", "the code"])) == [SendDiscount(10)]
    assert actions_of(texted(["hmm?", "the link"])) == [SendLink()]


def test_sms_payment_trouble_sends_the_link_to_try_again():
    (reply,) = texted(["My card was declined"])

    assert reply.text == "Sorry you had trouble paying. Here is the link to your cart."
    assert reply.actions == (SendLink(),) and reply.objection == "payment"


# -- objections ---------------------------------------------------------------------------------


def test_sms_price_objection_then_yes_sends_the_code():
    replies = texted(["it's too expensive", "yes"])

    assert replies[0].text == (
        "I understand, price matters. I can offer you 10% off your order with a one-time code. "
        "Shall I send you the code?"
    )
    assert replies[0].actions == ()
    assert replies[1].actions == (SendDiscount(10),)
    assert replies[1].text == "Here is your one-time code for 10% off."


def test_sms_price_objection_without_discounts_offers_the_link():
    replies = texted(["it's too expensive", "yes"], discount_max_percent=0)

    assert replies[0].text == "I understand, price matters. Would you like the link to your cart?"
    assert replies[1].actions == (SendLink(),)


def test_sms_busy_shopper_gets_the_link_for_later_not_a_call():
    (reply,) = texted(["I'm busy"])

    assert reply.actions == (SendLink(),) and reply.objection == "not_now"
    assert reply.text == "No problem, you can finish whenever suits you. Here is the link to your cart."


def test_sms_call_me_later_asks_when_then_plans_the_call():
    replies = texted(["busy now, call me later", "tomorrow at 6"])

    assert replies[0].text == "No problem. When should we call you?" and replies[0].actions == ()
    (callback,) = replies[1].actions
    assert isinstance(callback, ScheduleCallback)
    local = callback.at.astimezone(ZoneInfo(TIMEZONE))
    assert (local.date(), local.hour) == ((NOW + timedelta(days=1)).date(), 18)


def test_sms_callback_request_is_planned():
    (reply,) = texted(["call me tomorrow at 6"])

    assert isinstance(reply.actions[0], ScheduleCallback)
    assert reply.text == "Great, we'll call you tomorrow at 6 pm."


def test_sms_person_request_never_bridges_and_offers_the_link():
    replies = texted(["Can I talk to a real person?", "yes"])

    assert Transfer() not in actions_of(replies)
    assert (
        replies[0].text
        == "I'm sorry, I can't connect you with a person. Would you like the link to your cart?"
    )
    assert replies[1].actions == (SendLink(),)


@pytest.mark.promise("stop-at-once")
def test_sms_opt_out_has_no_spoken_goodbye():
    (reply,) = texted(["please stop texting me"])

    assert reply.actions == (OptOut(),) and reply.text == "Understood, you won't be contacted again."


# -- every language -----------------------------------------------------------------------------

# One thread per line: the shopper's first reply to the recovery text, then "yes" where it was asked.
SMS_LINES = {
    "en": [
        "yes please send me a code",
        "ok",
        "do you ship to Canada?",
        "do you take PayPal?",
        "what colours does it come in?",
        "it's too expensive",
        "the shipping costs too much",
        "my card was declined",
        "I'm busy",
        "call me tomorrow at 6",
        "call me later",
        "are you a robot?",
        "who is this?",
        "can I talk to a person?",
        "send me the link",
        "what is your return policy?",
        "no thanks",
        "thanks",
        "I already bought it",
        "wrong number",
        "stop texting me",
    ],
    "es": [
        "sí, envíame un código de descuento por favor",
        "vale",
        "¿hacen envíos a Canadá?",
        "¿aceptan PayPal?",
        "¿de qué color es?",
        "es muy caro",
        "el envío es demasiado caro",
        "mi tarjeta fue rechazada",
        "ahora no, estoy ocupada",
        "llámame mañana a las seis",
        "llámame más tarde",
        "¿eres un robot?",
        "¿quién habla?",
        "quiero hablar con una persona",
        "mándame el enlace",
        "¿cuál es la política de devoluciones?",
        "no, gracias",
        "gracias",
        "ya lo compré",
        "número equivocado",
        "no me escriba más, baja",
    ],
    "fr": [
        "oui, envoyez-moi un code promo",
        "d'accord",
        "livrez-vous au Canada ?",
        "acceptez-vous PayPal ?",
        "quelle taille faut-il prendre ?",
        "c'est trop cher",
        "les frais de port sont trop chers",
        "le paiement a été refusé",
        "pas maintenant, je suis occupée",
        "rappelez-moi demain à 18h",
        "rappelez-moi plus tard",
        "êtes-vous un robot ?",
        "qui est-ce ?",
        "je veux parler à quelqu'un",
        "envoyez-moi le lien",
        "quelle est votre politique de retour ?",
        "non merci",
        "merci",
        "je l'ai déjà acheté",
        "mauvais numéro",
        "arrêtez",
    ],
    "de": [
        "ja, schicken Sie mir bitte einen Rabattcode",
        "ok",
        "liefern Sie nach Kanada?",
        "akzeptieren Sie PayPal?",
        "welche Farbe hat es?",
        "das ist zu teuer",
        "die Versandkosten sind zu hoch",
        "meine Karte wurde abgelehnt",
        "nicht jetzt, ich bin beschäftigt",
        "ruf mich morgen um 18 Uhr an",
        "rufen Sie mich später an",
        "bist du ein Roboter?",
        "wer ist da?",
        "kann ich mit einem Mitarbeiter sprechen?",
        "schick mir den Link",
        "wie ist Ihre Rückgaberichtlinie?",
        "nein danke",
        "danke",
        "ich habe schon bestellt",
        "falsche Nummer",
        "nicht mehr schreiben",
    ],
}
YES = {"en": "yes", "es": "sí", "fr": "oui", "de": "ja"}
# Call wording a text must never use: "didn't catch that", offers to text while texting, spoken goodbyes.
CALL_ONLY = (
    "reprompt",
    "q_link",
    "q_discount",
    "link_sent",
    "link_already",
    "discount_sent",
    "opted_out",
    "goodbye_declined",
    "goodbye_completed",
    "goodbye_no_response",
)
_PHONE_NUMBER = re.compile(r"\+?\d[\d ()-]{6,}\d")


@pytest.mark.parametrize("cap", [0, 10])
@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_replies_are_short_in_every_language(language, cap):
    for line in SMS_LINES[language]:
        replies = texted([line, YES[language]], language=language, discount_max_percent=cap)
        for reply in replies:
            assert reply.text.strip(), line
            assert len(reply.text) <= SMS_REPLY_CHARACTERS, (line, reply.text)
            assert not _PHONE_NUMBER.search(reply.text), (line, reply.text)
            for key in CALL_ONLY:
                assert phrase(language, key, percent=cap) not in reply.text, (line, key, reply.text)
            if cap == 0:
                assert not [a for a in reply.actions if isinstance(a, SendDiscount)], line
            assert Transfer() not in reply.actions


@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_every_line_is_understood_in_every_language(language):
    """Each scripted text gets an answer of its own, never the menu for a text the rules cannot place."""
    understood = [
        line for line in SMS_LINES[language] if texted([line], language=language)[0].intent != "unknown"
    ]

    # The return-policy question is the one the rules cannot place, in every language.
    assert [line for line in SMS_LINES[language] if line not in understood] == [SMS_LINES[language][15]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_code_request_and_yes_act_in_every_language(language):
    code, yes = SMS_LINES[language][0], SMS_LINES[language][1]

    assert texted([code], language=language)[0].actions == (SendDiscount(10),)
    assert texted([yes], language=language)[0].actions == (SendLink(),)
    price = texted([SMS_LINES[language][5], yes], language=language)
    assert price[1].actions == (SendDiscount(10),)


_ALL_SMS_LINES = [line for lines in SMS_LINES.values() for line in lines] + [*YES.values(), "", "?"]


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.sampled_from(_ALL_SMS_LINES), min_size=1, max_size=12),
    language=st.sampled_from(LANGUAGES),
    cap=st.sampled_from((0, 5, 30)),
    max_turns=st.integers(min_value=1, max_value=8),
)
def test_sms_any_thread_stays_short_and_within_the_merchants_rules(lines, language, cap, max_turns):
    replies = texted(lines, language=language, discount_max_percent=cap, max_turns=max_turns)
    actions = actions_of(replies)

    for reply in replies:
        assert reply.text.strip() and len(reply.text) <= SMS_REPLY_MAX_CHARACTERS, reply.text
    assert Transfer() not in actions and actions.count(SendLink()) <= 1
    discounts = [a for a in actions if isinstance(a, SendDiscount)]
    assert len(discounts) <= 1 and all(0 < d.percent <= cap for d in discounts)


@pytest.mark.promise("opt-in-only")
def test_sms_callback_without_call_consent_promises_no_call_and_sends_the_link():
    [reply] = texted(["call me tomorrow at 6"], calls_allowed=False)
    assert not any(isinstance(action, ScheduleCallback) for action in reply.actions)
    assert "call" not in reply.text.lower()
