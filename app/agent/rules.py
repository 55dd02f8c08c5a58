"""The default agent: deterministic keyword rules, offline, on the phone and by SMS.

The same decisions on both channels, worded per channel (phrases.py's "sms:" variants), except where
the medium changes what is sensible: by text the link is simply sent rather than offered (we are
already texting), a text is read exactly so a code asked for is sent at once, and a text the rules
cannot place gets what the assistant can do instead of "didn't catch that".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from app.agent.intents import UNKNOWN, classify_utterance, mentions, objection_of
from app.agent.normalise import normalise
from app.agent.phrases import join, phrase
from app.agent.times import parse_when
from app.agent.types import (
    Action,
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
from app.agent.wording import cart_summary, when_in_words

# Below this speech-recogniser confidence the words are too unreliable to act on (except "stop").
LOW_CONFIDENCE = 0.4
# Reprompts in a row before giving up on a silent or unintelligible line.
MAX_REPROMPTS = 1
# How often the agent asks "when would suit you?" before taking the answer as a no.
MAX_WHEN_QUESTIONS = 2

SILENCE = "silence"

# What the agent last asked, and the question that re-asks it.
_QUESTIONS = {
    "help": "q_help",
    "offer_link": "q_link",
    "offer_discount": "q_discount",
    "offer_transfer": "q_transfer",
    "ask_when": "q_when",
    "anything_else": "q_anything",
    "open": "q_what",
}


def initial_state() -> dict[str, Any]:
    """The state after the greeting; every value is JSON-serialisable."""
    return {
        "turns": 0,
        "pending": "help",
        "reprompts": 0,
        "when_asked": 0,
        "link_sent": False,
        "discount_percent": 0,
        "objection": None,
    }


class RulesAgent:
    """Keyword rules in en/es/fr/de; state travels in Reply.state, so one instance serves every call."""

    def greet(self, context: Context) -> Reply:
        hi = (
            phrase(context.language, "hi", name=context.first_name.strip())
            if context.first_name and context.first_name.strip()
            else phrase(context.language, "hi_there")
        )
        greeting = phrase(
            context.language, "greet", hi=hi, cart=cart_summary(context), store=context.store_name
        )
        text = join(greeting, phrase(context.language, "q_help", context.channel))
        return Reply(text=text, intent="greet", state=initial_state())

    def respond(
        self, context: Context, history: Sequence[Turn], utterance: Utterance, state: Mapping[str, Any]
    ) -> Reply:
        return _Conversation(context, state, utterance).answer()

    def stream(
        self, context: Context, history: Sequence[Turn], utterance: Utterance, state: Mapping[str, Any]
    ) -> Iterator[str | Reply]:
        reply = self.respond(context, history, utterance, state)
        yield reply.text
        yield reply


def intent_of(utterance: Utterance, language: str) -> str:
    """The intent of one turn: stop always counts; silence and low confidence are told apart."""
    intent = classify_utterance(utterance.text, utterance.digits, language)
    if intent == "stop":
        return intent  # an opt-out is honoured even when half heard: wrongly stopping costs little
    if not utterance.text.strip() and not utterance.digits.strip():
        return SILENCE
    if (
        not utterance.digits.strip()
        and utterance.confidence is not None
        and utterance.confidence < LOW_CONFIDENCE
    ):
        return UNKNOWN
    return intent


class _Conversation:
    """One shopper turn: reads the state handed back, decides, and writes the next state."""

    def __init__(self, context: Context, state: Mapping[str, Any], utterance: Utterance) -> None:
        self.context = context
        self.language = context.language
        self.channel = context.channel
        self.texting = context.channel == "sms"
        self.utterance = utterance
        self.state = {**initial_state(), **dict(state or {})}
        self.intent = UNKNOWN
        self.done_line = ""  # what was just sent, kept if the turn limit cuts the reply short

    def answer(self) -> Reply:
        self.state["turns"] = int(self.state["turns"]) + 1
        self.intent = intent_of(self.utterance, self.language)
        if self.intent not in (SILENCE, UNKNOWN):
            self.state["reprompts"] = 0
        reply = getattr(self, f"_on_{self.intent}")()
        if not reply.end and self.state["turns"] >= self.context.max_turns:
            reply = self._wrap_up(reply)
        return reply

    # -- intents ---------------------------------------------------------------------------------

    def _on_stop(self) -> Reply:
        return self._end(self._say("opted_out"), OptOut())

    def _on_wrong_number(self) -> Reply:
        return self._end(self._say("wrong_number"), WrongNumber())

    def _on_already_bought(self) -> Reply:
        return self._end(self._say("already_bought"), AlreadyPurchased())

    def _on_yes(self) -> Reply:
        pending = self.state["pending"]
        if pending == "offer_link":
            return self._send_link()
        if pending == "offer_discount":
            return self._send_discount()
        if pending == "offer_transfer":
            return self._transfer_or_callback()
        if pending == "ask_when":
            return self._ask_when()
        if pending == "anything_else":
            return self._ask(pending="open")
        return self._link_now_or_offer()

    def _on_no(self) -> Reply:
        return self._goodbye()

    def _on_thanks(self) -> Reply:
        if self.state["pending"] == "anything_else":  # thanks for what was sent: that is all
            outcome = "completed" if self._sent_something() else "declined"
            return self._end(self._say("welcome_bye"), End(outcome))
        return self._ask(self._say("welcome"), pending=self._open_question())

    def _on_send_link(self) -> Reply:
        return self._send_link()

    def _on_price(self) -> Reply:
        return self._price_objection("price", "price_empathy")

    def _on_shipping(self) -> Reply:
        return self._price_objection("shipping", "shipping_empathy")

    def _on_discount(self) -> Reply:
        if mentions("shipping", self.utterance.text, self.language):  # "shipping is steep, any code?"
            self.state["objection"] = "shipping"
        else:
            self._note_objection()
        cap = self.context.discount_max_percent
        if cap <= 0:
            return self._link_now_or_offer(self._say("no_discount"))
        if self.state["discount_percent"]:
            already = self._say("discount_already", percent=self.state["discount_percent"])
            return self._ask(already, pending="anything_else")
        # A text is read exactly, so the code asked for is sent; speech may be misheard, so a call offers.
        if self.texting or self.state["pending"] == "offer_discount":
            return self._send_discount()
        return self._ask(self._say("discount_offer", percent=cap), pending="offer_discount")

    def _on_shipping_question(self) -> Reply:
        # The rules know no shipping policy: say honestly where the answer is, and give the way there.
        self._note_objection()
        return self._link_now_or_offer(self._say("shipping_info"))

    def _on_payment_question(self) -> Reply:
        self._note_objection()
        return self._link_now_or_offer(self._say("payment_info", store=self.context.store_name))

    def _on_payment(self) -> Reply:
        self.state["objection"] = "payment"
        return self._link_now_or_offer(self._say("payment_empathy"))

    def _on_product_question(self) -> Reply:
        self.state["objection"] = "product_question"
        lead = self._say("product_question", store=self.context.store_name)
        if self._can_transfer():
            return self._ask(lead, pending="offer_transfer")
        return self._link_now_or_offer(lead)

    def _on_person(self) -> Reply:
        return self._transfer_or_callback()

    def _on_robot(self) -> Reply:
        return self._ask(self._say("robot", store=self.context.store_name), pending=self._open_question())

    def _on_who(self) -> Reply:
        return self._ask(self._say("who", store=self.context.store_name), pending=self._open_question())

    def _on_not_now(self) -> Reply:
        self._note_objection()
        if self.texting and not mentions("call", self.utterance.text, self.language):
            # "Busy, later" by text asks for no call: the link to finish when it suits is the answer.
            return self._link_now_or_offer(self._say("finish_later"))
        return self._ask_when()

    def _on_callback(self) -> Reply:
        if not self.context.calls_allowed:
            # Texts only: no call may be booked, so no call is promised; the link is the answer.
            return self._link_now_or_offer(self._say("finish_later"))
        text = normalise(self.utterance.text, self.language)
        at = parse_when(text, self.language, self.context.now, self.context.timezone)
        if at is None:  # e.g. "today at 9 am" said at noon
            return self._on_not_now()
        if self.state["pending"] != "ask_when":  # asked unprompted: "I'm busy, call me at 6"
            self.state["objection"] = self.state["objection"] or "not_now"
        when = when_in_words(at, self.context)
        return self._end(self._say("callback_confirmed", when=when), ScheduleCallback(at=at))

    def _on_silence(self) -> Reply:
        return self._reprompt_or_close()

    def _on_unknown(self) -> Reply:
        if self.state["pending"] == "ask_when" and self.utterance.text.strip():
            return self._goodbye()  # asked when, and the answer names no time: take it as a no
        return self._reprompt_or_close()

    # -- steps -----------------------------------------------------------------------------------

    def _offer_link_or_finish(self, lead: str = "") -> Reply:
        if self.state["link_sent"]:
            return self._ask(lead, self._say("link_already"), pending="anything_else")
        if self.context.sms_allowed:
            return self._ask(lead, pending="offer_link")
        # No consent to text: the shopper finishes from the store's own email; nothing more to offer.
        finish = self._say("finish_from_email", store=self.context.store_name)
        return self._end(join(lead, finish, self._say("goodbye_completed")), End("completed"))

    def _link_now_or_offer(self, lead: str = "") -> Reply:
        """By text the link is simply sent (no "shall I text you?" while texting); a call offers it first."""
        if self.texting:
            return self._send_link(lead)
        return self._offer_link_or_finish(lead)

    def _send_link(self, lead: str = "") -> Reply:
        if not self.context.sms_allowed or self.state["link_sent"]:
            return self._offer_link_or_finish(lead)
        self.state["link_sent"] = True
        self.done_line = join(lead, self._say("link_sent"))
        return self._ask(self.done_line, pending="anything_else", actions=(SendLink(),))

    def _price_objection(self, objection: str, empathy_key: str) -> Reply:
        self.state["objection"] = objection
        empathy = self._say(empathy_key)
        cap = self.context.discount_max_percent
        if cap <= 0:
            return self._offer_link_or_finish(empathy)
        if self.state["discount_percent"]:
            already = self._say("discount_already", percent=self.state["discount_percent"])
            return self._ask(empathy, already, pending="anything_else")
        offer = self._say("discount_offer", percent=cap)
        return self._ask(empathy, offer, pending="offer_discount")

    def _send_discount(self) -> Reply:
        cap = self.context.discount_max_percent
        if cap <= 0 or self.state["discount_percent"]:
            return self._offer_link_or_finish()
        self.state["discount_percent"] = cap
        read_out = not self.context.sms_allowed
        self.done_line = self._say("discount_read" if read_out else "discount_sent", percent=cap)
        action = SendDiscount(percent=cap, read_out=read_out)
        return self._ask(self.done_line, pending="anything_else", actions=(action,))

    def _transfer_or_callback(self) -> Reply:
        if self._can_transfer():
            return self._end(self._say("transferring", store=self.context.store_name), Transfer())
        if self.context.transfer_configured:
            self.state["when_asked"] = int(self.state["when_asked"]) + 1
            unavailable = self._say("team_unavailable", store=self.context.store_name)
            return self._ask(unavailable, pending="ask_when")
        return self._offer_link_or_finish(self._say("no_person"))

    def _ask_when(self) -> Reply:
        if int(self.state["when_asked"]) >= MAX_WHEN_QUESTIONS or (
            self.intent == "not_now" and self.state["when_asked"]
        ):
            return self._goodbye()
        self.state["when_asked"] = int(self.state["when_asked"]) + 1
        lead = self._say("ask_when") if self.intent == "not_now" else ""
        return self._ask(lead, pending="ask_when", question=not lead)

    def _reprompt_or_close(self) -> Reply:
        if int(self.state["reprompts"]) >= MAX_REPROMPTS:
            outcome = "completed" if self._sent_something() else "no_response"
            return self._end(self._say("goodbye_no_response"), End(outcome))
        self.state["reprompts"] = int(self.state["reprompts"]) + 1
        if self.texting:
            # A text was read, not misheard: say what the assistant can do rather than "didn't catch that".
            menu = self._say(
                "menu_code" if self._can_offer_a_code() else "menu", store=self.context.store_name
            )
            return self._ask(menu, pending=self.state["pending"] or "help", question=False)
        return self._ask(self._say("reprompt"), pending=self.state["pending"] or "help")

    def _goodbye(self) -> Reply:
        if self._sent_something():
            return self._end(self._say("goodbye_completed"), End("completed"))
        return self._end(self._say("goodbye_declined"), End("declined"))

    def _wrap_up(self, reply: Reply) -> Reply:
        """The turn limit is reached: keep what this turn did, drop its question, say goodbye."""
        actions = (*reply.actions, End("completed"))
        return self._reply(join(self.done_line, self._say("goodbye_max_turns")), actions, end=True)

    # -- building replies ------------------------------------------------------------------------

    def _ask(
        self, *lines: str, pending: str, actions: tuple[Action, ...] = (), question: bool = True
    ) -> Reply:
        self.state["pending"] = pending
        if pending == "offer_discount" and not self.context.sms_allowed:
            key = "q_discount_read"
        else:
            key = _QUESTIONS[pending]
        return self._reply(join(*lines, self._say(key) if question else ""), actions)

    def _end(self, text: str, *actions: Action) -> Reply:
        self.state["pending"] = None
        return self._reply(text, actions, end=True)

    def _reply(self, text: str, actions: tuple[Action, ...], end: bool = False) -> Reply:
        return Reply(
            text=text,
            actions=tuple(actions),
            end=end,
            objection=self.state["objection"],
            intent=self.intent,
            state=dict(self.state),
        )

    def _say(self, key: str, **values: object) -> str:
        return phrase(self.language, key, self.channel, **values)

    def _can_transfer(self) -> bool:
        # Over SMS there is no call to bridge; a person can only call back.
        return self.channel == "call" and self.context.transfer_available

    def _can_offer_a_code(self) -> bool:
        return self.context.discount_max_percent > 0 and not self.state["discount_percent"]

    def _note_objection(self) -> None:
        """Record what this turn's intent objects to, unless an earlier turn already said."""
        self.state["objection"] = self.state["objection"] or objection_of(self.intent)

    def _open_question(self) -> str:
        return self.state["pending"] or "help"

    def _sent_something(self) -> bool:
        return bool(self.state["link_sent"] or self.state["discount_percent"])
