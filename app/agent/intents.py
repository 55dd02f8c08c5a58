"""What a shopper's utterance means, by keyword rules in English, Spanish, French and German."""

from __future__ import annotations

import re

from app.agent.languages import SUPPORTED_LANGUAGES, supported
from app.agent.normalise import normalise
from app.agent.times import has_time
from app.agent.types import OBJECTIONS

UNKNOWN = "unknown"

# Keypad answers during a call; 9 is the opt-out the opening announces.
DIGIT_OPT_OUT = "9"
DIGIT_INTENTS = {"1": "yes", "2": "no"}

# Phrases per intent, per language, as regular expressions over normalised text (see normalise()).
_RULES: dict[str, dict[str, tuple[str, ...]]] = {
    "stop": {
        "en": (
            r"\bstop\b",
            r"\bdont (?:ever )?call\b",
            r"\bdo not (?:ever )?call\b",
            r"\bnever call\b",
            r"\bremove me\b",
            r"\bunsubscribe\b",
            r"\btake me off\b",
            r"\bopt (?:me )?out\b",
            r"\bleave me alone\b",
            r"\bdont contact\b",
            r"\bdo not contact\b",
            r"\bno more calls\b",
            r"\bstop (?:calling|texting|messaging)\b",
            r"\bdont text\b",
            r"\bquit calling\b",
        ),
        "es": (
            r"\bno me (?:vuelva[ns]? a |vuelvas a )?llame[ns]?\b",
            r"\bno me llames\b",
            r"\bdej[ae]n? de llamar",
            r"^para(?: ya)?$",
            r"\bpara de llamar",
            r"\bbasta\b",
            r"\bdar(?:me)? de baja\b",
            r"\bbaja\b",
            r"\bno me (?:contacte[ns]?|escriba[ns]?)\b",
            r"\b(?:quit|borr|elimin)(?:a|e|en)me\b",
            r"\bno quiero (?:mas )?(?:llamadas|mensajes)\b",
        ),
        "fr": (
            r"\bne (?:m|me )?appelez plus\b",
            r"\bmappelez plus\b",
            r"\bne mappelez plus\b",
            r"\barr[e]te[zs]?\b",
            r"\bdesinscri",
            r"\bretirez moi\b",
            r"\bne plus (?:m|me )?appeler\b",
            r"\bne me contactez plus\b",
            r"\blaissez moi tranquille\b",
            r"\bsupprimez mon numero\b",
        ),
        "de": (
            r"\bstopp?\b",
            r"\brufen sie mich nicht mehr an\b",
            r"\bruf mich nicht mehr an\b",
            r"\bnicht mehr anrufen\b",
            r"\bnicht mehr an\b",
            r"\baufhoren\b",
            r"\bhor(?:en sie)? auf\b",
            r"\babmelden\b",
            r"\baustragen\b",
            r"\bkeine anrufe mehr\b",
            r"\bloschen sie meine nummer\b",
            r"\bnicht mehr (?:kontaktieren|schreiben)\b",
        ),
    },
    "wrong_number": {
        "en": (
            r"\bwrong (?:number|person)\b",
            r"\bdont know (?:any|anyone|anybody|a|an|who)\b",
            r"\bno one (?:here )?(?:named|called|by that name)\b",
            r"\bnobody (?:here )?(?:named|called)\b",
        ),
        "es": (
            r"\bnumero (?:equivocado|incorrecto)\b",
            r"\bse (?:ha )?equivoc\w* de numero\b",
            r"\bno conozco a\b",
            r"\baqui no (?:hay|vive) nadie\b",
        ),
        "fr": (
            r"\b(?:mauvais|faux) numero\b",
            r"\bvous (?:vous )?etes trompe",
            r"\bje ne connais (?:pas|aucun)\b",
            r"\bil ny a pas de\b",
        ),
        "de": (
            r"\bfalsche nummer\b",
            r"\bverwahlt\b",
            r"\bkenne (?:keine|keinen|niemanden)\b",
            r"\bfalsch verbunden\b",
        ),
    },
    "already_bought": {
        "en": (
            r"\balready (?:bought|ordered|purchased|paid|placed|got|have|completed|checked out)\b",
            r"\bi (?:bought|ordered) it (?:already|yesterday|earlier)\b",
        ),
        "es": (
            r"\bya (?:lo |la |los |las )?(?:compre|pedi|pague|hice el pedido|tengo)\b",
            r"\bya (?:he|hice) (?:comprado|pedido|pagado)\b",
        ),
        "fr": (r"\bdeja (?:achete|commande|paye|passe commande|recu)\b", r"\bjai deja\b"),
        "de": (
            r"\b(?:schon|bereits) (?:gekauft|bestellt|bezahlt)\b",
            r"\bhabe (?:es |das |ihn |sie )?(?:schon|bereits)\b",
        ),
    },
    "robot": {
        "en": (
            r"\bare you (?:a |an )?(?:robot|bot|machine|computer|ai|human|real|real person|person)\b",
            r"\b(?:is this|am i (?:talking|speaking) (?:to|with)) (?:a |an )?(?:robot|bot|machine|ai)\b",
            r"\brobot\b",
        ),
        "es": (
            r"\b(?:eres|es usted|es) (?:un |una )?(?:robot|maquina|humano|persona real|ia)\b",
            r"\brobot\b",
        ),
        "fr": (
            r"\b(?:etes vous|es tu|tu es|vous etes|cest) (?:un |une )?(?:robot|machine|humain|ia)\b",
            r"\brobot\b",
        ),
        "de": (
            r"\b(?:bist du|sind sie) (?:ein |eine )?(?:roboter|maschine|mensch|echte person|ki|bot)\b",
            r"\broboter\b",
        ),
    },
    "person": {
        "en": (
            r"\b(?:real|live|actual) (?:person|human|agent)\b",
            r"\bhuman\b",
            r"\bagent\b",
            r"\brepresentative\b",
            r"\boperator\b",
            r"\b(?:talk|speak) (?:to|with) (?:someone|somebody|a person)\b",
            r"\bsomeone from\b",
        ),
        "es": (
            r"\bpersona\b",
            r"\bhumano\b",
            r"\bagente\b",
            r"\boperador[a]?\b",
            r"\basesor[a]?\b",
            r"\bhablar con alguien\b",
        ),
        "fr": (
            r"\bquelquun\b",
            r"\bconseill(?:er|ere)\b",
            r"\bhumain\b",
            r"\bune (?:vraie )?personne\b",
            r"\bagent\b",
            r"\boperat(?:eur|rice)\b",
        ),
        "de": (
            r"\bmensch(?:en)?\b",
            r"\bmitarbeiter(?:in)?\b",
            r"\becht(?:e|en) person\b",
            r"\bjemand(?:en)?\b",
            r"\bberater(?:in)?\b",
        ),
    },
    "who": {
        "en": (
            r"\bwho (?:is|are) (?:this|you|calling|speaking)\b",
            r"\bwhos (?:this|calling)\b",
            r"\bwhat is this (?:about|regarding)\b",
            r"\bwhy are you calling\b",
            r"\bwho is it\b",
        ),
        "es": (
            r"\bquien (?:habla|es|llama|eres)\b",
            r"\bde donde (?:llama|me llama)\b",
            r"\bpor que me llama",
        ),
        "fr": (
            r"\bqui est ce\b",
            r"\bqui etes vous\b",
            r"\bcest qui\b",
            r"\bqui (?:appelle|parle)\b",
            r"\bpourquoi (?:vous )?m?appelez\b",
        ),
        "de": (
            r"\bwer (?:ist da|sind sie|spricht|ruft an|ist das)\b",
            r"\bworum geht es\b",
            r"\bwarum rufen sie an\b",
        ),
    },
    "discount": {
        "en": (
            # "zip code", "security code" and the like are not discount codes.
            r"(?<!zip )(?<!area )(?<!post )(?<!postal )(?<!security )(?<!verification )\bcodes?\b"
            r"(?! (?:postal|de securite|de seguridad))",
            r"\bdiscount(?:s|ed)?\b",
            r"\bcoupons?\b",
            r"\bpromo(?:tion(?:al)?)?s?\b",
            r"\bvouchers?\b",
            r"\b\d{1,3} (?:percent |per cent )?off\b",  # "10% off": normalise() drops the "%"
            r"\bpercent off\b",
        ),
        "es": (
            r"\bcodigos?\b(?! (?:postal|de seguridad))",
            r"\bdescuentos?\b",
            r"\bcupon(?:es)?\b",
            r"\bpromocion(?:es)?\b",
            r"\brebajas?\b",
        ),
        "fr": (
            r"\breductions?\b",
            r"\bremises?\b",
            r"\bbons? dachat\b",
            r"\brabais\b",
        ),
        "de": (
            r"\brabatt\w*",
            r"\bgutschein\w*",
            r"\bnachlass\b",
            r"\bprozente\b",
            r"\bermassigung\b",
        ),
    },
    # Questions about shipping, not complaints about its cost ("the shipping is too expensive").
    "shipping_question": {
        "en": (
            r"\b(?:do|can|will|would) you (?:ship|deliver)\b",
            r"\b(?:does|do|can|will) (?:it|they|this|my order|the order) (?:ship|deliver|arrive|get here)\b",
            r"\bship(?:s|ping)? (?:internationally|abroad|overseas|worldwide)\b",
            r"^(?:ship|shipping|delivery) to\b",
            r"\bhow (?:long|soon|fast)\b.*\b(?:ship(?:ping|ped)?|deliver(?:y|ed)?|arrive|get here)\b",
            r"\bwhen (?:will|would|does|do|can)\b.*\b(?:arrive|ship|shipped|delivered|get it)\b",
            r"\bhow much (?:is|are|does|for|would)\b.*\b(?:shipping|delivery|postage)\b",
            r"\bwhat(?:s| is| are| does| would)\b.*\b(?:shipping|delivery|postage)\b",
            r"\bfree (?:shipping|delivery)\b",
            r"\bdelivery times?\b",
        ),
        "es": (
            r"\b(?:hacen|hace|haces|realizan) (?:envios|entregas)\b",
            r"\b(?:envian|envias|mandan|entregan) (?:a|al|hasta)\b",
            r"\bcuanto (?:tarda|tardan|demora|cuesta|vale|es)\b.*\b(?:envio|entrega|llegar)\b",
            r"\bcuando (?:llega|llegaria|llegara|recibo|recibiria|lo recibo|la recibo)\b",
            r"\benvio (?:gratis|gratuito)\b",
            r"\benvios? internacional\w*\b",
            r"\b(?:plazo|tiempo) de entrega\b",
        ),
        "fr": (
            r"\b(?:livrez|expediez) vous\b",
            r"\bvous (?:livrez|expediez)\b",
            r"\blivraison (?:gratuite|offerte|internationale)\b",
            r"\b(?:combien|quel|quels|quelle|quelles)\b.*\b(?:livraison|frais de port|delais?)\b",
            r"\bdelais? de livraison\b",
            r"\bquand\b.*\b(?:recevoir|recevrai|arrive|arrivera|livre|livree)\b",
        ),
        "de": (
            r"\b(?:liefern|versenden|verschicken) sie\b",
            r"\b(?:liefert|versendet|verschickt) ihr\b",
            r"\bwie lange dauert\b",
            r"\bwann (?:kommt|kommen|wird|erhalte|bekomme)\b",
            r"\b(?:was|wie viel|wieviel) kostet (?:der|die) (?:versand|lieferung)\b",
            r"\bwas kosten die versandkosten\b",
            r"\bversandkostenfrei\b",
            r"\bkostenlose[rn]? (?:versand|lieferung)\b",
            r"\blieferzeit\w*",
        ),
    },
    # Questions about how to pay, not trouble paying ("my card was declined").
    "payment_question": {
        "en": (
            r"\b(?:do|does|can|will) (?:you|they|the store) (?:take|accept|support|allow|offer)\b",
            r"\b(?:can|could|may) i (?:pay|split)\b",
            r"\bpayment (?:methods?|options?)\b",
            r"\bways to pay\b",
            r"\bhow (?:can|do) i pay\b",
            r"\b(?:klarna|afterpay|affirm|clearpay|sezzle|apple pay|google pay|pay later)\b",
            r"\b(?:in )?(?:installments?|instalments?)\b",
        ),
        "es": (
            r"\b(?:aceptan|acepta|admiten|admite)\b",
            r"(?<!no )\bpuedo pagar\b",
            r"\bse puede pagar\b",
            r"\b(?:metodos?|formas?|medios?) de pago\b",
            r"\ba plazos\b",
            r"\bmeses sin intereses\b",
        ),
        "fr": (
            r"\bacceptez vous\b",
            r"\bvous acceptez\b",
            r"\b(?:peut on|puis je|je peux) payer\b",
            r"\b(?:moyens?|modes?) de paiement\b",
            r"\ben (?:plusieurs|\d) fois\b",
        ),
        "de": (
            r"\b(?:akzeptieren|nehmen) sie\b",
            r"\bkann (?:ich|man)\b.*\b(?:zahlen|bezahlen)\b",
            r"\bzahlungs(?:methode|art|moglichkeit|option)\w*",
            r"\bratenzahlung\b",
            r"\bauf rechnung\b",
        ),
    },
    "shipping": {
        "en": (r"\bshipping\b", r"\bdelivery (?:fee|cost|charge)s?\b", r"\bpostage\b", r"\bfreight\b"),
        "es": (r"\benvio\b", r"\bgastos de envio\b", r"\bcostos? de envio\b", r"\bentrega\b"),
        "fr": (r"\blivraison\b", r"\bfrais de port\b", r"\bexpedition\b"),
        "de": (r"\bversand(?:kosten)?\b", r"\bporto\b", r"\bliefer(?:kosten|gebuhr)\b"),
    },
    "price": {
        "en": (
            r"\b(?:too )?expensive\b",
            r"\bprice\b",
            r"\bcosts? (?:too )?much\b",
            r"\bcheaper\b",
            r"\bcant afford\b",
            r"\bpricey\b",
        ),
        "es": (
            r"\bcaro\b",
            r"\bprecio\b",
            r"\bcuesta (?:mucho|demasiado)\b",
            r"\bmas barato\b",
        ),
        "fr": (
            r"\bcher\b",
            r"\bprix\b",
            r"\bcoute trop\b",
            r"\bmoins cher\b",
        ),
        "de": (r"\bteuer\b", r"\bpreis\b", r"\bkostet (?:zu )?viel\b", r"\bgunstiger\b"),
    },
    "payment": {
        "en": (
            r"\bpayment\b",
            r"\bcard (?:was )?(?:declined|rejected|didnt work|failed)\b",
            r"\bcouldnt pay\b",
            r"\bcant pay\b",
            r"\bpaypal\b",
            r"\bcheckout (?:didnt work|failed|broke)\b",
            r"\bdeclined\b",
        ),
        "es": (r"\bpago\b", r"\btarjeta\b", r"\bno (?:pude|puedo) pagar\b", r"\brechaz"),
        "fr": (r"\bpaiement\b", r"\bcarte\b", r"\bpas pu payer\b", r"\brefuse"),
        "de": (r"\bzahlung\b", r"\bkarte\b", r"\bnicht bezahlen\b", r"\babgelehnt\b", r"\bpaypal\b"),
    },
    "product_question": {
        "en": (
            r"\bquestion\b",
            r"\bsize\b",
            r"\bsizes\b",
            r"\bcolou?rs?\b",
            r"\bmaterial\b",
            r"\bdoes it\b",
            r"\bis it (?:waterproof|available|in stock)\b",
            r"\bin stock\b",
            r"\bwhat is it made\b",
        ),
        "es": (r"\bpregunta\b", r"\btalla\b", r"\bcolor\b", r"\bmaterial\b", r"\bduda\b"),
        "fr": (r"\bquestion\b", r"\btaille\b", r"\bcouleur\b", r"\bmatiere\b"),
        "de": (r"\bfrage\b", r"\bgrosse\b", r"\bfarbe\b", r"\bmaterial\b"),
    },
    "send_link": {
        "en": (r"\blink\b",),
        "es": (r"\benlace\b", r"\blink\b"),
        "fr": (r"\blien\b",),
        "de": (r"\blink\b",),
    },
    "not_now": {
        "en": (
            r"\bbusy\b",
            r"\bnot (?:right )?now\b",
            r"\bnot a good time\b",
            r"\blater\b",
            r"\bcall (?:me )?back\b",
            r"\bin a meeting\b",
            r"\bdriving\b",
        ),
        "es": (
            r"\bahora no\b",
            r"\bocupad[oa]\b",
            r"\bmas tarde\b",
            r"\bluego\b",
            r"\bllam(?:a|e)me\b",
            r"\bvuelva a llamar\b",
            r"\bno es buen momento\b",
        ),
        "fr": (r"\bpas maintenant\b", r"\boccupee?\b", r"\bplus tard\b", r"\brappel", r"\bpas le moment\b"),
        "de": (
            r"\bnicht jetzt\b",
            r"\bbeschaftigt\b",
            r"\bspater\b",
            r"\bkeine zeit\b",
            r"\bzuruckrufen\b",
            r"\bruf(?:en sie)? mich\b",
        ),
    },
    # Not an intent of its own (it is not in _ORDER): whether a "not now" asks for a call, see mentions().
    "call": {
        "en": (r"\bcall\w*", r"\bphone me\b", r"\bring me\b"),
        "es": (r"\bllam\w*",),
        "fr": (r"\b(?:rappel|appel)\w*",),
        "de": (r"\b(?:ruf|anruf|zuruckruf)\w*", r"\btelefonier\w*"),
    },
    "no": {
        "en": (
            r"^no\b",
            r"\bnope\b",
            r"\bno thanks?\b",
            r"\bnot interested\b",
            r"\bthats (?:all|it)\b",
            r"\bnothing else\b",
            r"\bim good\b",
            r"\bdont want\b",
            r"\bno thank you\b",
            r"^nah\b",
        ),
        "es": (r"^no\b", r"\bno gracias\b", r"\beso es todo\b", r"\bnada mas\b", r"\bno me interesa\b"),
        "fr": (
            r"^non\b",
            r"\bnon merci\b",
            r"\bcest tout\b",
            r"\bpas interesse",
            r"\brien dautre\b",
            r"\bca ira\b",
        ),
        "de": (
            r"^nein\b",
            r"^nee\b",
            r"\bnein danke\b",
            r"\bdas (?:wars|ist alles)\b",
            r"\bkein interesse\b",
            r"\bnichts mehr\b",
            r"\bnicht notig\b",
        ),
    },
    "yes": {
        "en": (
            r"\byes\b",
            r"\byeah\b",
            r"\byep\b",
            r"\byup\b",
            r"\bsure\b",
            r"\bok\b",
            r"\bokay\b",
            r"\bplease\b",
            r"\bid (?:love|like)\b",
            r"\bi would like\b",
            r"\bsounds good\b",
            r"\bof course\b",
            r"\bgo ahead\b",
            r"\babsolutely\b",
            r"\bfinish (?:my|the) order\b",
            r"\bsend it\b",
            r"\bright\b",
            r"\bcorrect\b",
            r"\bdefinitely\b",
        ),
        "es": (
            r"^si\b",
            r"\bsi\b(?! (?:me|le|puede|pudiera))",
            r"\bclaro\b",
            r"\bvale\b",
            r"\bde acuerdo\b",
            r"\bpor favor\b",
            r"\bquiero\b",
            r"\bme gustaria\b",
            r"\bperfecto\b",
            r"\bbien\b",
        ),
        "fr": (
            r"\boui\b",
            r"\bdaccord\b",
            r"\bdac\b",
            r"\bvolontiers\b",
            r"\bbien sur\b",
            r"\bok\b",
            r"\bokay\b",
            r"\bje veux bien\b",
            r"\bavec plaisir\b",
            r"\bsil vous plait\b",
            r"\bparfait\b",
            r"\bje voudrais\b",
        ),
        "de": (
            r"^ja\b",
            r"\bja\b",
            r"\bgerne?\b",
            r"\bokay\b",
            r"\bok\b",
            r"\bklar\b",
            r"\bnaturlich\b",
            r"\bbitte\b",
            r"\beinverstanden\b",
            r"\bgenau\b",
            r"\bsehr gut\b",
        ),
    },
    # A bare thank-you ("thanks!" after the link): last in _ORDER, so "no thanks" stays a no.
    "thanks": {
        "en": (r"\bthanks?\b", r"\bthank you\b", r"\bthx\b", r"\bcheers\b", r"\bmuch appreciated\b"),
        "es": (r"\bgracias\b", r"\bmil gracias\b"),
        "fr": (r"\bmerci\b",),
        "de": (r"\bdanke\b", r"\bvielen dank\b", r"\bdankeschon\b"),
    },
}

# First match wins. Stop comes first ("no, stop calling me" is an opt-out); the statements that end
# the call come next; a request for a code before the complaints it often comes with ("too expensive,
# got a code?"); questions before the complaints that share their words ("how much is shipping?" is
# not "shipping is too much"); objections before yes/no, so "yes but the shipping is too expensive" is
# heard.
_ORDER = (
    "stop",
    "wrong_number",
    "already_bought",
    "robot",
    "person",
    "who",
    "discount",
    "shipping_question",
    "payment_question",
    "shipping",
    "price",
    "payment",
    "product_question",
    "send_link",
    "not_now",
    "no",
    "yes",
    "thanks",
)
# A link request said in the negative ("I don't want the link") is not a request.
_NEGATED_LINK = re.compile(r"\b(?:dont|do not|no quiero|pas besoin|ne veux pas|nicht|kein|keinen)\b")
# Nor is "I don't need a code"; narrower than for the link, since "gibt es keinen Rabatt?" asks for one.
_NEGATED_DISCOUNT = re.compile(
    r"\b(?:dont|do not) (?:want|need)\b|\bno (?:quiero|necesito)\b|\bpas besoin\b|\bne veux pas\b"
    r"|\b(?:brauche|will|mochte) (?:ich )?(?:keinen|kein|keine)\b"
)
# Intents that report another objection than their own name (see types.OBJECTIONS): asking for a
# code is a price objection, a question about shipping or paying counts where its complaint would.
_IMPLIED_OBJECTIONS = {"discount": "price", "shipping_question": "shipping", "payment_question": "payment"}

_COMPILED = {
    intent: {language: tuple(re.compile(p) for p in patterns) for language, patterns in by_language.items()}
    for intent, by_language in _RULES.items()
}
# Answers a named time outranks: "not now, tomorrow at 6" is a callback request.
_ANSWERS = ("not_now", "no", "yes", "thanks")


def classify(text: str, language: str) -> str:
    """The rules intent of one utterance (see _ORDER), "callback" when it names a time, else UNKNOWN."""
    language = supported(language)
    normalised = normalise(text, language)
    if not normalised:
        return UNKNOWN
    if _matches("stop", normalised, language, every_language=True):
        return "stop"
    names_time = has_time(normalised, language)
    for intent in _ORDER[1:]:
        if intent in _ANSWERS and names_time:
            return "callback"  # "not now, tomorrow at 6" and "tomorrow at 10 am" name a time
        if _matches(intent, normalised, language):
            if intent == "send_link" and _NEGATED_LINK.search(normalised):
                return "no"
            if intent == "discount" and _NEGATED_DISCOUNT.search(normalised):
                continue  # "I don't need a code, just the link": the rest of the sentence decides
            return intent
    return "callback" if names_time else UNKNOWN


def classify_utterance(text: str, digits: str, language: str) -> str:
    """Like classify(), with keypad digits first: 9 opts out at any point, 1 is yes, 2 is no."""
    digits = (digits or "").strip()
    if DIGIT_OPT_OUT in digits:
        return "stop"
    if digits in DIGIT_INTENTS:
        return DIGIT_INTENTS[digits]
    return classify(text, language)


def mentions(intent: str, text: str, language: str) -> bool:
    """Whether the text has the words of `intent` anywhere, whatever classify() decided it means."""
    language = supported(language)
    return _matches(intent, normalise(text, language), language)


def objection_of(intent: str) -> str | None:
    """The objection (one of types.OBJECTIONS) an intent reports, or None when it objects to nothing."""
    if intent in OBJECTIONS:
        return intent
    return _IMPLIED_OBJECTIONS.get(intent)


def is_opt_out(text: str, language: str | None = None) -> bool:
    """Whether the text asks to stop all contact: in `language`, or in any supported one when None."""
    languages = SUPPORTED_LANGUAGES if language is None else (supported(language),)
    return any(_matches("stop", normalise(text, lang), lang, every_language=True) for lang in languages)


def _matches(intent: str, normalised: str, language: str, *, every_language: bool = False) -> bool:
    by_language = _COMPILED[intent]
    # Shoppers mix in English ("ok", "stop"); an opt-out is honoured in whichever language it comes.
    languages = SUPPORTED_LANGUAGES if every_language else dict.fromkeys((language, "en"))
    return any(p.search(normalised) for lang in languages for p in by_language.get(lang, ()))
