"""Webhook intake: verify, store, enqueue, answer; then process in a job."""
