"""Twilio, shared by the voice and SMS channels: the REST client, request validation, call pacing."""
