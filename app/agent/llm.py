"""An agent backed by any OpenAI-compatible chat API, with the rules agent as its safety net.

The rules agent answers instead of the model when the shopper opts out (no model call at all),
and whenever the model is slow, fails, or says nothing usable, so a call never goes silent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from app.agent.intents import classify_utterance, objection_of
from app.agent.phrases import join, phrase
from app.agent.prompt import SMS_REPLY_MAX_CHARACTERS, messages
from app.agent.rules import RulesAgent, initial_state
from app.agent.tools import actions_from_calls, tools_for
from app.agent.types import (
    TERMINAL_ACTIONS,
    Action,
    Agent,
    AlreadyPurchased,
    Context,
    End,
    OptOut,
    Reply,
    ScheduleCallback,
    SendDiscount,
    SendLink,
    Transfer,
    Turn,
    Utterance,
    WrongNumber,
)
from app.agent.wording import when_in_words

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 3.0
# Low temperature: the agent should sound natural but stay on script.
TEMPERATURE = 0.3

# A percentage the model wrote ("50%", "50 percent", "50 por ciento", "50 pour cent", "50 Prozent").
_PERCENT = re.compile(r"(\d{1,3})\s*(?:%|percent|per cent|por ciento|pour cent|prozent)", re.IGNORECASE)
# Words that promise a discount, for merchants who allow none.
_DISCOUNT_WORDS = re.compile(
    r"discount|coupon|promo|% off|descuento|cup[oó]n|r[ée]duction|remise|rabatt|gutschein", re.IGNORECASE
)
# A link in the model's own words: it knows no real one (the transport texts the tracked link).
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)


class OpenAIAgent:
    """Chat completions with tools for the actions, each re-checked against the merchant's rules."""

    def __init__(
        self,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        fallback: Agent | None = None,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.model = model
        self.timeout_seconds = timeout_seconds
        self.fallback: Agent = fallback or RulesAgent()
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The SDK client, built on first use (never at import, never in tests that do not talk)."""
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                api_key=self.api_key, base_url=self.base_url, timeout=self.timeout_seconds, max_retries=0
            )
        return self._client

    def close(self) -> None:
        """Release the HTTP connections, if any were opened."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def greet(self, context: Context) -> Reply:
        # The greeting is fixed wording: no reason to wait for a model before the first line.
        return self.fallback.greet(context)

    def respond(
        self, context: Context, history: Sequence[Turn], utterance: Utterance, state: Mapping[str, Any]
    ) -> Reply:
        if _opts_out(utterance, context):
            return self.fallback.respond(context, history, utterance, state)
        try:
            completion = self.client.chat.completions.create(
                **self._request(context, history, utterance), stream=False
            )
            message = completion.choices[0].message
            calls = [(call.function.name, call.function.arguments) for call in message.tool_calls or ()]
            reply = _reply(context, utterance, state, message.content or "", calls)
        except Exception as exc:  # noqa: BLE001 - whatever the model does, the shopper must hear an answer
            return self._fall_back(exc, context, history, utterance, state)
        if reply is None:
            return self._fall_back(None, context, history, utterance, state)
        return reply

    def stream(
        self, context: Context, history: Sequence[Turn], utterance: Utterance, state: Mapping[str, Any]
    ) -> Iterator[str | Reply]:
        if _opts_out(utterance, context):
            yield from self.fallback.stream(context, history, utterance, state)
            return
        chunks: list[str] = []
        calls: dict[int, list[str]] = {}
        try:
            with self.client.chat.completions.create(
                **self._request(context, history, utterance), stream=True
            ) as events:
                for event in events:
                    for text in _collect(event, calls):
                        chunks.append(text)
                        yield text
            reply = _reply(context, utterance, state, "".join(chunks), [(n, a) for n, a in calls.values()])
        except Exception as exc:  # noqa: BLE001 - a stalled or broken stream must not leave dead air
            reply = self._fall_back(exc, context, history, utterance, state)
            yield reply.text
            yield reply
            return
        if reply is None:
            reply = self._fall_back(None, context, history, utterance, state)
            yield reply.text
        yield reply

    def _request(self, context: Context, history: Sequence[Turn], utterance: Utterance) -> dict[str, Any]:
        # store=False: OpenAI keeps no copy of the conversation for training or evals; no `user` is
        # sent, since anything identifying the shopper would leave the app.
        return {
            "model": self.model,
            "messages": messages(context, history, utterance),
            "tools": tools_for(context),
            "tool_choice": "auto",
            "temperature": TEMPERATURE,
            "store": False,
        }

    def _fall_back(
        self,
        exc: BaseException | None,
        context: Context,
        history: Sequence[Turn],
        utterance: Utterance,
        state: Mapping[str, Any],
    ) -> Reply:
        # The exception type only: messages can quote the prompt, which holds the shopper's words.
        log.warning("model turn fell back to rules: %s", type(exc).__name__ if exc else "empty answer")
        return self.fallback.respond(context, history, utterance, state)


def _opts_out(utterance: Utterance, context: Context) -> bool:
    return classify_utterance(utterance.text, utterance.digits, context.language) == "stop"


def _collect(event: Any, calls: dict[int, list[str]]) -> Iterable[str]:
    """The text deltas of one stream chunk; tool call fragments are gathered into `calls` by index."""
    for choice in getattr(event, "choices", None) or ():
        delta = choice.delta
        if delta is None:
            continue
        for call in delta.tool_calls or ():
            name, arguments = calls.setdefault(call.index, ["", ""])
            function = call.function
            if function is not None:
                calls[call.index] = [name + (function.name or ""), arguments + (function.arguments or "")]
        if delta.content:
            yield delta.content


def _reply(
    context: Context,
    utterance: Utterance,
    state: Mapping[str, Any],
    text: str,
    calls: Sequence[tuple[str, str]],
) -> Reply | None:
    """The model's answer as a Reply within the merchant's rules; None when nothing usable came back."""
    previous = {**initial_state(), **dict(state or {})}
    actions = _allowed(actions_from_calls(calls, context), previous)
    text = text.strip()
    if not text and not actions:
        return None
    if not _text_is_safe(text, context):
        text = ""  # the model promised more than the merchant allows: say what was really done
        if not actions:
            return None
    text = text or _describe(actions, context)
    intent = classify_utterance(utterance.text, utterance.digits, context.language)
    new_state = _next_state(previous, actions, intent)
    end = any(isinstance(action, TERMINAL_ACTIONS) for action in actions)
    if not end and new_state["turns"] >= context.max_turns:
        actions = (*actions, End("completed"))
        text = join(text, phrase(context.language, "goodbye_max_turns", context.channel))
        end = True
    return Reply(
        text=text,
        actions=actions,
        end=end,
        objection=new_state["objection"],
        intent=intent,
        state=new_state,
    )


def _allowed(actions: tuple[Action, ...], state: Mapping[str, Any]) -> tuple[Action, ...]:
    # One code per conversation, however often the model asks.
    if state["discount_percent"]:
        return tuple(action for action in actions if not isinstance(action, SendDiscount))
    return actions


def _text_is_safe(text: str, context: Context) -> bool:
    """False when the text names a percentage above the cap, or any discount when none is allowed;
    by text, also when it is too long for a text or writes a link of its own."""
    cap = context.discount_max_percent
    if cap <= 0 and (_DISCOUNT_WORDS.search(text) or _PERCENT.search(text)):
        return False
    if context.channel == "sms" and (len(text) > SMS_REPLY_MAX_CHARACTERS or _URL.search(text)):
        return False
    return all(int(match[1]) <= cap for match in _PERCENT.finditer(text))


def _describe(actions: tuple[Action, ...], context: Context) -> str:
    """What to say for actions the model took silently (or described wrongly)."""
    language, channel = context.language, context.channel

    def say(key: str, **values: object) -> str:
        return phrase(language, key, channel, **values)

    lines: list[str] = []
    for action in actions:
        if isinstance(action, SendLink):
            lines.append(say("link_sent"))
        elif isinstance(action, SendDiscount):
            lines.append(say("discount_read" if action.read_out else "discount_sent", percent=action.percent))
        elif isinstance(action, OptOut):
            return say("opted_out")
        elif isinstance(action, WrongNumber):
            return say("wrong_number")
        elif isinstance(action, AlreadyPurchased):
            return say("already_bought")
        elif isinstance(action, Transfer):
            return say("transferring", store=context.store_name)
        elif isinstance(action, ScheduleCallback):
            return join(*lines, say("callback_confirmed", when=when_in_words(action.at, context)))
        elif isinstance(action, End):
            goodbye = "goodbye_declined" if action.outcome == "declined" else "goodbye_completed"
            return join(*lines, say(goodbye))
    return join(*lines, say("q_anything")) if lines else say("q_help")


def _next_state(previous: dict[str, Any], actions: tuple[Action, ...], intent: str) -> dict[str, Any]:
    state = dict(previous)
    state["turns"] = int(previous["turns"]) + 1
    state["pending"] = None  # the model's question is free text; rules re-ask generically if they take over
    state["reprompts"] = 0
    for action in actions:
        if isinstance(action, SendLink):
            state["link_sent"] = True
        elif isinstance(action, SendDiscount):
            state["discount_percent"] = action.percent
    if not state["objection"]:
        state["objection"] = objection_of(intent)
    return state
