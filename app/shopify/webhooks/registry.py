"""Which function handles which topic. Features register with `@handles(topic)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.shopify.webhooks.topics import ALL_TOPICS


@dataclass
class WebhookEvent:
    """A verified delivery, as handlers see it. Handlers must not commit: the processor does,
    together with marking the delivery processed, so an effect happens exactly once."""

    delivery_id: int
    topic: str
    shop_domain: str
    payload: dict[str, Any]
    webhook_id: str
    event_id: str | None = None
    triggered_at: str | None = None
    _after_commit: list[Callable[[], None]] = field(default_factory=list)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the handler's writes are committed (e.g. enqueue a job)."""
        self._after_commit.append(action)


Handler = Callable[[WebhookEvent], None]
HANDLERS: dict[str, Handler] = {}


def handles(topic: str) -> Callable[[Handler], Handler]:
    if topic not in ALL_TOPICS:
        raise ValueError(f"not a subscribed topic: {topic}")

    def register(func: Handler) -> Handler:
        if topic in HANDLERS and HANDLERS[topic] is not func:
            raise ValueError(f"topic {topic} already has a handler")
        HANDLERS[topic] = func
        return func

    return register
