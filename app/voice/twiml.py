"""The TwiML documents of a call: the fixed opening, a listening turn, a goodbye, a transfer."""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

# Seconds of silence before a turn ends without speech, and the keys that end it at once.
GATHER_TIMEOUT_SECONDS = 5
TRANSFER_RING_SECONDS = 20


def _say(parent, text: str, voice: str, language: str) -> None:
    parent.say(text, voice=voice, language=language)


def _gather(action: str, language: str) -> Gather:
    # actionOnEmptyResult: silence comes back to us as an empty turn (one reprompt, then goodbye);
    # numDigits=1: pressing 9 opts out at once, without waiting for a timeout.
    return Gather(input="speech dtmf", action=action, method="POST", language=language,
                  speech_timeout="auto", timeout=GATHER_TIMEOUT_SECONDS, num_digits=1,
                  action_on_empty_result=True)


def opening(disclosure: str, first_line: str, *, action: str, voice: str, language: str) -> str:
    """The disclosure in a <Say> of its own (it cannot be cut off), then the agent's first turn."""
    response = VoiceResponse()
    _say(response, disclosure, voice, language)
    gather = _gather(action, language)
    _say(gather, first_line, voice, language)
    response.append(gather)
    return str(response)


def listen(text: str, *, action: str, voice: str, language: str) -> str:
    """The agent says `text` while listening (the shopper may answer over it)."""
    response = VoiceResponse()
    gather = _gather(action, language)
    _say(gather, text, voice, language)
    response.append(gather)
    return str(response)


def goodbye(text: str, *, voice: str, language: str) -> str:
    response = VoiceResponse()
    if text:
        _say(response, text, voice, language)
    response.hangup()
    return str(response)


def transfer(text: str, number: str, *, caller_id: str, voice: str, language: str) -> str:
    response = VoiceResponse()
    _say(response, text, voice, language)
    response.dial(number, caller_id=caller_id or None, timeout=TRANSFER_RING_SECONDS)
    return str(response)


def hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)
