"""Which languages the agent speaks, and the TwiML voice for each."""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"
SUPPORTED_LANGUAGES = ("en", "es", "fr", "de")

# Amazon Polly neural voices Twilio offers in <Say>, with the BCP-47 tag for <Gather language=…>.
_VOICES = {
    "en": ("Polly.Joanna-Neural", "en-US"),
    "es": ("Polly.Lupe-Neural", "es-US"),
    "fr": ("Polly.Lea-Neural", "fr-FR"),
    "de": ("Polly.Vicki-Neural", "de-DE"),
}


def supported(language: str | None) -> str:
    """The language to speak: the given one when supported, else English."""
    return language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def language_of(locale: str | None) -> str:
    """The supported language of a Shopify locale ("es-MX" -> "es"); English for anything else."""
    if not locale:
        return DEFAULT_LANGUAGE
    return supported(locale.replace("_", "-").split("-")[0].strip().lower())


def voice_for(language: str) -> tuple[str, str]:
    """The default natural voice and the BCP-47 language for TwiML in this language."""
    return _VOICES[supported(language)]
