"""Local simulators of Shopify (and later Twilio) used by the tests and by `make run`'s sandbox."""
