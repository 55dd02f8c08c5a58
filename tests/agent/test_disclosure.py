"""The fixed lines the transport says: the opening and the voicemail; voices and languages."""

from __future__ import annotations

import pytest

from app.agent import RulesAgent, get_agent, language_of, opening, voice_for, voicemail
from tests.agent.conftest import make_context

# What each language's opening must say: an AI marker, the recording notice, the stop word.
MARKERS = {
    "en": ("automated AI assistant", "This call may be recorded.", "Say stop or press 9"),
    "es": ("inteligencia artificial", "Esta llamada puede ser grabada.", "Diga stop o pulse 9"),
    "fr": ("intelligence artificielle", "Cet appel peut être enregistré.", "Dites stop ou appuyez sur 9"),
    "de": ("KI-Assistent", "Dieser Anruf kann aufgezeichnet werden.", "Stopp oder drücken Sie die 9"),
}


@pytest.mark.promise("ai-disclosure")
@pytest.mark.promise("recording-announced")
@pytest.mark.parametrize("language", sorted(MARKERS))
def test_opening_is_complete_in_every_language(language):
    ai, recorded, opt_out = MARKERS[language]
    text = opening(make_context(language=language), recording=True)

    assert "Acme Hats" in text and ai in text and recorded in text and opt_out in text


@pytest.mark.promise("recording-announced")
@pytest.mark.parametrize("language", sorted(MARKERS))
def test_opening_mentions_recording_only_when_recording(language):
    text = opening(make_context(language=language), recording=False)

    assert MARKERS[language][1] not in text and MARKERS[language][2] in text


@pytest.mark.promise("ai-disclosure")
@pytest.mark.promise("recording-announced")
def test_opening_in_english_reads_as_written():
    assert opening(make_context(), recording=True) == (
        "Hello, this is an automated AI assistant calling on behalf of Acme Hats about your shopping cart. "
        "This call may be recorded. Say stop or press 9 at any time to opt out."
    )


@pytest.mark.promise("ai-disclosure")
def test_unsupported_language_falls_back_to_english():
    assert opening(make_context(language="pt"), recording=False).startswith("Hello, this is an automated")


@pytest.mark.parametrize("language", sorted(MARKERS))
def test_voicemail_names_the_store_and_the_opt_out_but_not_the_cart(language):
    text = voicemail(make_context(language=language))

    assert "Acme Hats" in text and "9" in text
    assert "Ada" not in text and "Red Hat" not in text and "120" not in text


def test_voices_are_neural_and_match_the_language():
    assert voice_for("en") == ("Polly.Joanna-Neural", "en-US")
    assert voice_for("es") == ("Polly.Lupe-Neural", "es-US")
    assert voice_for("fr") == ("Polly.Lea-Neural", "fr-FR")
    assert voice_for("de") == ("Polly.Vicki-Neural", "de-DE")
    assert voice_for("pt") == ("Polly.Joanna-Neural", "en-US")


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("es-MX", "es"),
        ("fr", "fr"),
        ("de_DE", "de"),
        ("EN-gb", "en"),
        (None, "en"),
        ("pt-BR", "en"),
        ("", "en"),
    ],
)
def test_language_of_a_shopify_locale(locale, language):
    assert language_of(locale) == language


def test_get_agent_builds_the_named_agent():
    assert isinstance(get_agent("rules"), RulesAgent)
    agent = get_agent("openai", api_key="k", base_url="http://127.0.0.1:9/v1", model="m")
    assert type(agent).__name__ == "OpenAIAgent"
    with pytest.raises(ValueError, match="unknown agent"):
        get_agent("oracle")
