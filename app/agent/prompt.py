"""What the language model is told: the store, the cart, the merchant's rules, the conversation.

Only what the agent needs to talk goes out: store name, first name, cart lines, total and
currency, language, the shopper's local clock (to name callback times) and the turns so far.
The Context holds no phone, email or address, so none can leak into a prompt.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.agent.languages import supported
from app.agent.times import zone_of
from app.agent.types import Context, Turn, Utterance

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German"}
_ROLES = {"agent": "assistant", "shopper": "user"}
# A reply by text should fit one SMS (160 GSM-7 characters); two concatenated parts hold 306.
SMS_REPLY_CHARACTERS = 160
SMS_REPLY_MAX_CHARACTERS = 300


def messages(context: Context, history: Sequence[Turn], utterance: Utterance) -> list[dict[str, str]]:
    """The chat messages for one turn: the system prompt, the turns so far, the new utterance."""
    chat = [{"role": "system", "content": system_prompt(context)}]
    chat += [{"role": _ROLES.get(turn.role, "user"), "content": turn.text} for turn in history if turn.text]
    chat.append({"role": "user", "content": _utterance_text(utterance)})
    return chat


def system_prompt(context: Context) -> str:
    """Who the agent is, what it may offer, and how to speak (or write), for this store and shopper."""
    texting = context.channel == "sms"
    medium = "texting" if texting else "calling"
    language = LANGUAGE_NAMES[supported(context.language)]
    local = context.now.astimezone(zone_of(context.timezone))
    return "\n".join(
        [
            f"You are an automated AI assistant {medium} on behalf of the store {context.store_name!r} "
            "about a shopping cart the shopper left. Never claim or imply that you are human; if asked, "
            "say you are an automated AI assistant.",
            f"{'Write' if texting else 'Speak'} {language} only.",
            *(_texting() if texting else _speaking()),
            f"Shopper's first name: {context.first_name or 'unknown'}.",
            "Cart: " + "; ".join(f"{line.quantity} x {line.title}" for line in context.lines) + ".",
            f"Cart total: {context.total} {context.currency}.",
            f"Shopper's local date and time now: {local:%A %Y-%m-%d %H:%M}.",
            "Merchant's rules:",
            *(f"- {rule}" for rule in _rules(context)),
        ]
    )


def _speaking() -> list[str]:
    return [
        "Be brief: one or two short sentences per turn, easy to follow when heard. "
        "Ask one question at a time."
    ]


def _texting() -> list[str]:
    return [
        "Your reply is sent as a text message (SMS) in a thread that is already texting the shopper: "
        "never offer or ask to text them something, just do it.",
        f"Be brief: one or two short sentences, ideally at most {SMS_REPLY_CHARACTERS} characters and "
        f"never more than {SMS_REPLY_MAX_CHARACTERS}. Ask one question at a time.",
        "The link and any code go out in their own texts right after your reply: never write a link, "
        "a code or a phone number yourself.",
    ]


def _rules(context: Context) -> list[str]:
    cap = context.discount_max_percent
    rules = [
        "If the shopper asks to stop, to not be contacted, or to unsubscribe, call opt_out.",
        "If it is the wrong number call wrong_number; if they already bought, call already_purchased.",
        "When the conversation is over, call end_call with the outcome "
        "(completed when something was sent, declined when the shopper said no).",
    ]
    if cap > 0:
        rules.append(
            f"Only when the shopper objects to the price or the shipping cost, or asks for a discount "
            f"code, you may offer {cap}% off with a single-use code, never more than {cap}%. Call "
            "send_discount once they accept, or at once when they asked for the code."
        )
    else:
        rules.append(
            "Never offer, mention or promise any discount or code; if asked for one, say there is "
            "none and offer the link instead."
        )
    if context.sms_allowed:
        rules.append("You may text the shopper a secure link to their cart: call send_link when they agree.")
    else:
        rules.append(
            "You may not text the shopper; they can finish the order from the store's email instead."
        )
    if context.transfer_available and context.channel == "call":
        rules.append("If the shopper asks for a person, call transfer.")
    elif context.transfer_configured:
        rules.append(
            "No person is available now: if the shopper asks for one, offer a callback and call "
            "schedule_callback with the local time they name."
        )
    else:
        rules.append("The store has nobody to talk to; never offer a person.")
    if context.calls_allowed:
        rules.append("If the shopper names a time to be called back, call schedule_callback with it.")
    else:
        rules.append("The shopper agreed to texts only: never offer or promise a call.")
    rules.append(
        "You do not know the store's shipping destinations, delivery times, payment methods or "
        "product details: never guess; say they are shown on the store's website and at checkout."
    )
    return rules


def _utterance_text(utterance: Utterance) -> str:
    if utterance.text.strip():
        return utterance.text.strip()
    if utterance.digits.strip():
        return f"(pressed {utterance.digits.strip()} on the keypad)"
    return "(silence)"
