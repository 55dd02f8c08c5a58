"""Wording of the texts a call promises, per language (en, es, fr, de; others English).

Every one names the store and says how to opt out: it may be the first text the number gets.
"""

from __future__ import annotations

_LINK = {
    "en": "{store}: here is the link to your cart: {url} Reply STOP to opt out.",
    "es": "{store}: este es el enlace a tu carrito: {url} Responde STOP para no recibir más mensajes.",
    "fr": "{store} : voici le lien vers votre panier : {url} Répondez STOP pour vous désabonner.",
    "de": "{store}: hier ist der Link zu Ihrem Warenkorb: {url} Antworten Sie STOP zum Abmelden.",
}
_DISCOUNT = {
    "en": "{store}: your code {code} gives {percent}% off, valid {hours} h, single use: {url} "
          "Reply STOP to opt out.",
    "es": "{store}: tu código {code} te da un {percent}% de descuento, válido {hours} h, un solo uso: "
          "{url} Responde STOP para no recibir más mensajes.",
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
