"""How many SMS segments a body costs, counted the way carriers and Twilio bill it.

GSM-7 (3GPP TS 23.038 default alphabet) when every character is in it, else UCS-2. A text longer than
one segment is sent as concatenated parts whose header takes room, so each part holds less. No
library on the package index does this well (shift tables aside, they are unmaintained), and the rule
is small, so it lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# TS 23.038 default alphabet (one septet each) and its extension table (escape + one septet).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[]~|€")

# Units per segment: a single message, and each part of a concatenated one (the 6-byte UDH takes
# 7 septets in GSM-7, 3 UTF-16 units in UCS-2).
SINGLE = {GSM7: 160, UCS2: 70}
CONCATENATED = {GSM7: 153, UCS2: 67}
# Beyond the Basic Multilingual Plane a character is a surrogate pair: two UTF-16 units.
BMP_LAST = 0xFFFF


@dataclass(frozen=True)
class Segments:
    """What a body costs: `units` are septets (GSM-7) or UTF-16 code units (UCS-2)."""

    encoding: str
    segments: int
    units: int
    per_segment: int
    remaining: int  # units still free in the last segment before another one is needed


def count(text: str) -> Segments:
    """Encoding, segments and units of an SMS body (0 segments for an empty one)."""
    sizes = _gsm7_sizes(text)
    encoding = GSM7 if sizes is not None else UCS2
    if sizes is None:
        sizes = [2 if ord(ch) > BMP_LAST else 1 for ch in text]
    units = sum(sizes)
    single = SINGLE[encoding]
    if units <= single:
        return Segments(encoding, 1 if units else 0, units, single, single - units)
    per_segment = CONCATENATED[encoding]
    segments, last = _pack(sizes, per_segment)
    return Segments(encoding, segments, units, per_segment, per_segment - last)


def _gsm7_sizes(text: str) -> list[int] | None:
    """Septets per character, or None when a character is outside GSM-7."""
    sizes = []
    for ch in text:
        if ch in GSM7_BASIC:
            sizes.append(1)
        elif ch in GSM7_EXTENSION:
            sizes.append(2)
        else:
            return None
    return sizes


def _pack(sizes: list[int], per_segment: int) -> tuple[int, int]:
    """Parts needed and the fill of the last one.

    A character is never split across parts: an escape stays with the character it introduces,
    and a surrogate pair stays whole (Twilio's concatenation does the same), so a part may end a
    unit short.
    """
    segments, fill = 1, 0
    for size in sizes:
        if fill + size > per_segment:
            segments, fill = segments + 1, 0
        fill += size
    return segments, fill
