"""Wording of the texts a call promises, per language (en, es, fr, de; others English), and of
the code lines in answers to a shopper's texts.

A text a call promises names the store and says how to opt out: it may be the first the number
gets. An answer follows a text of the shopper's own, which the recovery text (that says both)
came before.
"""

from __future__ import annotations

_LINK = {
    "en": "{store}: here is the link to your cart: {url} Reply STOP to opt out.",
    "es": "{store}: este es el enlace a tu carrito: {url} Responde STOP para darte de baja.",
    "fr": "{store} : voici le lien vers votre panier : {url} Répondez STOP pour vous désabonner.",
    "de": "{store}: hier ist der Link zu Ihrem Warenkorb: {url} Antworten Sie STOP zum Abmelden.",
}
_DISCOUNT = {
    "en": "{store}: your code {code} gives {percent}% off, valid {hours} h, single use: {url} "
          "Reply STOP to opt out.",
    "es": "{store}: tu código {code} te da un {percent}% de descuento, válido {hours} h, un solo uso: "
          "{url} Responde STOP para darte de baja.",
    "fr": "{store} : votre code {code} offre {percent} % de réduction, valable {hours} h, à usage "
          "unique : {url} Répondez STOP pour vous désabonner.",
    "de": "{store}: Ihr Code {code} gibt {percent} % Rabatt, {hours} Std. gültig, einmalig: {url} "
          "Antworten Sie STOP zum Abmelden.",
}


def link(language: str, *, store: str, url: str) -> str:
    return _LINK.get(language, _LINK["en"]).format(store=store, url=url)


def discount(language: str, *, store: str, code: str, percent: int, hours: int, url: str) -> str:
    return _DISCOUNT.get(language, _DISCOUNT["en"]).format(store=store, code=code, percent=percent,
                                                           hours=hours, url=url)


# Carried at the end of an answer to a shopper's text (the agent's words come first).
_CODE_LINE = {
    "en": "Code {code}: {percent}% off, valid {hours} h, single use: {url}",
    "es": "Código {code}: {percent}% de descuento, válido {hours} h, un solo uso: {url}",
    "fr": "Code {code} : {percent} % de réduction, valable {hours} h, usage unique : {url}",
    "de": "Code {code}: {percent} % Rabatt, {hours} Std. gültig, einmalig: {url}",
}
_CODE_AGAIN = {
    "en": "Your code is still {code}: {url}",
    "es": "Tu código sigue siendo {code}: {url}",
    "fr": "Votre code reste {code} : {url}",
    "de": "Ihr Code bleibt {code}: {url}",
}
_NO_CODE = {
    "en": "Sorry, the code could not be created just now. Your cart: {url}",
    "es": "Lo siento, no se pudo crear el código ahora. Tu carrito: {url}",
    "fr": "Désolé, le code n'a pas pu être créé pour le moment. Votre panier : {url}",
    "de": "Leider konnte der Code gerade nicht erstellt werden. Ihr Warenkorb: {url}",
}


def code_line(language: str, *, code: str, percent: int, hours: int, url: str) -> str:
    return _CODE_LINE.get(language, _CODE_LINE["en"]).format(code=code, percent=percent, hours=hours, url=url)


def code_again(language: str, *, code: str, url: str) -> str:
    return _CODE_AGAIN.get(language, _CODE_AGAIN["en"]).format(code=code, url=url)


def no_code(language: str, *, url: str) -> str:
    return _NO_CODE.get(language, _NO_CODE["en"]).format(url=url)
