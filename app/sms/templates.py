"""The SMS recovery text: per language, editable by the merchant, kept within their segment limit.

Only the cart summary is ever shortened to fit; the store's name, the link and the opt-out line are
always in the text, even when that leaves it over the limit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from app.sms import segments

FALLBACK_LANGUAGE = "en"
PLACEHOLDERS = ("store", "first_name", "cart", "link")
MAX_TEMPLATE_LENGTH = 480  # three concatenated GSM-7 parts: room for a long text, not a newsletter
MAX_TITLE_LENGTH = 40
MAX_STORE_LENGTH = 80  # as `store_display_name`
MAX_NAMED_ITEMS = 3  # past this the summary says "and N more" even when the limit would allow more
ELLIPSIS = "..."  # "…" is not GSM-7: it alone would double the cost of the text

# Written in GSM-7 (no á, í, ó, ú, ç, ê …): a single such letter makes the whole text UCS-2, which
# holds 70 characters a segment instead of 160. So the Spanish lines avoid accented words.
DEFAULT_TEMPLATES = {
    "en": "{store}: Hi {first_name}, you left {cart} in your cart. Finish your order here: {link}",
    "es": "{store}: Hola {first_name}, dejaste {cart} en tu carrito. Completa tu compra en {link}",
    "fr": "{store} : Bonjour {first_name}, vous avez laissé {cart} dans votre panier. "
          "Finalisez votre commande ici : {link}",
    "de": "{store}: Hallo {first_name}, Sie haben {cart} im Warenkorb gelassen. "
          "Jetzt Bestellung abschließen: {link}",
}
# As in app.sms.texts; all GSM-7 (Spanish "no recibir más" would not be: á is outside it).
OPT_OUT = {
    "en": "Reply STOP to opt out.",
    "es": "Responde STOP para darte de baja.",
    "fr": "Répondez STOP pour vous désabonner.",
    "de": "Antworten Sie STOP zum Abmelden.",
}
# Put before a merchant's template that does not name the store (French sets a space before ":").
STORE_PREFIX = {"fr": "{store} : "}
DEFAULT_STORE_PREFIX = "{store}: "
# Without a first name, "Hi {first_name}," reads "Hi there,"; any other word simply loses the name
# ("Hola,", "Bonjour,", "Hallo,", "Thanks!").
NAMELESS_AFTER = {"en": {"hi": "there", "hello": "there", "hey": "there"}}


@dataclass(frozen=True)
class CartWords:
    conjunction: str
    more: tuple[str, str]   # one, several: "and {n} more item(s)"
    count: tuple[str, str]  # one, several: "{n} item(s)"
    generic: str


CART_WORDS = {
    "en": CartWords("and", ("{n} more item", "{n} more items"), ("{n} item", "{n} items"), "your items"),
    "es": CartWords("y", ("{n} producto adicional", "{n} productos adicionales"),
                    ("{n} producto", "{n} productos"), "tus productos"),
    "fr": CartWords("et", ("{n} autre article", "{n} autres articles"), ("{n} article", "{n} articles"),
                    "vos articles"),
    "de": CartWords("und", ("{n} weiterer Artikel", "{n} weitere Artikel"), ("{n} Artikel", "{n} Artikel"),
                    "Ihre Artikel"),
}

_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_ANY_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# The merchant's template already says how to opt out (checked on the template, never on the
# rendered text: a product called "STOP" must not drop the line).
_OPT_OUT_WORD = re.compile(r"\bSTOP\b")
_NAME_AFTER_WORD = re.compile(r"(\w+)[ \t]*\{first_name\}")
_NAME_ALONE = re.compile(r"\{first_name\}[ \t]*[,!]?[ \t]*")
# Dropped from shoppers' and merchants' data: control and format characters (bidi overrides,
# zero-width marks) and lone surrogates, which no carrier can carry.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs"})


@dataclass(frozen=True)
class Rendered:
    body: str
    encoding: str
    segments: int
    units: int
    limit: int
    within_limit: bool


def render_recovery(settings: Mapping, language: str, *, store: str, first_name: str | None,
                    lines: Sequence[tuple[str, int]], link: str, first_text: bool = True) -> Rendered:
    """The recovery text for one shopper, its cart summary shortened until it fits the limit.

    `settings` are the shop's resolved settings; `lines` are (title, quantity). The opt-out line is
    carried whether or not this is the first text (`first_text`): any text may be the one a shopper
    reads first, and carriers audit recovery texts for it.
    """
    language = _language(language)
    template = _template(settings, language)
    limit = settings["sms_max_segments"]
    values = {"store": clean_text(store, MAX_STORE_LENGTH),
              "first_name": clean_text(first_name or "", MAX_TITLE_LENGTH), "link": link}
    candidates = []
    for cart in cart_summaries(lines, language):
        body = _fill(template, language, {**values, "cart": cart})
        counted = segments.count(body)
        if counted.segments <= limit:
            return _rendered(body, counted, limit)
        candidates.append((body, counted))
    body, counted = min(candidates, key=lambda candidate: (candidate[1].segments, candidate[1].units))
    return _rendered(body, counted, limit)


def cart_summaries(lines: Sequence[tuple[str, int]], language: str) -> Iterator[str]:
    """From longest to shortest: named items, fewer named, a count, then the generic phrase."""
    words = CART_WORDS[_language(language)]
    items = [(clean_text(title, MAX_TITLE_LENGTH), max(int(quantity), 1)) for title, quantity in lines]
    named = [(title, quantity) for title, quantity in items if title]
    total = sum(quantity for _, quantity in items)
    for shown in range(min(len(named), MAX_NAMED_ITEMS), 0, -1):
        yield _summary(named[:shown], total - sum(q for _, q in named[:shown]), words)
    if total:
        yield _plural(words.count, total)
    yield words.generic


def check_template(value: object) -> str:
    """A merchant's template, stripped; ValueError with what is wrong, in words a merchant reads."""
    if not isinstance(value, str):
        raise ValueError("must be text")
    text = value.replace("\r\n", "\n").strip()
    if not 1 <= len(text) <= MAX_TEMPLATE_LENGTH:
        raise ValueError(f"must be 1 to {MAX_TEMPLATE_LENGTH} characters")
    if any(unicodedata.category(ch) in _UNPRINTABLE and ch != "\n" for ch in text):
        raise ValueError("must not contain control characters (line breaks are fine)")
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    unknown = [name for name in _ANY_PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0][:20]}}}; the placeholders are {known}")
    if set("{}") & set(_PLACEHOLDER.sub("", text)):
        raise ValueError(f"braces may only surround a placeholder: {known}")
    if "{link}" not in text:
        raise ValueError("must contain {link}, the shopper's link back to their checkout")
    return text


def clean_text(value: str, max_length: int) -> str:
    """Shopper or merchant data made safe for a text: printable, one line, at most `max_length`."""
    kept = (" " if ch.isspace() else ch for ch in value
            if ch.isspace() or unicodedata.category(ch) not in _UNPRINTABLE)
    text = " ".join("".join(kept).split())
    if len(text) <= max_length:
        return text
    return text[:max_length - len(ELLIPSIS)].rstrip() + ELLIPSIS


def _language(language: str | None) -> str:
    """"es-MX" reads Spanish; a language without wording reads English."""
    primary = (language or "").split("-")[0].split("_")[0].lower()
    return primary if primary in DEFAULT_TEMPLATES else FALLBACK_LANGUAGE


def _template(settings: Mapping, language: str) -> str:
    """The merchant's template for the language, the store's name put first if it lacks one."""
    template = (settings.get("sms_templates") or {}).get(language) or DEFAULT_TEMPLATES[language]
    if "{store}" not in template:
        template = STORE_PREFIX.get(language, DEFAULT_STORE_PREFIX) + template
    return template


def _fill(template: str, language: str, values: Mapping[str, str]) -> str:
    """One pass over the placeholders, so data containing "{link}" is never read as one."""
    text = template if values["first_name"] else _without_name(template, language)
    body = _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
    if not _OPT_OUT_WORD.search(template):
        body = f"{body} {OPT_OUT[language]}"
    return body


def _without_name(template: str, language: str) -> str:
    """"Hi {first_name}," becomes "Hi there,", "Hola {first_name}," "Hola,"; "{first_name}, you…" "you…"."""
    fillers = NAMELESS_AFTER.get(language, {})

    def after_word(match: re.Match) -> str:
        word = match.group(1)
        filler = fillers.get(word.lower())
        return f"{word} {filler}" if filler else word

    return _NAME_ALONE.sub("", _NAME_AFTER_WORD.sub(after_word, template))


def _summary(named: Sequence[tuple[str, int]], more: int, words: CartWords) -> str:
    """"Linen shirt, Canvas tote x2 and 1 more item" (an ASCII "x": "×" is not GSM-7)."""
    parts = [f"{title} x{quantity}" if quantity > 1 else title for title, quantity in named]
    if more:
        parts.append(_plural(words.more, more))
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {words.conjunction} {parts[-1]}"


def _plural(forms: tuple[str, str], n: int) -> str:
    return (forms[0] if n == 1 else forms[1]).format(n=n)


def _rendered(body: str, counted: segments.Segments, limit: int) -> Rendered:
    return Rendered(body=body, encoding=counted.encoding, segments=counted.segments, units=counted.units,
                    limit=limit, within_limit=counted.segments <= limit)
