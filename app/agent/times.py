"""Read a callback time ("tomorrow at 6 pm", "mañana a las seis", "demain à 18h", "in 2 Stunden")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# A bare hour from 1 to 7 with no am/pm is an afternoon or evening hour: nobody asks for a 3 am call.
BARE_HOUR_PM_UNTIL = 7
# Hours used when the shopper names only a day or a part of it ("tomorrow", "this evening").
DEFAULT_HOUR = {"day": 10, "morning": 10, "afternoon": 15, "evening": 19}

_WEEKDAYS = {
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "es": ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "de": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"),
}

# Whole-word patterns on normalised text; order matters where one contains another.
_DAY_AFTER_TOMORROW = re.compile(r"\b(day after tomorrow|pasado manana|apres demain|ubermorgen)\b")
_TOMORROW = re.compile(r"\b(tomorrow|manana|demain|morgen)\b")
# "por la mañana" is "in the morning", not "tomorrow": removed before looking for the day.
_MORNING_NOT_TOMORROW = re.compile(r"\b(?:por|de|en) la manana\b|\bam morgen\b")
_TODAY = re.compile(
    r"\b(today|tonight|this (?:morning|afternoon|evening)|hoy|esta (?:tarde|noche)|"
    r"aujourdhui|ce soir|cet apres midi|ce matin|heute)\b"
)
_PARTS = (
    ("evening", re.compile(r"\b(tonight|evening|night|noche|soir|soiree|abend|abends)\b")),
    ("afternoon", re.compile(r"\b(afternoon|tarde|apres midi|nachmittag|nachmittags)\b")),
    (
        "morning",
        re.compile(r"\b(morning|(?:por|de|en) la manana|matin|vormittags?|fruh|morgens|am morgen)\b"),
    ),
)
# "más tarde" is "later", not "in the afternoon" ("tarde"): removed before looking for the part of day.
_LATER_NOT_AFTERNOON = re.compile(r"\b(?:mas|muy|un poco|un poco mas) tarde\b")
_NOON = re.compile(r"\b(noon|midday|mediodia|midi|mittag)\b")
_RELATIVE = re.compile(
    r"\b(?:in|en|dans)\s+(?:(\d{1,3})|an?|una|une|einer|einem)\s+"
    r"(hours?|hrs?|horas?|heures?|stunden?|minutes?|mins?|minutos?|minuten?)\b"
)
_HALF_HOUR = re.compile(r"\b(in half an hour|en media hora|dans une demi heure|in einer halben stunde)\b")
_AM_PM = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a m|p m)\b")
_FR_CLOCK = re.compile(r"\b(\d{1,2})\s*(?:h|heures?)(?:\s*(\d{2}))?\b")
_DE_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*uhr(?:\s+(\d{2})\b)?")
_OCLOCK = re.compile(r"\b(\d{1,2})\s*oclock\b")
_AT_CLOCK = re.compile(
    r"\b(?:at|around|about|a las|a la|sobre las|hacia las|a|vers|um|gegen)\s+(\d{1,2})(?::(\d{2}))?\b"
)
_COLON_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    meridiem: str | None = None  # "am" | "pm" when said


def parse_when(text: str, language: str, now: datetime, tz_name: str) -> datetime | None:
    """The aware UTC instant a normalised utterance names, or None when it names no time."""
    relative = _relative(text)
    if relative is not None:
        return now.astimezone(UTC) + relative
    zone = zone_of(tz_name)
    local_now = now.astimezone(zone)
    day = _day(text, language, local_now.date())
    part = _part_of_day(text)
    clock = _clock(text) or (_Clock(12, 0) if _NOON.search(text) else None)
    if clock is None and day is None and part is None:
        return None
    if clock is None:
        clock = _Clock(DEFAULT_HOUR[part or "day"], 0)
    hour = _hour_of_day(clock, part)
    if not (0 <= hour <= 23 and 0 <= clock.minute <= 59):
        return None
    local = datetime.combine(day or local_now.date(), datetime.min.time(), zone).replace(
        hour=hour, minute=clock.minute
    )
    if day is None and local <= local_now:
        local += timedelta(days=1)  # a time already past today, with no day named, means tomorrow
    if local <= local_now:
        return None
    return local.astimezone(UTC)


def has_time(text: str, language: str) -> bool:
    """Whether a normalised utterance names a time at all (for intent classification)."""
    probe = datetime(2000, 1, 3, 12, tzinfo=UTC)
    return parse_when(text, language, probe, "UTC") is not None


def zone_of(tz_name: str) -> ZoneInfo | timezone:
    """The IANA zone by name; UTC when the name is unknown (a wrong hour beats a crash)."""
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _relative(text: str) -> timedelta | None:
    if _HALF_HOUR.search(text):
        return timedelta(minutes=30)
    match = _RELATIVE.search(text)
    if match is None:
        return None
    amount = int(match[1]) if match[1] else 1
    if match[2].startswith(("h", "s")):
        return timedelta(hours=amount)
    return timedelta(minutes=amount)


def _day(text: str, language: str, today: date) -> date | None:
    if _DAY_AFTER_TOMORROW.search(text):
        return today + timedelta(days=2)
    if _TOMORROW.search(_MORNING_NOT_TOMORROW.sub(" ", text)):
        return today + timedelta(days=1)
    for names in (_WEEKDAYS.get(language, ()), _WEEKDAYS["en"]):
        for weekday, name in enumerate(names):
            if re.search(rf"\b{name}\b", text):
                ahead = (weekday - today.weekday()) % 7 or 7  # "on Monday" said on a Monday: next week
                return today + timedelta(days=ahead)
    if _TODAY.search(text):
        return today
    return None


def _part_of_day(text: str) -> str | None:
    text = _LATER_NOT_AFTERNOON.sub(" ", text)
    for part, pattern in _PARTS:
        if pattern.search(text):
            return part
    return None


def _clock(text: str) -> _Clock | None:
    match = _AM_PM.search(text)
    if match:
        return _Clock(int(match[1]), int(match[2] or 0), "am" if match[3].startswith("a") else "pm")
    match = _DE_CLOCK.search(text)
    if match:
        return _Clock(int(match[1]), int(match[2] or match[3] or 0))
    match = _FR_CLOCK.search(text)
    if match:
        return _Clock(int(match[1]), int(match[2] or 0))
    for pattern in (_OCLOCK, _COLON_CLOCK, _AT_CLOCK):
        match = pattern.search(text)
        if match:
            minute = int(match[2]) if match.re.groups >= 2 and match[2] else 0
            return _Clock(int(match[1]), minute)
    return None


def _hour_of_day(clock: _Clock, part: str | None) -> int:
    hour = clock.hour
    if clock.meridiem == "am":
        return 0 if hour == 12 else hour
    if clock.meridiem == "pm":
        return hour if hour == 12 else hour + 12
    if hour < 12 and part in ("afternoon", "evening"):
        return hour + 12
    if part is None and 1 <= hour <= BARE_HOUR_PM_UNTIL:
        return hour + 12
    return hour
