"""Normalisation, intents and callback times, one utterance at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.agent import classify, is_opt_out
from app.agent.normalise import normalise
from app.agent.times import parse_when

NOW = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 in New York, a Tuesday


@pytest.mark.parametrize(
    ("raw", "language", "expected"),
    [
        ("Um, I'm busy right now, call me at six p.m.!", "en", "im busy right now call me at 6 p m"),
        ("Llámame mañana a las seis y media", "es", "llamame manana a las 6:30"),
        ("Euh, rappelez-moi à dix-huit heures", "fr", "rappelez moi a 18 heures"),
        ("Ähm, ruf mich um halb sieben an", "de", "ruf mich um 6:30 uhr an"),
        ("Pues, bueno, dieciocho", "es", "18"),
        ("Achtzehn Uhr, naja", "de", "18 uhr"),
        ("Größe?", "de", "grosse"),
        ("I'd like it", "en", "id like it"),
    ],
)
def test_normalise_folds_case_accents_fillers_and_numbers(raw, language, expected):
    assert normalise(raw, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "intent"),
    [
        ("yes", "en", "yes"),
        ("Sí, claro", "es", "yes"),
        ("Oui, volontiers", "fr", "yes"),
        ("Ja, gerne", "de", "yes"),
        ("no", "en", "no"),
        ("Non merci", "fr", "no"),
        ("Nein danke", "de", "no"),
        ("Not now", "en", "not_now"),
        ("Ahora no, estoy ocupada", "es", "not_now"),
        ("Pas maintenant", "fr", "not_now"),
        ("Nicht jetzt", "de", "not_now"),
        ("It's too expensive", "en", "price"),
        ("Es muy caro", "es", "price"),
        ("C'est trop cher", "fr", "price"),
        ("Das ist mir zu teuer", "de", "price"),
        ("The shipping is too expensive.", "en", "shipping"),
        ("Los gastos de envío son altos", "es", "shipping"),
        ("Les frais de port sont élevés", "fr", "shipping"),
        ("Der Versand kostet zu viel", "de", "shipping"),
        ("My card was declined", "en", "payment"),
        ("Mi tarjeta no funcionó", "es", "payment"),
        ("Le paiement n'a pas marché", "fr", "payment"),
        ("Die Zahlung ging nicht", "de", "payment"),
        ("What sizes does it come in?", "en", "product_question"),
        ("Tengo una pregunta sobre la talla", "es", "product_question"),
        ("J'ai une question sur la taille", "fr", "product_question"),
        ("Ich habe eine Frage zur Größe", "de", "product_question"),
        ("I already bought it yesterday.", "en", "already_bought"),
        ("Ya lo compré", "es", "already_bought"),
        ("Je l'ai déjà commandé", "fr", "already_bought"),
        ("Ich habe schon bestellt", "de", "already_bought"),
        ("You have the wrong number", "en", "wrong_number"),
        ("Número equivocado", "es", "wrong_number"),
        ("Mauvais numéro", "fr", "wrong_number"),
        ("Falsche Nummer", "de", "wrong_number"),
        ("Can I talk to a real person?", "en", "person"),
        ("I want a human", "en", "person"),
        ("Get me an agent", "en", "person"),
        ("Quiero hablar con una persona", "es", "person"),
        ("Un humano, por favor", "es", "person"),
        ("Je veux parler à quelqu'un", "fr", "person"),
        ("Un conseiller, s'il vous plaît", "fr", "person"),
        ("Ich möchte einen Menschen", "de", "person"),
        ("Einen Mitarbeiter bitte", "de", "person"),
        ("Are you a robot?", "en", "robot"),
        ("¿Eres un robot?", "es", "robot"),
        ("Êtes-vous un robot ?", "fr", "robot"),
        ("Bist du ein Roboter?", "de", "robot"),
        ("Who is this?", "en", "who"),
        ("¿Quién habla?", "es", "who"),
        ("Qui est-ce ?", "fr", "who"),
        ("Wer ist da?", "de", "who"),
        ("Text me the link", "en", "send_link"),
        ("Send me the link", "en", "send_link"),
        ("Mándame el enlace", "es", "send_link"),
        ("Envoyez-moi le lien", "fr", "send_link"),
        ("Schicken Sie mir den Link", "de", "send_link"),
        ("I don't want the link", "en", "no"),
        ("yes please send me a code", "en", "discount"),
        ("Do you have a coupon?", "en", "discount"),
        ("Any promo or voucher?", "en", "discount"),
        ("Can I get 10% off?", "en", "discount"),
        ("It's too expensive, any discount?", "en", "discount"),
        ("I don't need a code, no thanks", "en", "no"),
        ("What's the zip code?", "en", "unknown"),
        ("¿Tienen algún código de descuento?", "es", "discount"),
        ("¿Hay un cupón?", "es", "discount"),
        ("Vous avez un code promo ?", "fr", "discount"),
        ("Une réduction, une remise ?", "fr", "discount"),
        ("Haben Sie einen Gutschein?", "de", "discount"),
        ("Gibt es keinen Rabattcode?", "de", "discount"),
        ("Do you ship to Canada?", "en", "shipping_question"),
        ("How long does delivery take?", "en", "shipping_question"),
        ("How much is shipping?", "en", "shipping_question"),
        ("¿Hacen envíos a Canadá?", "es", "shipping_question"),
        ("Livrez-vous au Canada ?", "fr", "shipping_question"),
        ("Liefern Sie nach Kanada?", "de", "shipping_question"),
        ("Do you accept PayPal?", "en", "payment_question"),
        ("Can I pay with Klarna?", "en", "payment_question"),
        ("¿Aceptan PayPal?", "es", "payment_question"),
        ("Acceptez-vous PayPal ?", "fr", "payment_question"),
        ("Akzeptieren Sie PayPal?", "de", "payment_question"),
        ("No pude pagar", "es", "payment"),
        ("Thanks!", "en", "thanks"),
        ("Merci", "fr", "thanks"),
        ("No, thanks", "en", "no"),
        ("call me tomorrow at 6 pm", "en", "callback"),
        ("llámame mañana a las seis de la tarde", "es", "callback"),
        ("rappelez-moi demain à 18h", "fr", "callback"),
        ("ruf mich morgen um 18 Uhr an", "de", "callback"),
        ("asdf qwerty", "en", "unknown"),
        ("", "en", "unknown"),
    ],
)
def test_classify_recognises_each_intent_in_each_language(text, language, intent):
    assert classify(text, language) == intent


@pytest.mark.promise("stop-at-once")
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("stop", "en"),
        ("Stop calling me", "en"),
        ("Don't call me", "en"),
        ("Remove me from your list", "en"),
        ("unsubscribe", "en"),
        ("no, stop calling me", "en"),
        ("No me llames", "es"),
        ("¡Para!", "es"),
        ("Ne m'appelez plus", "fr"),
        ("Arrêtez", "fr"),
        ("Rufen Sie mich nicht mehr an", "de"),
        ("Aufhören!", "de"),
        ("Stopp", "de"),
    ],
)
def test_opt_out_is_recognised_in_its_language_and_without_one(text, language):
    assert classify(text, language) == "stop"
    assert is_opt_out(text, language)
    assert is_opt_out(text)


@pytest.mark.parametrize(
    ("text", "language"),
    [("yes please", "en"), ("para mí está bien", "es"), ("es para mañana", "es"), ("oui, arrivé hier", "fr")],
)
def test_ordinary_replies_are_not_opt_outs(text, language):
    assert not is_opt_out(text, language)
    assert classify(text, language) != "stop"


@pytest.mark.parametrize(
    ("text", "language", "local"),
    [
        ("tomorrow at 6 pm", "en", "2025-03-05 18:00"),
        ("at 3", "en", "2025-03-04 15:00"),  # a bare 1-7 is pm
        ("at 9", "en", "2025-03-05 09:00"),  # 9 am has passed today: tomorrow
        ("tonight at 7", "en", "2025-03-04 19:00"),
        ("half past six", "en", "2025-03-04 18:30"),
        ("on friday", "en", "2025-03-07 10:00"),
        ("tuesday at 11 am", "en", "2025-03-11 11:00"),
        ("manana a las 6 de la tarde", "es", "2025-03-05 18:00"),
        ("manana por la manana", "es", "2025-03-05 10:00"),
        ("el viernes a las 6:30", "es", "2025-03-07 18:30"),
        ("demain a 18h30", "fr", "2025-03-05 18:30"),
        ("ce soir a 8 heures", "fr", "2025-03-04 20:00"),
        ("morgen um 18 uhr", "de", "2025-03-05 18:00"),
        ("heute abend um 8", "de", "2025-03-04 20:00"),
    ],
)
def test_callback_times_are_read_in_the_shoppers_zone(text, language, local):
    at = parse_when(normalise(text, language), language, NOW, "America/New_York")

    assert at is not None and at.tzinfo is not None
    assert at.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M") == local


def test_relative_callback_times_count_from_now():
    assert parse_when("in 2 hours", "en", NOW, "America/New_York") == datetime(2025, 3, 4, 17, tzinfo=UTC)
    assert parse_when("dans 30 minutes", "fr", NOW, "Europe/Paris") == datetime(
        2025, 3, 4, 15, 30, tzinfo=UTC
    )


def test_mas_tarde_is_later_not_the_afternoon():
    assert parse_when("llamame mas tarde", "es", NOW, "America/New_York") is None
    assert parse_when("manana por la tarde", "es", NOW, "America/New_York") is not None


def test_text_without_a_time_names_none():
    assert parse_when("yes please", "en", NOW, "America/New_York") is None
