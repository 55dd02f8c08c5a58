"""Turn a raw utterance into comparable text: lowercase, no accents or punctuation, no fillers, digits."""

from __future__ import annotations

import re
import unicodedata

# Hesitations recognisers transcribe; they carry no intent. "also" is a German filler only.
_FILLERS = {
    "en": ("okay so", "um", "umm", "uh", "uhh", "er", "erm", "hmm", "hm", "well", "you know"),
    "es": ("pues", "este", "bueno", "eh", "em", "mmm", "o sea"),
    "fr": ("euh", "ben", "bah", "bon ben", "hein", "alors"),
    "de": ("ah", "ahm", "ahh", "also", "naja", "na ja", "hm", "tja"),
}
# German "um" means "at" ("um 18 Uhr"), so "um" is an English filler only.
_UNIVERSAL_FILLERS = ("uh", "hmm", "mmm", "euh")

# Spoken numbers a callback time needs (hours, minutes, "in two hours"). Articles such as
# "un", "una", "ein" are left alone: they are far more often articles than numbers.
_NUMBERS = {
    "en": {
        "zero": 0,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "thirteen": 13,
        "fourteen": 14,
        "fifteen": 15,
        "sixteen": 16,
        "seventeen": 17,
        "eighteen": 18,
        "nineteen": 19,
        "twenty": 20,
        "twenty one": 21,
        "twenty two": 22,
        "twenty three": 23,
        "thirty": 30,
        "forty five": 45,
    },
    "es": {
        "cero": 0,
        "dos": 2,
        "tres": 3,
        "cuatro": 4,
        "cinco": 5,
        "seis": 6,
        "siete": 7,
        "ocho": 8,
        "nueve": 9,
        "diez": 10,
        "once": 11,
        "doce": 12,
        "trece": 13,
        "catorce": 14,
        "quince": 15,
        "dieciseis": 16,
        "diecisiete": 17,
        "dieciocho": 18,
        "diecinueve": 19,
        "veinte": 20,
        "veintiuno": 21,
        "veintidos": 22,
        "veintitres": 23,
        "treinta": 30,
        "la una": "la 1",
    },
    "fr": {
        "zero": 0,
        "deux": 2,
        "trois": 3,
        "quatre": 4,
        "cinq": 5,
        "six": 6,
        "sept": 7,
        "huit": 8,
        "neuf": 9,
        "dix": 10,
        "onze": 11,
        "douze": 12,
        "treize": 13,
        "quatorze": 14,
        "quinze": 15,
        "seize": 16,
        "dix sept": 17,
        "dix huit": 18,
        "dix neuf": 19,
        "vingt": 20,
        "vingt et une": 21,
        "vingt et un": 21,
        "vingt deux": 22,
        "vingt trois": 23,
        "trente": 30,
        "quarante cinq": 45,
        "une heure": "1 heure",
    },
    "de": {
        "null": 0,
        "eins": 1,
        "zwei": 2,
        "drei": 3,
        "vier": 4,
        "funf": 5,
        "sechs": 6,
        "sieben": 7,
        "acht": 8,
        "neun": 9,
        "zehn": 10,
        "elf": 11,
        "zwolf": 12,
        "dreizehn": 13,
        "vierzehn": 14,
        "funfzehn": 15,
        "sechzehn": 16,
        "siebzehn": 17,
        "achtzehn": 18,
        "neunzehn": 19,
        "zwanzig": 20,
        "einundzwanzig": 21,
        "zweiundzwanzig": 22,
        "dreiundzwanzig": 23,
        "dreissig": 30,
        "ein uhr": "1 uhr",
    },
}

# "half past six", "seis y media", "six heures et demie", "halb sieben" (= 6:30), once digits are in.
_FRACTIONS = (
    (re.compile(r"\bhalf past (\d{1,2})\b"), lambda m: f"{m[1]}:30"),
    (re.compile(r"\bquarter past (\d{1,2})\b"), lambda m: f"{m[1]}:15"),
    (re.compile(r"\b(\d{1,2}) y media\b"), lambda m: f"{m[1]}:30"),
    (re.compile(r"\b(\d{1,2}) y cuarto\b"), lambda m: f"{m[1]}:15"),
    (re.compile(r"\b(\d{1,2}) (?:h|heures?) et demie\b"), lambda m: f"{m[1]}h30"),
    (re.compile(r"\b(\d{1,2}) (?:h|heures?) et quart\b"), lambda m: f"{m[1]}h15"),
    (re.compile(r"\bhalb (\d{1,2})\b"), lambda m: f"{(int(m[1]) - 1) % 24}:30 uhr"),
    (re.compile(r"\bviertel nach (\d{1,2})\b"), lambda m: f"{m[1]}:15 uhr"),
)

# "like" is a filler only where set off by a pause ("like, the shipping"); "I'd like" is not.
_FILLER_LIKE = re.compile(r"(?:^|(?<=[,.!?]))\s*like\b\s*,?|,\s*like\s*,")
_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[^\w:]+")
_STRAY_COLON = re.compile(r"(?<!\d):|:(?!\d)")


def normalise(text: str, language: str = "en") -> str:
    """Lowercase, accent-free, punctuation-free text with fillers dropped and spoken numbers as digits."""
    text = _fold(text)
    if language == "en":
        text = _FILLER_LIKE.sub(" ", text)
    text = _APOSTROPHES.sub("", text)  # "don't" -> "dont", "m'appelez" -> "mappelez"
    text = _NOT_WORD.sub(" ", text.replace("_", " "))
    text = _STRAY_COLON.sub(" ", text)  # keep "6:30", drop a sentence colon
    text = " ".join(text.split())
    text = _drop_fillers(text, language)
    text = _numbers_to_digits(text, language)
    for pattern, replace in _FRACTIONS:
        text = pattern.sub(replace, text)
    return text


def _fold(text: str) -> str:
    # NFKD splits "é" into "e" + a combining accent, which is then dropped; "ß" does not decompose.
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _drop_fillers(text: str, language: str) -> str:
    fillers = set(_UNIVERSAL_FILLERS) | set(_FILLERS.get(language, _FILLERS["en"]))
    return _replace_phrases(text, {filler: "" for filler in fillers})


def _numbers_to_digits(text: str, language: str) -> str:
    words = dict(_NUMBERS["en"]) if language == "en" else {}
    words.update(_NUMBERS.get(language, {}))
    return _replace_phrases(text, {word: str(value) for word, value in words.items()})


def _replace_phrases(text: str, table: dict[str, str]) -> str:
    """Replace whole-word phrases, longest first so "dix huit" wins over "dix"."""
    if not table:
        return text
    alternatives = "|".join(re.escape(p) for p in sorted(table, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    return " ".join(pattern.sub(lambda m: table[m[0]], text).split())
