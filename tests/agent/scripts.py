"""The Twilio simulator's shopper personas, in every language the agent speaks."""

from __future__ import annotations

from app.agent import Utterance

PRESS_9 = Utterance(digits="9")
SILENCE = Utterance(text="", confidence=None)

SCRIPTS: dict[str, dict[str, list]] = {
    "interested": {
        "en": [
            "Yes, I'd like to finish my order.",
            "Yes, please text me the link.",
            "No, that's all, thanks.",
        ],
        "es": [
            "Sí, quiero terminar mi compra.",
            "Sí, mándame el enlace por mensaje, por favor.",
            "No, gracias, eso es todo.",
        ],
        "fr": [
            "Oui, je voudrais finaliser ma commande.",
            "Oui, envoyez-moi le lien par SMS, s'il vous plaît.",
            "Non merci, c'est tout.",
        ],
        "de": [
            "Ja, ich möchte meine Bestellung abschließen.",
            "Ja, schicken Sie mir bitte den Link per SMS.",
            "Nein danke, das ist alles.",
        ],
    },
    "shipping": {
        "en": ["The shipping is too expensive.", "Yes, that sounds good.", "No, that's all."],
        "es": ["El envío es demasiado caro.", "Sí, me parece bien.", "No, eso es todo."],
        "fr": ["Les frais de livraison sont trop chers.", "Oui, d'accord.", "Non, c'est tout."],
        "de": ["Die Versandkosten sind zu teuer.", "Ja, gerne.", "Nein, das wars."],
    },
    "stop": {
        "en": ["Stop calling me."],
        "es": ["No me llames más."],
        "fr": ["Ne m'appelez plus."],
        "de": ["Rufen Sie mich nicht mehr an."],
    },
    "press9": {language: [PRESS_9] for language in ("en", "es", "fr", "de")},
    "wrong_number": {
        "en": ["You have the wrong number, I don't know any Ada."],
        "es": ["Se equivocó de número, no conozco a ninguna Ada."],
        "fr": ["Vous vous êtes trompé de numéro, je ne connais pas d'Ada."],
        "de": ["Sie haben sich verwählt, ich kenne keine Ada."],
    },
    "already_bought": {
        "en": ["I already bought it yesterday."],
        "es": ["Ya lo compré ayer."],
        "fr": ["Je l'ai déjà acheté hier."],
        "de": ["Ich habe es schon gestern gekauft."],
    },
    "person": {
        "en": ["Can I talk to a real person?", "Tomorrow at 10 am."],
        "es": ["¿Puedo hablar con una persona real?", "Mañana a las diez de la mañana."],
        "fr": ["Je voudrais parler à quelqu'un, un conseiller.", "Demain à dix heures."],
        "de": ["Kann ich mit einem Mitarbeiter sprechen?", "Morgen um zehn Uhr."],
    },
    "silent": {language: [SILENCE, SILENCE] for language in ("en", "es", "fr", "de")},
    "callback": {
        "en": ["I'm busy right now, call me tomorrow at 6 pm."],
        "es": ["Estoy ocupado, llámame mañana a las seis de la tarde."],
        "fr": ["Je suis occupé, rappelez-moi demain à 18h."],
        "de": ["Ich bin gerade beschäftigt, ruf mich morgen um 18 Uhr an."],
    },
    "robot": {
        "en": ["Are you a robot?", "Okay, send me the link.", "No thanks."],
        "es": ["¿Eres un robot?", "Vale, mándame el enlace.", "No, gracias."],
        "fr": ["Êtes-vous un robot ?", "D'accord, envoyez-moi le lien.", "Non merci."],
        "de": ["Bist du ein Roboter?", "Okay, schick mir den Link.", "Nein danke."],
    },
}

LANGUAGES = ("en", "es", "fr", "de")
