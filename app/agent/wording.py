"""Values put into words for the shopper: the cart, the total, a callback time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from app.agent.phrases import phrase, words
from app.agent.times import zone_of
from app.agent.types import CartLine, Context

# The greeting names this many cart lines, then "and N more items": longer lists lose the listener.
CART_LINES_NAMED = 2
# Beyond this many days ahead a callback is named by date rather than weekday.
WEEKDAY_HORIZON_DAYS = 6

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def cart_summary(context: Context) -> str:
    """ "2 Red Hats and 1 Blue Scarf, $120.00 in total," in the context's language."""
    language = context.language
    named = [_line(line, language) for line in context.lines[:CART_LINES_NAMED]]
    rest = sum(1 for _ in context.lines[CART_LINES_NAMED:])
    if rest:
        key = "more_items_1" if rest == 1 else "more_items"
        named.append(phrase(language, key, count=rest))
    items = _join_items(named, language) if named else phrase(language, "some_items")
    total = money(context.total, context.currency, language)
    if total is None:
        return items
    return phrase(language, "cart_with_total", items=items, total=total)


def money(amount: str, currency: str, language: str) -> str | None:
    """ "$120.00" (en) or "120,00 €" (es/fr/de); None for a missing or zero amount."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return None
    if value <= 0:
        return None
    code = (currency or "").upper()
    text = f"{value:.2f}"
    if language == "en":
        symbol = _SYMBOLS.get(code)
        return f"{symbol}{text}" if symbol else f"{text} {code}".strip()
    unit = "€" if code == "EUR" else code  # TTS in es/fr/de reads "€" well, other symbols less so
    return f"{text.replace('.', ',')} {unit}".strip()


def when_in_words(at: datetime, context: Context) -> str:
    """ "tomorrow at 6 pm", "mañana a las 18:00", "demain à 18 h", "morgen um 18 Uhr"."""
    language = context.language
    zone = zone_of(context.timezone)
    local = at.astimezone(zone)
    days = (local.date() - context.now.astimezone(zone).date()).days
    if days == 0:
        day = phrase(language, "today")
    elif days == 1:
        day = phrase(language, "tomorrow")
    elif days <= WEEKDAY_HORIZON_DAYS:
        day = phrase(language, "on_weekday", weekday=words(language, "weekdays")[local.weekday()])
    else:
        month = words(language, "months")[local.month - 1]
        day = phrase(language, "on_date", day=local.day, month=month)
    return f"{day} {_clock(local, language)}"


def _clock(local: datetime, language: str) -> str:
    hour, minute = local.hour, local.minute
    if language == "en":
        twelve = hour % 12 or 12
        suffix = "am" if hour < 12 else "pm"
        return f"at {twelve}:{minute:02d} {suffix}" if minute else f"at {twelve} {suffix}"
    if language == "es":
        return f"a las {hour}:{minute:02d}"
    if language == "fr":
        return f"à {hour} h {minute:02d}" if minute else f"à {hour} h"
    if language == "de":
        return f"um {hour}:{minute:02d} Uhr" if minute else f"um {hour} Uhr"
    return f"{hour}:{minute:02d}"


def _line(line: CartLine, language: str) -> str:
    quantity = max(line.quantity, 1)
    title = line.title.strip()
    if language == "en" and quantity > 1:
        title = _plural_en(title)
    return f"{quantity} {title}"


def _plural_en(title: str) -> str:
    # Good enough for product titles read aloud; a wrong plural beats a wrong language.
    if not title or not title[-1].isalpha() or title.endswith("s"):
        return title
    if title.endswith(("x", "ch", "sh", "z")):
        return title + "es"
    if title.endswith("y") and len(title) > 1 and title[-2].lower() not in "aeiou":
        return title[:-1] + "ies"
    return title + "s"


def _join_items(items: list[str], language: str) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {phrase(language, 'and')} {items[-1]}"
