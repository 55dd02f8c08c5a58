"""The webhook topics the app subscribes to (shopify.app.toml must list exactly these)."""

SUBSCRIBED_TOPICS = (
    "checkouts/create",
    "checkouts/update",
    "orders/create",
    "app/uninstalled",
    "app/scopes_update",
)
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
ALL_TOPICS = SUBSCRIBED_TOPICS + COMPLIANCE_TOPICS
