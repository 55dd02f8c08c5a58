"""A shopper calling back the number that called them: who called, and a way out (press 9 or say stop).

The voicemail Ringback leaves says "call this number back and press 9"; this is that number's answer.
Point the Twilio number's Voice URL at APP_URL/twilio/voice/incoming.
"""

from __future__ import annotations

from sqlalchemy import select

from app import agent
from app.consent.suppression import phone_hash
from app.extensions import db
from app.recovery import scheduler
from app.shops import settings as shop_settings
from app.shops.models import Shop
from app.sms.inbound import shops_that_contacted
from app.voice import twiml
from app.voice.models import Call

CHOICE_PATH = "/twilio/voice/incoming/choice"

_GREETING = {
    "en": "You have reached the automated AI assistant of {store}. To stop all calls and texts from {store}, "
          "press 9 or say stop now. Otherwise, you can hang up.",
    "es": "Ha llamado al asistente automático de inteligencia artificial de {store}. Para no recibir más "
          "llamadas ni mensajes de {store}, pulse 9 o diga stop ahora. Si no, puede colgar.",
    "fr": "Vous êtes sur l'assistant automatique d'intelligence artificielle de {store}. Pour ne plus "
          "recevoir d'appels ni de messages de {store}, appuyez sur 9 ou dites stop maintenant. Sinon, vous "
          "pouvez raccrocher.",
    "de": "Sie haben den automatischen KI-Assistenten von {store} erreicht. Um keine Anrufe und Nachrichten "
          "von {store} mehr zu erhalten, drücken Sie jetzt die 9 oder sagen Sie Stopp. Sonst können Sie "
          "auflegen.",
}
_DONE = {
    "en": "Done. {store} will not call or text you again. Goodbye.",
    "es": "Hecho. {store} no volverá a llamarle ni a enviarle mensajes. Adiós.",
    "fr": "C'est fait. {store} ne vous appellera plus et ne vous enverra plus de messages. Au revoir.",
    "de": "Erledigt. {store} wird Sie nicht mehr anrufen oder anschreiben. Auf Wiederhören.",
}
_BYE = {"en": "Thank you. Goodbye.", "es": "Gracias. Adiós.", "fr": "Merci. Au revoir.",
        "de": "Danke. Auf Wiederhören."}
_UNKNOWN = ("This number places automated calls on behalf of online stores, and it has no record of "
            "calling you. Goodbye.")


def greeting(caller: str, choice_url: str) -> str:
    """What a caller hears first: the store that called them, and how to opt out."""
    shops, language = _callers_shops(caller)
    if not shops:
        return twiml.goodbye(_UNKNOWN, voice=agent.voice_for("en")[0], language="en-US")
    voice, bcp47 = _voice(shops[0], language)
    text = _GREETING.get(language, _GREETING["en"]).format(store=_name(shops[0]))
    return twiml.listen(text, action=choice_url, voice=voice, language=bcp47)


def choose(caller: str, said: str, digits: str) -> str:
    """9 or a spoken stop: suppressed at once on every channel for every shop that reached this number."""
    shops, language = _callers_shops(caller)
    if not shops:
        return twiml.hangup()
    voice, bcp47 = _voice(shops[0], language)
    if "9" not in digits and not agent.is_opt_out(said, None):
        return twiml.goodbye(_BYE.get(language, _BYE["en"]), voice=voice, language=bcp47)
    dropped = []
    for shop in shops:
        dropped += scheduler.stop_contacting(shop.id, caller, reason="opted_out", source="call_back")
    db.session.commit()
    scheduler.drop_jobs(dropped)
    return twiml.goodbye(_DONE.get(language, _DONE["en"]).format(store=_name(shops[0])), voice=voice,
                         language=bcp47)


def _callers_shops(caller: str) -> tuple[list[Shop], str]:
    """The shops that called or texted this number (newest first), and the last call's language."""
    language = db.session.execute(
        select(Call.language).where(Call.phone_hash == phone_hash(caller)).order_by(Call.id.desc()).limit(1)
    ).scalar_one_or_none()
    return shops_that_contacted(caller), language or "en"


def _settings(shop: Shop) -> dict:
    return shop_settings.resolve(shop.settings.values if shop.settings else None)


def _name(shop: Shop) -> str:
    return _settings(shop)["store_display_name"] or shop.name or shop.domain.split(".")[0]


def _voice(shop: Shop, language: str) -> tuple[str, str]:
    default_voice, bcp47 = agent.voice_for(language)
    return _settings(shop)["agent_voices"].get(language, default_voice), bcp47
