"""Local simulators for the tests and `make run`'s sandbox: Shopify (no Twilio simulator yet)."""
