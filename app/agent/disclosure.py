"""The fixed lines the transport says itself: the call opening and the voicemail."""

from __future__ import annotations

from app.agent.phrases import join, phrase
from app.agent.types import Context


def opening(context: Context, *, recording: bool) -> str:
    """Said before the agent talks, outside any <Gather>: who calls, that it is an AI, how to opt out."""
    language = context.language
    return join(
        phrase(language, "opening", store=context.store_name),
        phrase(language, "recorded") if recording else "",
        phrase(language, "opt_out_how"),
    )


def voicemail(context: Context) -> str:
    """A short message for an answering machine: store and reason only, no cart or name, how to opt out."""
    return phrase(context.language, "voicemail", store=context.store_name)
